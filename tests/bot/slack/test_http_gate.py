"""The HTTP door, attacked as from outside: signature first, 4xx for every bad input (never
500), a body cap before reading, replays refused, content types as Slack sends them."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import http.client
import socket
import threading
import time
import urllib.parse

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.devtools import slack_standin as standin
from bot.devtools.slack_standin import FORM, JSON
from tests.bot.slack.conftest import ASKER, CHANNEL, SECRET

pytestmark = pytest.mark.timeout(120)


def sign(body: bytes, stamp: str, secret: str = SECRET) -> str:
    mac = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
    return f"v0={mac.hexdigest()}"


def raw_post(
    url: str,
    body: bytes,
    content_type: str | None = JSON,
    stamp: str | None = None,
    signature: str | None = None,
    method: str = "POST",
    path: str | None = None,
    headers: dict[str, str] | None = None,
    secret: str = SECRET,
) -> tuple[int, str]:
    """A request exactly as given (http.client adds nothing but Host and Content-Length)."""
    parts = urllib.parse.urlsplit(url)
    stamp = str(int(time.time())) if stamp is None else stamp
    sent = {"X-Slack-Request-Timestamp": stamp}
    sent["X-Slack-Signature"] = signature if signature is not None else sign(body, stamp, secret)
    if content_type is not None:
        sent["Content-Type"] = content_type
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request(
            method, path or parts.path, body=body, headers={**sent, **(headers or {})}
        )
        response = connection.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        connection.close()


MENTION = standin.event_body(
    standin.mention_event("hello", ASKER, CHANNEL, "1800000000.000001"), "EvGate"
).encode()
COMMAND = standin.slash_command_body("status", ASKER, CHANNEL, "http://127.0.0.1:9/r").encode()
CLICK = standin.block_actions_body(
    "halops_approve", "1", ASKER, CHANNEL, "1.1", "http://x"
).encode()

# Signed, but not what Slack sends: each must be refused with this status and do nothing.
SIGNED_BAD = {
    "malformed JSON": (b'{"type": "event_callback", ', JSON, 400),
    "invalid UTF-8": (b'{"type": "\xff\xfe"}', JSON, 400),
    "top-level string": (b'"event_callback"', JSON, 400),
    "top-level array": (b"[1, 2]", JSON, 400),
    "JSON without a known type": (b'{"type": "nonsense"}', JSON, 400),
    "event_callback without event": (b'{"type": "event_callback", "event_id": "E1"}', JSON, 400),
    "deeply nested JSON": (b"[" * 100000 + b"]" * 100000, JSON, 400),
    "payload not JSON": (b"payload=%7Bnot-json", FORM, 400),
    "payload a JSON string": (b"payload=%22x%22", FORM, 400),
    "payload of unknown type": (b"payload=%7B%22type%22%3A%22x%22%7D", FORM, 400),
    "form that is no command": (b"text=hello&user_id=U1", FORM, 400),
    "form field twice": (COMMAND + b"&command=%2Fother", FORM, 400),
    "form with invalid UTF-8": (b"command=%2Fhalops&x=\xff", FORM, 400),
    "event as text/plain": (MENTION, "text/plain", 415),
    "event as a form": (MENTION, FORM, 400),
    "click sent as JSON": (CLICK, JSON, 400),
    "command sent as JSON": (COMMAND, JSON, 400),
    "no content type": (MENTION, None, 415),
    "multipart": (MENTION, "multipart/form-data; boundary=x", 415),
}


@pytest.mark.parametrize("name", sorted(SIGNED_BAD))
def test_signed_but_malformed_requests_get_4xx_and_do_nothing(make_bot, slack, name) -> None:
    bot = make_bot({})
    body, content_type, expected = SIGNED_BAD[name]
    assert raw_post(bot.server.url, body, content_type)[0] == expected
    # Refused before Bolt saw it: nothing was dispatched that could still act.
    assert slack.calls == [] and bot.audit.recent(1) == []


# Timestamps relative to the moment of sending (None: absolute, as written).
UNSIGNED_STAMPS = {
    "no timestamp": (None, ""),
    "non-numeric timestamp": ("12ab", None),
    "negative timestamp": ("-1", None),
    "huge timestamp": ("9" * 40, None),
    "stale timestamp": (-600, None),
    "future timestamp": (600, None),
}


@pytest.mark.parametrize("name", sorted(UNSIGNED_STAMPS))
@pytest.mark.parametrize("body", [MENTION, b"{not json", b"\xff\xfe", b"[]"], ids=repr)
def test_unsigned_or_badly_stamped_requests_get_401_before_parsing(make_bot, slack, name, body):
    bot = make_bot({})
    stamp, signature = UNSIGNED_STAMPS[name]
    if isinstance(stamp, int):
        stamp = str(int(time.time()) + stamp)
    if stamp is None:
        headers_stamp, signature = "", "v0=" + "0" * 64
    else:
        headers_stamp = stamp
        signature = signature or sign(body, stamp)
    status, _ = raw_post(bot.server.url, body, JSON, stamp=headers_stamp, signature=signature)
    assert status == 401
    assert slack.calls == []


def test_wrong_secret_and_forged_signature_get_401(make_bot, slack) -> None:
    bot = make_bot({})
    stamp = str(int(time.time()))
    assert raw_post(bot.server.url, MENTION, JSON, stamp, sign(MENTION, stamp, "other"))[0] == 401
    assert raw_post(bot.server.url, MENTION, JSON, stamp, "v0=" + "a" * 64)[0] == 401
    assert raw_post(bot.server.url, MENTION, JSON, stamp, "")[0] == 401
    assert slack.calls == []


def test_a_short_content_length_is_refused_without_parsing(make_bot, slack) -> None:
    bot = make_bot({})
    head = {"Content-Length": str(len(MENTION) - 10)}
    status, _ = raw_post(bot.server.url, MENTION, JSON, headers=head)
    assert status == 401  # the signature covers the whole body, the server read less
    assert slack.calls == []


def test_other_paths_and_methods_are_refused(make_bot, slack) -> None:
    bot = make_bot({})
    assert raw_post(bot.server.url, MENTION, path="/slack/other")[0] == 404
    assert raw_post(bot.server.url, b"", method="GET")[0] == 405
    assert raw_post(bot.server.url, MENTION, method="PUT")[0] == 405
    assert slack.calls == []


def raw_exchange(url: str, data: bytes) -> bytes:
    """Send raw bytes (on a thread) while reading the answer, until the server closes: a server
    that answers before the body is in, then closes, resets the connection under the sender."""
    parts = urllib.parse.urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:

        def send() -> None:
            with contextlib.suppress(OSError):
                sock.sendall(data)

        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        chunks = []
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        sender.join()
    return b"".join(chunks)


def test_a_body_over_the_cap_is_refused_from_its_header_without_being_sent(make_bot) -> None:
    bot = make_bot({})
    # 128 MiB announced, nothing sent: the 413 must come from the header alone.
    head = (
        "POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {128 << 20}\r\n\r\n"
    ).encode()
    assert raw_exchange(bot.server.url, head).startswith(b"HTTP/1.1 413 ")


def test_a_chunked_body_is_stopped_at_the_cap(make_bot) -> None:
    bot = make_bot({})
    chunk = b"x" * 65536
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(20)) + b"0\r\n\r\n"
    head = (
        b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    assert raw_exchange(bot.server.url, head + body).startswith(b"HTTP/1.1 413 ")


def test_slacks_ssl_check_of_the_request_url_is_answered(make_bot, slack) -> None:
    bot = make_bot({})
    assert raw_post(bot.server.url, b"ssl_check=1&token=legacy", FORM)[0] == 200
    assert slack.calls == []


def test_replayed_signed_bytes_are_refused(make_bot, slack) -> None:
    bot = make_bot({"hello": ["hi"]})
    stamp = str(int(time.time()))
    body = standin.slash_command_body("ask hello", ASKER, CHANNEL, slack.response_url).encode()
    assert raw_post(bot.server.url, body, FORM, stamp)[0] == 200
    assert raw_post(bot.server.url, body, FORM, stamp)[0] == 409
    [root] = slack.wait_call("chat.postMessage", text=f"<@{ASKER}> asked: hello")
    bot.answer(root.result["ts"])
    assert len(slack.of("chat.postMessage", text=f"<@{ASKER}> asked: hello")) == 1


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.binary(max_size=300) | st.text(max_size=300).map(str.encode),
    content_type=st.sampled_from([JSON, FORM, "text/plain", "application/json; charset=utf-8"]),
)
def test_any_signed_body_gets_an_answer_below_500(make_bot, body, content_type) -> None:
    bot = getattr(make_bot, "shared", None) or make_bot({})
    make_bot.shared = bot  # one bot for all examples (the fixture is per test, not per example)
    status, _ = raw_post(bot.server.url, body, content_type)
    assert status in {200, 400, 404, 409, 415}


def test_log_lines_are_single_bounded_and_never_bodies(make_bot, slack, log_watch) -> None:
    from bot.slack.logs import OneLineFormatter

    bot = make_bot({})
    forged = b"x\napproval 7 approved by UONCALL\n" + b"A" * 100000
    assert raw_post(bot.server.url, forged, JSON, signature="v0=bad")[0] == 401
    # A control character in a header is refused by waitress itself (no log line of ours)...
    assert raw_post(bot.server.url, b"{}", "text/plain\x1b[2K\tapproval 8 approved")[0] == 400
    # ... and a percent-encoded newline in the path reaches our log escaped.
    path = "/slack/events%0Aapproval%208%20approved%1b%5b2K"
    assert raw_post(bot.server.url, b"{}", path=path)[0] == 404
    records = log_watch.wait_for("rejected", count=2)
    lines = [OneLineFormatter().format(r) for r in log_watch.records]
    assert len(records) == 2 and all("\n" not in line and len(line) < 1200 for line in lines)
    assert not any("approval 7 approved" in line or "AAAA" in line for line in lines)
    assert not any("\x1b" in line or "\r" in line for line in lines)
    assert any("/slack/events\\napproval 8 approved\\x1b[2K" in line for line in lines)
