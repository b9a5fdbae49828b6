"""Scrubbing OpenAI chat messages: content, tool-call arguments and every other string, with
values found in one message redacted in all of them (a password typed in a tool call is
redacted in the tool result that echoes it)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from halops.contract.scrub import (
    PROPAGATE_MIN_CHARS,
    Finding,
    Span,
    _merge,
    findings_of,
    redact,
    spans_in,
)


def _walk_strings(value: Any, fn: Any) -> Any:
    """Apply ``fn`` to every string leaf of a JSON value (tool-call argument objects)."""
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, list):
        return [_walk_strings(item, fn) for item in value]
    if isinstance(value, dict):
        return {key: _walk_strings(item, fn) for key, item in value.items()}
    return value


def json_container(text: str) -> Any | None:
    """The decoded value when ``text`` is a JSON object or array, else None."""
    if text[:1] not in ("{", "[") or not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _leaves(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)


class _MessageScrubber:
    """Scrubs every string of an example, sharing found values across its messages (a password
    typed in one tool call is redacted in the tool result that echoes it).

    JSON text is looked at both ways: raw, where keys give context (``{"password": "x"}``), and
    decoded, where escaped newlines become real ones (a PEM block inside a JSON string). Values
    found one way are redacted in the other by value; ``exact`` holds short values that only
    count when a whole string equals them, so a password ``admin`` does not blank every "admin".
    """

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.known: dict[str, str] = {}
        self.exact: dict[str, str] = {}

    def _remember(self, text: str, spans: list[Span]) -> None:
        for rule, start, end in spans:
            value = text[start:end]
            target = self.known if len(value) >= PROPAGATE_MIN_CHARS else self.exact
            target.setdefault(value, rule)

    def _discover(self, text: str) -> None:
        self._remember(text, spans_in(text))

    def text(self, text: str) -> str:
        nested = json_container(text)
        for leaf in _leaves(nested) if nested is not None else ():
            self._discover(leaf)
        spans = spans_in(text, [(rule, value) for value, rule in self.known.items()])
        stripped = text.strip()
        if stripped and stripped in self.exact:
            start = text.index(stripped)
            spans = _merge([*spans, (self.exact[stripped], start, start + len(stripped))])
        self._remember(text, spans)
        self.findings += findings_of(text, spans)
        return redact(text, spans)

    def arguments(self, arguments: str) -> str:
        # Arguments are a JSON string: redact the decoded leaves and re-encode, so a redaction
        # can never break the JSON; the raw text is scanned first for key context.
        decoded = json_container(arguments)
        if decoded is None:
            return self.text(arguments)
        self._discover(arguments)
        return json.dumps(_walk_strings(decoded, self.text), ensure_ascii=False)


def _scrub_message(message: dict[str, Any], scrubber: _MessageScrubber) -> dict[str, Any]:
    # Every string is scrubbed (names, ids too), not only content: the final re-scan reads every
    # string, and a field the scrubber skipped would fail the stage with nothing to fix it.
    out: dict[str, Any] = {}
    for key, value in message.items():
        if key == "role":
            out[key] = value
        elif key == "tool_calls" and isinstance(value, list):
            out[key] = [_scrub_tool_call(call, scrubber) for call in value]
        else:
            out[key] = _walk_strings(value, scrubber.text)
    return out


def _scrub_tool_call(call: dict[str, Any], scrubber: _MessageScrubber) -> dict[str, Any]:
    out = {k: _walk_strings(v, scrubber.text) for k, v in call.items() if k != "function"}
    function = call.get("function")
    if isinstance(function, dict):
        out["function"] = {
            key: scrubber.arguments(value)
            if key == "arguments" and isinstance(value, str)
            else _walk_strings(value, scrubber.text)
            for key, value in function.items()
        }
    elif function is not None:
        out["function"] = _walk_strings(function, scrubber.text)
    return out


def scrub_messages(messages: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[Finding]]:
    """Scrub OpenAI chat messages: content (string or parts), tool-call arguments (decoded,
    scrubbed, re-encoded) and every other string field. Finding lines and offsets refer to the
    string they were found in. The input messages are not modified."""
    scrubber = _MessageScrubber()
    scrubbed = [_scrub_message(message, scrubber) for message in messages]
    return scrubbed, scrubber.findings
