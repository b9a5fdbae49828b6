"""The one credential scanner of HALops: training-data validation and the bot's output filter.

Three detector families run over the same text, and their hits pass the same value filters
(`values`: references such as `$PASSWORD` or `"$(pass show bmc)"`, documented placeholders such
as AWS' `...EXAMPLE` keys or `your-token-here`, masks such as `***` and our own marker, paths):

* the project's rules for what catalogues miss in infrastructure work: passwords on the command
  lines of ops tools (`commands`: racadm, ipmitool, curl -u, smbclient -U user%pass, htpasswd
  -b, openssl pass:, snmp -c/-A/-X...), credential files as `cat` shows them, cluster join
  tokens, pager keys, keyword assignments and plain prose (`rules`);
* detect-secrets (Yelp), and
* the Betterleaks catalogue of provider token formats (`engines`).

Placeholders vs dropping examples: ``scrub_text`` replaces each secret *value* with
``<REDACTED:rule>`` and keeps the rest of the line, e.g. ``ipmitool -P <REDACTED:ipmitool-password>
-H bmc-pve01 power status``. The model still learns the command's shape (and that passwords are
never to be echoed) and we keep the example; the price is that the model may learn to emit the
placeholder literally, and a secret the scanner misses stays in. Dropping every example with a
finding would lose the most valuable sessions (the ones doing real BMC / database work) and does
not protect against misses either, so the pipeline redacts and then re-scans its final output
(fail closed) instead. Findings never carry the secret itself: only rule, line and offsets.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from halops.contract.scrub.commands import command_spans
from halops.contract.scrub.engines import (
    betterleaks_spans,
    detect_secrets_plugins,
    detect_secrets_spans,
)
from halops.contract.scrub.rules import rule_spans
from halops.contract.scrub.values import OWN_MARKER_RE

PLACEHOLDER = "<REDACTED:{rule}>"
_NEWLINE = re.compile("\n")
# Below this length a value found once is not hunted for elsewhere in the text: `-P admin` must
# not blank every "admin".
PROPAGATE_MIN_CHARS = 8
# Scrubbed text is scanned again until nothing new turns up; in practice one round suffices.
MAX_RESCAN_ROUNDS = 3
# Detection is a pure function of the text, and curated examples repeat their strings (a
# single-turn example is a slice of a multi-turn one; a message is scrubbed, then its JSON
# leaves): a curate shard asked for ~6 detections per distinct string. Strings up to this
# length are remembered (the last _DETECTED_CACHE_SIZE of them), so each is scanned once.
_DETECTED_CACHE_CHARS = 1 << 16
_DETECTED_CACHE_SIZE = 1 << 13

# (rule id, start, end) of one hit, offsets into the scanned text; internal only.
Span = tuple[str, int, int]

__all__ = [
    "PLACEHOLDER",
    "Finding",
    "ScrubResult",
    "cli_main",
    "detect_secrets_plugins",
    "json_container",
    "scan_text",
    "scrub_messages",
    "scrub_text",
]


@dataclass(frozen=True, order=True)
class Finding:
    """One secret occurrence. Offsets are character offsets into the scanned text (end exclusive);
    the secret value itself is deliberately not stored, so logging a Finding is safe."""

    start: int
    end: int
    rule: str
    line: int

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "line": self.line, "start": self.start, "end": self.end}


@dataclass(frozen=True)
class ScrubResult:
    text: str
    findings: list[Finding]

    def __repr__(self) -> str:  # the text is scrubbed, but keep logs short
        return f"ScrubResult(findings={len(self.findings)}, chars={len(self.text)})"


def _has_secret(text: str) -> bool:
    """Used by the base64 filter: does decoded text hold a secret of its own?"""
    return bool(_detected(text))


def _detected(text: str) -> list[Span]:
    """Every detector's spans in ``text`` (a fresh list: callers extend it)."""
    if len(text) <= _DETECTED_CACHE_CHARS:
        return list(_detected_cached(text))
    return _detect(text)


@functools.lru_cache(maxsize=_DETECTED_CACHE_SIZE)
def _detected_cached(text: str) -> tuple[Span, ...]:
    return tuple(_detect(text))


def _detect(text: str) -> list[Span]:
    lowered = text.lower()
    # Project rules first: on overlap their (more specific) id is kept.
    ours = [*command_spans(text, lowered), *rule_spans(text, lowered)]
    catalogue = [*detect_secrets_spans(text, _has_secret), *betterleaks_spans(text, _has_secret)]
    catalogue = [span for span in catalogue if not _only_adds_a_user(text, span, ours)]
    return _outside_placeholders(text, ours + catalogue)


def _only_adds_a_user(text: str, span: Span, ours: list[Span]) -> bool:
    """A catalogue hit `admin:S3cret` over our `S3cret`: the `admin:` in front is a user name,
    and keeping it readable is why the project rule cut the value out."""
    inside = sorted((s, e) for _, s, e in ours if s < span[2] and e > span[1])
    if not inside or inside[-1][1] < span[2]:
        return False
    lead = text[span[1] : inside[0][0]]
    return lead == "" or (lead[-1] in ":%," and len(inside) == 1)


