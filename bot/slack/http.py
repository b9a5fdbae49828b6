"""HTTP mode: every request is checked at the door, then handed to Bolt; waitress serves it.

The door (`SlackRequestGate`, a WSGI app) answers bad input with a 4xx and does nothing else:
1. only `POST /slack/events` (404, 405);
2. the body's size is capped by the server: waitress answers 413 from the Content-Length
   header before reading the body (and stops a chunked body at the cap);
3. the signature is verified on the raw bytes, before anything is decoded or parsed (401);
4. the body must be what Slack sends: a JSON object of the Events API as `application/json`,
   a form with a JSON `payload` (interactivity) or a slash command's form fields as
   `application/x-www-form-urlencoded` (415 for another type, 400 for a bad body);
5. signed bytes seen before within the replay window are a replay (409), also after a restart;
6. then Bolt dispatches it. Every rejection is logged as one bounded line; bodies never.

Why waitress (a maintained pure-Python WSGI server) rather than the stdlib server or our own
socket code: it reads each request completely in its event loop before a worker thread sees
it, so slow clients hold no worker (only a connection, closed after `read_timeout_s` of
silence); it caps bodies (413), has a fixed worker pool, a connection limit and a real listen
backlog; and it runs in this process, which the approvals, their SQLite store and the parked
conversations need (a pre-forking server such as gunicorn would split them across processes).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from slack_bolt import App
from slack_bolt.request import BoltRequest
from waitress import wasyncore
from waitress.server import create_server

from bot.slack.config import SCHEMA_PATH, HttpLimits
from bot.slack.logs import one_line
from bot.slack.seen import SeenRequests
from halops.contract.configfile import schema_defaults

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
LOOP_POLL_S = 0.05  # how soon the server loop notices close()
SIGNATURE_MAX_AGE_S = 300  # Slack's own rule: a timestamp further than 5 minutes off is refused
JSON_TYPE, FORM_TYPE = "application/json", "application/x-www-form-urlencoded"
EVENTS_API_TYPES = frozenset({"event_callback", "url_verification", "app_rate_limited"})
INTERACTION_TYPES = frozenset(
    {
        "block_actions",
        "block_suggestion",
        "interactive_message",
        "message_action",
        "shortcut",
        "view_closed",
        "view_submission",
    }
)
FORWARDED_HEADERS = (
    "content-type",
    "x-slack-request-timestamp",
    "x-slack-signature",
    "x-slack-retry-num",
    "x-slack-retry-reason",
)


DEFAULT_LIMITS = HttpLimits(**schema_defaults(SCHEMA_PATH, "http"))


class Rejected(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


@dataclass(frozen=True)
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


STATUS_TEXT = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    411: "Length Required",
    415: "Unsupported Media Type",
    500: "Internal Server Error",
}


class SlackRequestGate:
    """The WSGI app in front of Bolt (see the module doc for the order of the checks)."""

    def __init__(
        self,
        app: App,
        signing_secret: str,
        seen: SeenRequests,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.app, self.seen, self.clock = app, seen, clock
        self._secret = signing_secret.encode()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        try:
            reply = self.handle(environ)
        except Rejected as rejected:
            log.warning(
                "rejected %s: %d %s", request_summary(environ), rejected.status, rejected.reason
            )
            reply = text_reply(rejected.status, rejected.reason)
        except Exception:  # a bug, not the sender's fault: say so without details
            log.exception("request failed: %s", request_summary(environ))
            reply = text_reply(500, "internal error")
        status = f"{reply.status} {STATUS_TEXT.get(reply.status, 'Unknown')}"
        start_response(status, [*reply.headers, ("Content-Length", str(len(reply.body)))])
        return [reply.body]

    def handle(self, environ: dict[str, Any]) -> Reply:
        if environ.get("PATH_INFO") != EVENTS_PATH:
            raise Rejected(404, "not found")
        if environ.get("REQUEST_METHOD") != "POST":
            raise Rejected(405, "only POST")
        body = read_body(environ)
        signature = self.verified_signature(environ, body)
        media = media_type(environ)
        text = check_body(body, media)
        if not self.seen.first_time(f"signature:{signature}"):
            raise Rejected(409, "replayed request (these signed bytes were seen before)")
        request = BoltRequest(
            body=text, query=environ.get("QUERY_STRING") or "", headers=slack_headers(environ)
        )
        response = self.app.dispatch(request)
        headers = [(name, value) for name, values in response.headers.items() for value in values]
        body_out = (response.body or "").encode()
        return Reply(
            response.status, [h for h in headers if h[0].lower() != "content-length"], body_out
        )

    def verified_signature(self, environ: dict[str, Any], body: bytes) -> str:
        """Slack's v0 HMAC over the raw bytes. Computed here rather than with slack_sdk's
        SignatureVerifier, which decodes the body as UTF-8 first (and raises on bad bytes)."""
        stamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
        signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
        if not (stamp.isascii() and stamp.isdigit()) or len(stamp) > 12:
            raise Rejected(401, "missing or malformed X-Slack-Request-Timestamp")
        if abs(self.clock() - int(stamp)) > SIGNATURE_MAX_AGE_S:
            raise Rejected(401, "stale or future X-Slack-Request-Timestamp")
        mac = hmac.new(self._secret, b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
        if not hmac.compare_digest(f"v0={mac.hexdigest()}", signature):
            raise Rejected(401, "bad signature")
        return signature


def read_body(environ: dict[str, Any]) -> bytes:
    """Exactly Content-Length bytes (waitress has already refused a body over the cap)."""
    raw = environ.get("CONTENT_LENGTH") or ""
    if not raw.isdigit():
        raise Rejected(411, "Content-Length required")
    length = int(raw)
    body = environ["wsgi.input"].read(length)
    if len(body) != length:
        raise Rejected(400, "body shorter than Content-Length")
    return body


def media_type(environ: dict[str, Any]) -> str:
    return (environ.get("CONTENT_TYPE") or "").split(";", 1)[0].strip().lower()


def check_body(body: bytes, media: str) -> str:
    """The body as text once it is known to be what Slack sends with this content type."""
    if media not in (JSON_TYPE, FORM_TYPE):
        raise Rejected(415, f"content type must be {JSON_TYPE} or {FORM_TYPE}")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Rejected(400, f"body is not UTF-8 (byte {exc.start})") from None
    if media == JSON_TYPE:
        check_events_api(parse_json_object(text, "body"))
    else:
        check_form(text)
    return text


def parse_json_object(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise Rejected(400, f"{what} is not JSON ({type(exc).__name__})") from None
    if not isinstance(value, dict):
        raise Rejected(400, f"{what} must be a JSON object, not {type(value).__name__}")
    return value


def check_events_api(body: dict[str, Any]) -> None:
    kind = body.get("type")
    if kind not in EVENTS_API_TYPES:
        raise Rejected(400, "JSON body is not an Events API request (type)")
    if kind == "event_callback":
        event = body.get("event")
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            raise Rejected(400, "event_callback without an event object")
        if not isinstance(body.get("event_id"), str):
            raise Rejected(400, "event_callback without an event_id")


def check_form(text: str) -> None:
    try:
        fields = urllib.parse.parse_qs(text, strict_parsing=True, max_num_fields=64)
    except ValueError:
        raise Rejected(400, "form body cannot be parsed") from None
    if any(len(values) != 1 for values in fields.values()):
        raise Rejected(400, "form field given twice")
    if "ssl_check" in fields:  # Slack's check of the request URL; Bolt answers it
        return None
    if "payload" in fields:
        return check_interaction(parse_json_object(fields["payload"][0], "payload"))
    missing = [f for f in ("command", "user_id", "channel_id") if f not in fields]
    if missing:
        raise Rejected(400, f"form is neither an interaction nor a slash command ({missing[0]})")


def check_interaction(payload: dict[str, Any]) -> None:
    if payload.get("type") not in INTERACTION_TYPES:
        raise Rejected(400, "payload is not an interaction (type)")
    user = payload.get("user")
    if not isinstance(user, dict) or not isinstance(user.get("id"), str):
        raise Rejected(400, "interaction without a user id")
    if payload["type"] == "block_actions":
        actions = payload.get("actions")
        if not isinstance(actions, list) or not all(isinstance(a, dict) for a in actions):
            raise Rejected(400, "block_actions without a list of actions")


def slack_headers(environ: dict[str, Any]) -> dict[str, str | Sequence[str]]:
    headers: dict[str, str | Sequence[str]] = {}
    for name in FORWARDED_HEADERS:
        key = "CONTENT_TYPE" if name == "content-type" else "HTTP_" + name.upper().replace("-", "_")
        if key in environ:
            headers[name] = environ[key]
    return headers


def request_summary(environ: dict[str, Any]) -> str:
    """Who sent what, in a few bounded and escaped fields; never the body."""
    return (
        f"{one_line(str(environ.get('REQUEST_METHOD', '?')), 10)} "
        f"{one_line(str(environ.get('PATH_INFO', '?')), 80)} "
        f"from {environ.get('REMOTE_ADDR', '?')} "
        f"({one_line(str(environ.get('CONTENT_LENGTH') or 0), 12)} bytes, "
        f"type {one_line(str(environ.get('CONTENT_TYPE') or '-'), 60)})"
    )


def text_reply(status: int, text: str) -> Reply:
    return Reply(status, [("Content-Type", "text/plain; charset=utf-8")], f"{text}\n".encode())


class SlackHTTPServer:
    """Waitress on `host:port` serving the gate; `with SlackHTTPServer(...) as s:` serves in a
    thread (tests), `serve_forever()` in the caller's (the CLI, which SIGTERM interrupts)."""

    def __init__(
        self,
        gate: SlackRequestGate,
        host: str = "127.0.0.1",
        port: int = 3000,
        limits: HttpLimits = DEFAULT_LIMITS,
    ) -> None:
        self.server: Any = create_server(
            gate,
            host=host,
            port=port,
            threads=limits.workers,
            backlog=limits.backlog,
            connection_limit=limits.connection_limit,
            channel_timeout=limits.read_timeout_s,
            cleanup_interval=max(1, limits.read_timeout_s // 2),
            max_request_body_size=limits.max_body_bytes,
            max_request_header_size=64 * 1024,
            asyncore_use_poll=True,  # select() stops at 1024 descriptors
            ident="halops",
            clear_untrusted_proxy_headers=True,
        )
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def url(self) -> str:
        return f"http://{self.server.effective_host}:{self.server.effective_port}{EVENTS_PATH}"

    def serve_forever(self) -> None:
        """Serve until `close()` (another thread) or a KeyboardInterrupt (SIGTERM in the CLI)."""
        try:
            while not self._stopping.is_set():
                # waitress's own event loop, one poll at a time so a stop request is seen
                # within LOOP_POLL_S; the server's run() only ends on a signal.
                wasyncore.loop(LOOP_POLL_S, use_poll=True, map=self.server._map, count=1)
        finally:
            self._close_everything()

    def _close_everything(self) -> None:
        """In the loop's thread: every connection, the listening socket, the workers."""
        for channel in list(self.server._map.values()):
            channel.close()
        self.server.task_dispatcher.shutdown(timeout=2)

    def __enter__(self) -> SlackHTTPServer:
        self._thread = threading.Thread(target=self.serve_forever, name="halops-http", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop serving from another thread and wait for the loop to close everything."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
