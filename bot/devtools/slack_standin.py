"""A local stand-in for Slack, for tests, the benchmark and staging (no network, loopback only).

`SlackAPIStandIn` answers the Web API methods the bot calls (point `SLACK_API_URL` at
`.api_url`) and records each call with its arguments. `signed_post` sends what Slack would send
to the bot's request URL: a body signed with the v0 HMAC scheme. The `*_body` functions build
the event, interaction and slash command bodies.

Socket Mode: `apps.connections.open` answers with a `ws://127.0.0.1` URL of the stand-in's own
WebSocket server (the `websockets` library). Once the bot is connected, `send_envelope` delivers
an event, interaction or slash command the way Slack does, `wait_ack` waits for the bot's
acknowledgement, and `drop_connections` closes every connection (the bot must reconnect).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from slack_sdk.signature import SignatureVerifier
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

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

    def __init__(
        self,
        usergroups: Mapping[str, list[str]] | None = None,
        revoked_tokens: frozenset[str] = frozenset(),
    ) -> None:
        self.usergroups = dict(usergroups or {})
        self.revoked_tokens = revoked_tokens  # auth.test answers invalid_auth for these
        self.calls: list[Call] = []
        self._lock = threading.Condition()
        self._ts = itertools.count(1)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self.ws_server = serve(self._socket_mode_session, "127.0.0.1", 0, compression=None)
        self._ws_thread = threading.Thread(target=self.ws_server.serve_forever, daemon=True)
        self._sockets: list[ServerConnection] = []
        self.acks: dict[str, dict[str, Any]] = {}  # envelope id -> the bot's acknowledgement

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

    @property
    def ws_url(self) -> str:
        host, port = self.ws_server.socket.getsockname()[:2]
        return f"ws://{host}:{port}/link"

    def __enter__(self) -> SlackAPIStandIn:
        self._thread.start()
        self._ws_thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.drop_connections()
        self.ws_server.shutdown()

    # --- Socket Mode ---------------------------------------------------------------------------

    def _socket_mode_session(self, websocket: ServerConnection) -> None:
        with self._lock:
            self._sockets.append(websocket)
            self._lock.notify_all()
        websocket.send(json.dumps({"type": "hello", "num_connections": 1}))
        try:
            for message in websocket:
                ack = json.loads(message)
                with self._lock:
                    self.acks[str(ack.get("envelope_id"))] = ack
                    self._lock.notify_all()
        except ConnectionClosed:
            pass
        finally:
            with self._lock:
                self._sockets.remove(websocket)
                self._lock.notify_all()

    def wait_connected(self, count: int = 1, timeout: float = 30.0) -> None:
        """Until `count` Socket Mode connections are open (a reconnect opens a new one)."""
        opened = lambda calls: len([c for c in calls if c.method == "apps.connections.open"])  # noqa: E731
        with self._lock:
            if not self._lock.wait_for(
                lambda: bool(self._sockets) and opened(self.calls) >= count, timeout
            ):
                raise TimeoutError(f"no Socket Mode connection #{count}")

    def send_envelope(self, kind: str, payload: dict[str, Any], retry_attempt: int = 0) -> str:
        """Deliver `payload` as Slack does over Socket Mode; returns the envelope id."""
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,  # events_api | interactive | slash_commands
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
            "retry_attempt": retry_attempt,
            "retry_reason": "timeout" if retry_attempt else "",
        }
        with self._lock:
            socket = self._sockets[-1]
        socket.send(json.dumps(envelope))
        return envelope_id

    def wait_ack(self, envelope_id: str, timeout: float = 30.0) -> dict[str, Any]:
        with self._lock:
            if not self._lock.wait_for(lambda: envelope_id in self.acks, timeout):
                raise TimeoutError(f"envelope {envelope_id} was never acknowledged")
            return self.acks[envelope_id]

    def drop_connections(self) -> None:
        with self._lock:
            sockets = list(self._sockets)
        for websocket in sockets:
            websocket.close()

    # --- what the bot sees -------------------------------------------------------------------

    def answer(self, method: str, args: dict[str, Any], token: str = "") -> dict[str, Any]:
        ts = f"1700000000.{next(self._ts):06d}"
        if token in self.revoked_tokens:
            return {"ok": False, "error": "invalid_auth"}
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
        if method == "apps.connections.open":
            return {"ok": True, "url": self.ws_url}
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
                    token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
                    answer = standin.answer(method, args, token)
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
    """An Approve/Deny click as the HTTP form Slack posts."""
    payload = block_actions_payload(action_id, value, user, channel, message_ts, response_url)
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


def block_actions_payload(
    action_id: str,
    value: str,
    user: str,
    channel: str,
    message_ts: str,
    response_url: str,
) -> dict[str, Any]:
    """The click itself (what Socket Mode delivers as an `interactive` envelope)."""
    return {
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


def slash_command_body(text: str, user: str, channel: str, response_url: str) -> str:
    return urllib.parse.urlencode(slash_command_fields(text, user, channel, response_url))


def slash_command_fields(text: str, user: str, channel: str, response_url: str) -> dict[str, str]:
    """A slash command's fields (Socket Mode delivers them as a `slash_commands` envelope)."""
    return {
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


FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