def _propagate(text: str, spans: list[Span]) -> list[Span]:
    """A secret seen once in a recognisable context (`password=X`) is redacted everywhere else in
    the text too (`echo X`)."""
    extra: list[Span] = []
    for rule, value in {(r, text[s:e]) for r, s, e in spans if e - s >= PROPAGATE_MIN_CHARS}:
        extra.extend((rule, m.start(), m.end()) for m in re.finditer(re.escape(value), text))
    return extra


def _merge(spans: Iterable[Span]) -> list[Span]:
    ordered = sorted(enumerate(spans), key=lambda item: (item[1][1], -item[1][2], item[0]))
    merged: list[Span] = []
    for _, (rule, start, end) in ordered:
        if merged and start < merged[-1][2]:
            last = merged[-1]
            merged[-1] = (last[0], last[1], max(last[2], end))
        else:
            merged.append((rule, start, end))
    return merged


def _to_findings(text: str, spans: list[Span]) -> list[Finding]:
    if not spans:
        return []
    newlines = [match.start() for match in _NEWLINE.finditer(text)]
    return [Finding(s, e, rule, bisect.bisect_left(newlines, s) + 1) for rule, s, e in spans]


def _outside_placeholders(text: str, spans: list[Span]) -> list[Span]:
    """Drop hits that touch an existing placeholder: re-scanning scrubbed text must be quiet
    (``root:<REDACTED:chpasswd>`` is not a new ``user:password``)."""
    marks = [m.span() for m in OWN_MARKER_RE.finditer(text)]
    if not marks:
        return spans
    starts = [start for start, _ in marks]

    def touches(start: int, end: int) -> bool:
        i = bisect.bisect_left(starts, end) - 1  # last placeholder starting before end
        return i >= 0 and marks[i][1] > start

    return [span for span in spans if not touches(span[1], span[2])]


def spans_in(text: str, known_values: Iterable[tuple[str, str]] = ()) -> list[Span]:
    """Merged secret spans of ``text``; ``known_values`` are (rule, value) pairs found elsewhere
    (another message of the same conversation) that are redacted here too.

    Redacting can itself reveal a secret: `<hex>helm login -p X`, where the hex is a key found
    elsewhere in the text, hides the `helm` command until the key becomes a placeholder; a
    prose rule may read the words before a placeholder differently. The scrubbed text is
    therefore scanned again (a few rounds at most, and only when something was found), so that
    scrubbing is a fixed point and the validation's re-scan stays quiet. (Predicting which
    redactions can change the reading missed cases the idempotence property found.)"""
    spans = _detected(text)
    spans += _propagate(text, spans)
    for rule, value in known_values:
        spans.extend((rule, m.start(), m.end()) for m in re.finditer(re.escape(value), text))
    spans = _merge(spans)
    for _ in range(MAX_RESCAN_ROUNDS):
        if not spans:
            break
        redacted = redact(text, spans)
        extra = _detected(redacted)
        extra = _outside_placeholders(redacted, extra + _propagate(redacted, extra))
        if not extra:
            break
        spans = _merge([*spans, *_back_to_original(spans, extra)])
    return spans


def _back_to_original(spans: list[Span], found: list[Span]) -> list[Span]:
    """Offsets of ``found`` (in ``redact(text, spans)``, never touching a placeholder) mapped
    back into ``text``."""
    ends: list[int] = []  # where each placeholder ends in the redacted text
    shifts: list[int] = []  # how much longer the redacted text is after it
    shift = 0
    for rule, start, end in spans:
        length = len(PLACEHOLDER.format(rule=rule))
        ends.append(start + shift + length)
        shift += length - (end - start)
        shifts.append(shift)
    mapped = []
    for rule, start, end in found:
        before = bisect.bisect_right(ends, start)  # placeholders wholly before this hit
        offset = shifts[before - 1] if before else 0
        mapped.append((rule, start - offset, end - offset))
    return mapped


def scan_text(text: str) -> list[Finding]:
    """All secrets in ``text``, merged so that overlapping hits count once, in text order."""
    return _to_findings(text, spans_in(text))


def redact(text: str, spans: list[Span]) -> str:
    parts: list[str] = []
    cursor = 0
    for rule, start, end in spans:
        parts += [text[cursor:start], PLACEHOLDER.format(rule=rule)]
        cursor = end
    parts.append(text[cursor:])
    return "".join(parts)


def findings_of(text: str, spans: list[Span]) -> list[Finding]:
    return _to_findings(text, spans)


def scrub_text(text: str) -> ScrubResult:
    """``text`` with every secret value replaced by ``<REDACTED:rule>``; findings refer to
    offsets in the *original* text."""
    spans = spans_in(text)
    return ScrubResult(redact(text, spans), _to_findings(text, spans))


# Imported last: both use the functions above.
from halops.contract.scrub.cli import cli_main  # noqa: E402
from halops.contract.scrub.messages import json_container, scrub_messages  # noqa: E402
