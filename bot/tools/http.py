"""HTTP requests to lab services (Proxmox, Prometheus, switch and NAS APIs) with the stdlib."""

from __future__ import annotations

import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from email.message import Message
from typing import Any
from urllib.parse import urlsplit

from bot.tools.base import (
    DEFAULT_OUTPUT_CAP_BYTES,
    BoundedCapture,
    ToolResult,
    cap_output,
    elapsed_since,
    require_str,
)
from halops.contract.tools import HTTP_SPEC, METHODS, READ_ONLY_METHODS

SCHEMES = ("http", "https")
SHOWN_HEADERS = ("Content-Type", "Content-Length", "Location")
READ_CHUNK = 65536


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Return redirects to the caller instead of following them: the policy approved this
    URL's host, not wherever a 302 points."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class HttpExecutor:
    """One request per call, no proxies from the environment, no redirects followed."""

    spec = HTTP_SPEC

    def __init__(
        self, cap_bytes: int = DEFAULT_OUTPUT_CAP_BYTES, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        self.cap_bytes = cap_bytes
        # An explicit empty ProxyHandler: an `http_proxy` in the bot's environment must not
        # route lab traffic (or its credentials) through a third party.
        self._opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}),
            urllib.request.HTTPSHandler(context=ssl_context or ssl.create_default_context()),
            _NoRedirect(),
        )

    def execute(
        self, args: dict[str, Any], timeout_s: float, *, allow_compound: bool = False
    ) -> ToolResult:
        start = time.monotonic()
        request = build_request(args)
        if isinstance(request, str):
            return ToolResult.failure("bad_arguments", request)
        try:
            response = self._opener.open(request, timeout=timeout_s)
        except urllib.error.HTTPError as exc:
            response = exc  # 4xx/5xx and unfollowed 3xx still carry a status and a body
        except urllib.error.URLError as exc:
            return _connect_failure(exc.reason, request.full_url, elapsed_since(start))
        except (TimeoutError, OSError) as exc:
            return ToolResult.failure("timeout", f"no response: {exc}", elapsed_since(start))
        with response:
            return self._read(response, request.get_method(), start + timeout_s, start)

    def _read(self, response: Any, method: str, deadline: float, start: float) -> ToolResult:
        body, timed_out = BoundedCapture(self.cap_bytes), False
        if method != "HEAD":
            timed_out = _read_body(response, body, deadline)
        status = int(response.status)
        text = cap_output(_render(response, body, method), self.cap_bytes)
        duration = elapsed_since(start)
        if timed_out:
            return ToolResult.failure("timeout", f"{text}\n[body cut: timed out]", duration, status)
        if status >= 400:
            return ToolResult(False, text, status, "nonzero_exit", duration)
        return ToolResult(True, text, status, None, duration)


def build_request(args: Mapping[str, Any]) -> urllib.request.Request | str:
    """The request described by `args`, or why it cannot be built (a str)."""
    url = require_str(args, "url")
    method = str(args.get("method") or "GET").upper()
    if url is None:
        return "missing string argument 'url'"
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES or not parts.hostname:
        # Above all no file:// — urllib would read local files.
        return f"url must be http:// or https:// with a host, got {url!r}"
    if method not in METHODS:
        return f"method must be one of {', '.join(METHODS)}"
    headers = args.get("headers") or {}
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        return "headers must map header names to string values"
    body = args.get("body")
    data = body.encode() if isinstance(body, str) and method not in READ_ONLY_METHODS else None
    return urllib.request.Request(url, data=data, headers=headers, method=method)


def _read_body(response: Any, sink: BoundedCapture, deadline: float) -> bool:
    """Stream the body into `sink`; True when the overall deadline cut it short."""
    while True:
        if time.monotonic() >= deadline:
            return True
        try:
            chunk = (
                response.read1(READ_CHUNK)
                if hasattr(response, "read1")
                else response.read(READ_CHUNK)
            )
        except TimeoutError:
            return True
        if not chunk:
            return False
        sink.feed(chunk)


def _render(response: Any, body: BoundedCapture, method: str) -> str:
    headers: Message = response.headers
    lines = [f"HTTP {response.status} {response.reason}"]
    lines += [f"{name}: {headers[name]}" for name in SHOWN_HEADERS if headers.get(name)]
    if method == "HEAD":
        return "\n".join(lines)
    return "\n".join(lines) + "\n\n" + body.text()


def _connect_failure(reason: Any, url: str, duration: float) -> ToolResult:
    if isinstance(reason, ssl.SSLError):
        return ToolResult.failure("refused", f"TLS failure for {url}: {reason}", duration)
    if isinstance(reason, TimeoutError):
        return ToolResult.failure("host_down", f"no answer from {url} (connect timeout)", duration)
    return ToolResult.failure("host_down", f"cannot connect to {url}: {reason}", duration)
