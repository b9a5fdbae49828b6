"""A local stand-in for Slack, for tests, the benchmark and staging (no network, loopback only).

`SlackAPIStandIn` answers the Web API methods the bot calls (point `SLACK_API_URL` at
`.api_url`) and records each call with its arguments. `signed_post` sends what Slack would send
to the bot's request URL: a body signed with the v0 HMAC scheme. The `*_payload` functions
build the event, interaction and slash command bodies.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from slack_sdk.signature import SignatureVerifier

BOT_USER = "UHALOPS"
TEAM = "TLAB"
# Loopback requests must not go through an HTTP proxy taken from the environment.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class Call:
    method: str  # Web API method, or "response_url" for respond() posts
    args: dict[str, Any]
    at: float  # time.perf_counter() when it arrived
    result: dict[str, Any]  # what the stand-in answered (e.g. the new message's ts)


class SlackAPIStandIn:
    """`with SlackAPIStandIn() as slack:` serves on 127.0.0.1 in a thread."""

    def __init__(self, usergroups: Mapping[str, list[str]] | None = None) -> None:
        self.usergroups = dict(usergroups or {})
        self.calls: list[Call] = []
        self._lock = threading.Condition()
        self._ts = itertools.count(1)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        self.httpd.serve_forever(poll_interval=0.05)  # a quick shutdown keeps tests short

    @property
    def base(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    @property
    def response_url(self) -> str:
        return f"{self.base}/respond/1"

    def __enter__(self) -> SlackAPIStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # --- what the bot sees -------------------------------------------------------------------

    def answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        ts = f"1700000000.{next(self._ts):06d}"
        if method == "auth.test":
            return {"ok": True, "user_id": BOT_USER, "bot_id": "BHALOPS", "team_id": TEAM}
        if method == "chat.postMessage":
            return {"ok": True, "channel": args.get("channel"), "ts": ts, "message": args}
        if method == "chat.update":
            return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts")}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        if method == "usergroups.users.list":
            return {"ok": True, "users": self.usergroups.get(args.get("usergroup", ""), [])}
        if method == "conversations.replies":
            return {"ok": True, "messages": [], "has_more": False}
        return {"ok": True}

    def record(self, method: str, args: dict[str, Any], result: dict[str, Any]) -> None:
        with self._lock:
            self.calls.append(Call(method, args, time.perf_counter(), result))
            self._lock.notify_all()

    # --- what tests ask ----------------------------------------------------------------------

    def of(self, method: str, **match: Any) -> list[Call]:
        """Recorded calls of `method` whose arguments include `match`."""
        with self._lock:
            calls = list(self.calls)
        return [c for c in calls if c.method == method and _matches(c, match)]

    def wait_for(self, predicate: Callable[[list[Call]], Any], timeout: float = 10.0) -> Any:
        """Block until `predicate(calls)` is truthy; returns its value, or raises TimeoutError."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                value = predicate(list(self.calls))
                if value:
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"stand-in saw: {[c.method for c in self.calls]}")
                self._lock.wait(remaining)

    def wait_call(self, method: str, count: int = 1, timeout: float = 10.0, **match: Any):
        """The first `count` calls of `method` matching `match`, once that many arrived."""

        def enough(calls: list[Call]) -> list[Call] | None:
            found = [c for c in calls if c.method == method and _matches(c, match)]
            return found[:count] if len(found) >= count else None

        return self.wait_for(enough, timeout)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                args = parse_body(body, self.headers.get("Content-Type") or "")
                if self.path.startswith("/api/"):
                    method = self.path.removeprefix("/api/")
                    answer = standin.answer(method, args)
                else:
                    method, answer = "response_url", {"ok": True}
                standin.record(method, args, answer)
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def _matches(call: Call, match: Mapping[str, Any]) -> bool:
    return all(call.args.get(key) == value for key, value in match.items())


def parse_body(body: bytes, content_type: str) -> dict[str, Any]:
    """slack_sdk sends JSON for some methods and form fields for others; blocks may be a JSON
    string inside a form."""
    if "json" in content_type:
        return json.loads(body or b"{}")
    args: dict[str, Any] = dict(urllib.parse.parse_qsl(body.decode()))
    for key in ("blocks", "attachments"):
        if isinstance(args.get(key), str):
            args[key] = json.loads(args[key])
    return args


# --- requests as Slack sends them ------------------------------------------------------------


def signed_post(
    url: str,
    body: str,
    secret: str,
    content_type: str,
    timestamp: int | None = None,
    signature: str | None = None,
) -> tuple[int, str]:
    """POST `body` signed with `secret` (or the given forged `signature`); (status, text)."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    expected = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature or str(expected),
    }
    request = urllib.request.Request(url, body.encode(), headers, method="POST")
    try:
        with _DIRECT.open(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def event_body(event: dict[str, Any], event_id: str) -> str:
    return json.dumps(
        {
            "token": "legacy-unused",
            "team_id": TEAM,
            "api_app_id": "AHALOPS",
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
        }
    )


def mention_event(
    text: str, user: str, channel: str, ts: str, thread_ts: str | None = None
) -> dict[str, Any]:
    event = {
        "type": "app_mention",
        "user": user,
        "text": f"<@{BOT_USER}> {text}",
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
    }
    return {**event, "thread_ts": thread_ts} if thread_ts else event


def dm_event(text: str, user: str, channel: str, ts: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "message",
        "channel_type": "im",
        "user": user,
        "text": text,
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
        **extra,
    }


def block_actions_body(
    action_id: str,
    value: str,
    user: str,
    channel: str,
    message_ts: str,
    response_url: str,
) -> str:
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "team_id": TEAM},
        "api_app_id": "AHALOPS",
        "token": "legacy-unused",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel},
        "trigger_id": "1.2.3",
        "team": {"id": TEAM, "domain": "lab"},
        "channel": {"id": channel, "name": "ops"},
        "message": {"type": "message", "ts": message_ts, "text": "Approval needed"},
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "halops_approval",
                "value": value,
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


def slash_command_body(text: str, user: str, channel: str, response_url: str) -> str:
    return urllib.parse.urlencode(
        {
            "token": "legacy-unused",
            "team_id": TEAM,
            "channel_id": channel,
            "user_id": user,
            "command": "/halops",
            "text": text,
            "response_url": response_url,
            "trigger_id": "1.2.3",
            "api_app_id": "AHALOPS",
        }
    )


FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
