"""Talking to an OpenAI-compatible endpoint without anything leaving the building by accident.

- Where: an endpoint whose host is not a loopback or private address (after resolving its
  name) is refused unless the config says `allow_remote: true`.
- What: every message is scrubbed with the project's scanner before it is sent, then scanned
  again; anything still flagged stops the run instead of being sent.
- How often: answers are cached on disk under a hash of everything that decides them (model,
  messages, sampling settings), so a rerun, or a run resumed after a crash, asks only what is
  new. Calls are spaced to `requests_per_minute`, and connection errors, timeouts, 429 and 5xx
  answers are retried with exponential backoff and jitter (tenacity).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import os
import socket
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from halops.augment.config import EndpointConfig
from halops.contract import scrub

log = logging.getLogger(__name__)

# The key is only sent as the bearer token; servers without auth (llama.cpp) ignore it.
NO_KEY = "sk-no-key-configured"


class RemoteEndpointError(ValueError):
    """The endpoint is not on loopback or a private network and remote use was not allowed."""


class UnscrubbedTextError(RuntimeError):
    """Text about to be sent still holds a secret after scrubbing: nothing is sent."""


def endpoint_addresses(base_url: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """The addresses the endpoint's host name resolves to (an IP literal is itself)."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"endpoint base_url must be an http(s) URL with a host: {base_url!r}")
    host = parts.hostname
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError:
        return []  # unresolvable: not known to be local
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


def is_local_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Loopback, RFC 1918 / RFC 4193 private, or link-local: inside the building."""
    return address.is_loopback or address.is_private or address.is_link_local


def check_endpoint(cfg: EndpointConfig) -> None:
    """Raise RemoteEndpointError for a remote endpoint unless `allow_remote` is set.

    A name counts as local only if *every* address it resolves to is local; a name that does
    not resolve counts as remote (fail closed).
    """
    addresses = endpoint_addresses(cfg.base_url)
    if addresses and all(is_local_address(a) for a in addresses):
        return
    if cfg.allow_remote:
        log.warning("sending scrubbed text to remote endpoint %s (allow_remote)", cfg.base_url)
        return
    found = ", ".join(map(str, addresses)) or "unresolved"
    raise RemoteEndpointError(
        f"endpoint {cfg.base_url} is not on loopback or a private network ({found}); set "
        "augment.synthetic.allow_remote: true to send scrubbed text there"
    )


def scrub_outgoing(messages: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """Scrubbed messages and the number of redactions; raises if a scan still finds a secret."""
    scrubbed, findings = scrub.scrub_messages(messages)
    for index, message in enumerate(scrubbed):
        left = scrub.scan_text(str(message.get("content") or ""))
        if left:
            raise UnscrubbedTextError(f"message {index}: {left[0].rule} survived scrubbing")
    return scrubbed, len(findings)


@dataclass
class ResponseCache:
    """One JSON file per request hash; written atomically, so a killed run leaves no half file."""

    folder: Path

    def path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> str | None:
        path = self.path(key)
        if not path.is_file():
            return None
        return str(json.loads(path.read_text(encoding="utf-8"))["content"])

    def put(self, key: str, request: dict[str, Any], content: str) -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        record = json.dumps({"request": request, "content": content}, ensure_ascii=False)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as tmp:
            tmp.write(record)
        os.replace(tmp.name, path)


def request_key(request: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()


@dataclass
class RateLimiter:
    """At most `per_minute` calls a minute, evenly spaced. Hand-written: one monotonic clock
    and a sleep; a token-bucket library would add a dependency for the same six lines."""

    per_minute: float
    _next: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            delay = self._next - now
            self._next = max(now, self._next) + 60.0 / self.per_minute
        if delay > 0:
            time.sleep(delay)


@dataclass
class EndpointStats:
    sent: int = 0
    cached: int = 0
    retries: int = 0
    redactions: int = 0


class ChatEndpoint:
    """`complete(messages)` -> the answer's text, cached, scrubbed, rate-limited, retried."""

    def __init__(
        self, cfg: EndpointConfig, cache_dir: Path, client: Any = None, backoff_s: float = 1.0
    ) -> None:
        check_endpoint(cfg)
        self.cfg = cfg
        self.cache = ResponseCache(Path(cache_dir))
        self.client = client or self._client()
        self.limiter = RateLimiter(cfg.requests_per_minute)
        self.backoff_s = backoff_s
        self.stats = EndpointStats()

    def _client(self) -> Any:
        import openai

        key = os.environ.get(self.cfg.api_key_env) or NO_KEY
        # Retries are ours (tenacity, logged and counted), so the client's own are off.
        return openai.OpenAI(
            base_url=self.cfg.base_url, api_key=key, timeout=self.cfg.timeout_s, max_retries=0
        )

    def complete(self, messages: list[dict[str, Any]], temperature: float | None = None) -> str:
        outgoing, redactions = scrub_outgoing(messages)
        self.stats.redactions += redactions
        request = {
            "model": self.cfg.model,
            "messages": outgoing,
            "temperature": self.cfg.temperature if temperature is None else temperature,
            "max_tokens": self.cfg.max_tokens,
            "seed": self.cfg.seed,
        }
        key = request_key(request)
        cached = self.cache.get(key)
        if cached is not None:
            self.stats.cached += 1
            return cached
        content = self._send(request)
        self.cache.put(key, request, content)
        return content

    def _send(self, request: dict[str, Any]) -> str:
        import openai
        from tenacity import (
            Retrying,
            retry_if_exception_type,
            stop_after_attempt,
            wait_exponential_jitter,
        )

        transient = (
            openai.APIConnectionError,  # includes APITimeoutError
            openai.RateLimitError,
            openai.InternalServerError,
        )
        retrying = Retrying(
            stop=stop_after_attempt(self.cfg.max_retries + 1),
            wait=wait_exponential_jitter(
                multiplier=self.backoff_s, max=60 * self.backoff_s, jitter=self.backoff_s
            ),
            retry=retry_if_exception_type(transient),
            before_sleep=self._count_retry,
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                self.limiter.wait()
                self.stats.sent += 1
                response = self.client.chat.completions.create(**request)
        return str(response.choices[0].message.content or "")

    def _count_retry(self, state: Any) -> None:
        self.stats.retries += 1
        log.warning("endpoint: %s; retry %d", state.outcome.exception(), state.attempt_number)
