"""The one credential scanner of HALops: training-data validation and the bot's output filter.

Two detector families run over the same text:

* detect-secrets (Yelp) with all its default plugins and its false-positive heuristics, called
  in memory line by line (no temp files), for well-known token formats (AWS, GitHub, Slack,
  JWT, Stripe, private key headers, high-entropy quoted strings, keyword assignments...).
* Project rules (``PROJECT_RULES``) for what detect-secrets misses in infrastructure work:
  passwords on command lines (``ipmitool -P``, ``sshpass -p``, ``mysql -p``), shadow hashes,
  ``Authorization:`` headers, ``user:pass@`` URLs, whole PEM blocks, unquoted assignments.

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

import argparse
import bisect
import functools
import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
from detect_secrets.filters import heuristic
from detect_secrets.plugins.base import RegexBasedDetector

PLACEHOLDER = "<REDACTED:{rule}>"
# Our own placeholders (and obvious variable references) must never be re-flagged, or a re-scan
# of scrubbed data would fail forever.
_PLACEHOLDER_RE = re.compile(
    r"(?i)^(?:<REDACTED:[\w:.-]+>|<[\w .:-]+>|\$\{?\w+\}?|\{\{.*\}\}|\*+|x{3,}|\.\.\.|…"
    r"|true|false|null|none|yes|no|~|required|optional|prompt)$"
)

_NEWLINE = re.compile("\n")
_DOTTED_NAME = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+$")
_PLACEHOLDER_IN_TEXT = re.compile(r"<REDACTED:[\w:.-]+>")

# detect-secrets reports public IPv4 addresses. They are not credentials, and redacting them would
# blank out `ping 1.1.1.1` / `dig @9.9.9.9` in training data and in the bot's answers.
EXCLUDED_DETECT_SECRETS_PLUGINS = frozenset({"IPPublicDetector"})
# Hex strings next to these words are content hashes (git, docker, checksums), not secrets; the
# hex-entropy plugin flags every quoted 40/64-char sha otherwise.
_HASH_CONTEXT_RE = re.compile(
    r"(?i)\b(?:commit|sha\d*|digest|checksum|hash|tree|parent|revision|rev|ref|etag|fingerprint)"
)
# detect-secrets sometimes reports only part of a token (GitHubTokenDetector yields the "ghp"
# prefix, JwtTokenDetector may stop before the signature); spans grow over these characters.
_TOKEN_LEFT = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_TOKEN_RIGHT = _TOKEN_LEFT | frozenset(".+/=")
# Findings from one line are cached: curated strategies overlap (single-turn examples are slices
# of multi-turn ones), so most lines are scanned many times.
_LINE_CACHE_SIZE = 1 << 16
_TEXT_CACHE_SIZE = 1 << 10  # whole messages can be large: keep fewer


# (rule id, start, end) of one hit, offsets into the scanned text; internal only.
Span = tuple[str, int, int]


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


@dataclass(frozen=True)
class Rule:
    """A project rule: the regex's named groups starting with ``secret`` mark the value to
    redact (alternatives for quoted / unquoted values); the first one that matched wins."""

    id: str
    pattern: re.Pattern[str]
    # Lower-case substrings of which one must occur for the rule to run at all: a cheap `in`
    # test that skips most regex work on most text (empty: always run).
    needles: tuple[str, ...] = ()


def _rule(rule_id: str, pattern: str, needles: tuple[str, ...] = (), flags: int = 0) -> Rule:
    return Rule(rule_id, re.compile(pattern, flags), needles)


# A command-line value: quoted or a bare word.
_VALUE = r"""(?:"(?P<secret_dq>[^"\n]+)"|'(?P<secret_sq>[^'\n]+)'|(?P<secret>[^\s"'`;|&)]+))"""
# Every keyword below contains one of these: they are the needles of the keyword rules.
_KEYWORD_NEEDLES = ("pass", "secret", "token", "key", "community")
_KEYWORDS = (
    r"password|passwd|passphrase|secret|token|api[_-]?key|apikey|access[_-]?key|secret[_-]?key"
    r"|client[_-]?secret|private[_-]?key|auth[_-]?token|community"
)

PROJECT_RULES: tuple[Rule, ...] = (
    _rule(
        "private-key",
        r"-----BEGIN (?P<kind>[A-Z0-9 ]*)PRIVATE KEY(?: BLOCK)?-----"
        r"(?:.*?-----END (?P=kind)PRIVATE KEY(?: BLOCK)?-----"
        # A truncated block (tool output cut short): take the base64 / header lines that follow.
        r"|(?:\n(?:[A-Za-z0-9+/=]*|[A-Za-z-]+:[^\n]*))*)",
        ("private key",),
        re.DOTALL,
    ),
    _rule(
        "putty-private-key",
        r"PuTTY-User-Key-File-\d:.*?(?:Private-MAC: \S+|\Z)",
        ("putty-user-key-file",),
        re.DOTALL,
    ),
    _rule("ipmitool-password", rf"\bipmitool\b[^\n]*?[ \t]-P[ \t]*{_VALUE}", ("ipmitool",)),
    _rule("sshpass-password", rf"\bsshpass\b[^\n]*?[ \t]-p[ \t]*{_VALUE}", ("sshpass",)),
    # mysql's `-p secret` (with a space) means "prompt, and use database secret": only `-psecret`.
    _rule(
        "mysql-password",
        r"\b(?:mysql\w*|mariadb\w*)\b[^\n]*?[ \t]-p(?P<secret>[^\s\"'`;|&)]+)",
        ("mysql", "mariadb"),
    ),
    _rule(
        "cli-password-flag", rf"(?i)--(?:{_KEYWORDS})(?:=|[ \t]+(?!-)){_VALUE}", _KEYWORD_NEEDLES
    ),
    _rule(
        "shadow-hash",
        r"(?m)^[a-z_][a-z0-9_.-]*\$?:(?P<secret_hash>\$(?:1|2[abxy]?|5|6|7|y|gy)\$[^:\s]+)(?::|$)",
        ("$",),
    ),
    _rule(
        "authorization-header",
        r"(?i)\b(?:proxy-)?authorization[\"']?[ \t]*[:=][ \t]*[\"']?"
        r"(?:(?:bearer|basic|token|bot|digest|apikey|ssws|negotiate)[ \t]+|PVEAPIToken=)?"
        r"(?P<secret>[^\s\"',;]+)",
        ("authorization",),
    ),
    _rule(
        "api-key-header",
        r"(?i)\bx-(?:api-key|auth-token|vault-token|access-token)[\"']?[ \t]*[:=][ \t]*[\"']?"
        r"(?P<secret>[^\s\"',;]+)",
        ("x-",),
    ),
    _rule(
        "url-credentials",
        r"(?i)\b[a-z][a-z0-9+.-]*://[^\s/:@\"'<>]+:(?P<secret>[^\s/@\"'<>]+)@",
        ("://",),
    ),
    _rule(
        "aws-access-key-id", r"\b(?P<secret>(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA)[0-9A-Z]{16})\b"
    ),
    _rule(
        "aws-secret-access-key",
        r"(?i)aws_?secret_?(?:access_?)?key[\"']?[ \t]*[:=][ \t]*[\"']?"
        r"(?P<secret>[A-Za-z0-9/+]{40})\b",
        ("aws",),
    ),
    _rule(
        "api-token",
        r"\b(?P<secret>(?:sk-(?:ant-|proj-|svcacct-|admin-)?|hf_)[A-Za-z0-9_\-]{20,})",
        ("sk-", "hf_"),
    ),
    _rule(
        "chpasswd",
        r"[\w.-]+:(?P<secret>[^\s'\":|<>]+)['\"]?\s*\|\s*(?:sudo\s+)?chpasswd\b",
        ("chpasswd",),
    ),
    _rule(
        "netrc-password",
        r"(?i)\blogin[ \t]+\S+[ \t]+password[ \t]+(?P<secret>\S+)",
        ("login",),
    ),
    # Generic assignments: the key must *end* with a keyword, so `max_tokens=` or `token_type=`
    # do not match while `DB_PASSWORD=`, `api_token=` and `?token=` do.
    _rule("secret-assignment", rf"(?i)(?:{_KEYWORDS})[ \t]*=[ \t]*{_VALUE}", _KEYWORD_NEEDLES),
    # YAML / config lines `db_password: value`; anchored on the whole line so prose such as
    # "Password: see the vault entry" (several words) is left alone.
    _rule(
        "secret-yaml",
        rf"(?im)^[ \t]*[\w.-]*(?:{_KEYWORDS})[ \t]*:[ \t]*{_VALUE}[ \t]*$",
        _KEYWORD_NEEDLES,
    ),
)


def _secret_span(match: re.Match[str]) -> tuple[int, int] | None:
    for name, value in match.groupdict().items():
        if name.startswith("secret") and value is not None:
            return match.span(name)
    return None if "secret" in "".join(match.groupdict()) else match.span()


def _is_placeholder(value: str) -> bool:
    return bool(_PLACEHOLDER_RE.match(value)) or value.startswith("<REDACTED:")


def _looks_like_code(match: re.Match[str]) -> bool:
    """An unquoted value that is a variable, a call or an attribute path (`$(cat pw)`,
    `os.environ.get(`, `args.token`) names where the secret is, it is not the secret."""
    value: str | None = match.groupdict().get("secret")
    if not value:
        return False
    return value[0] == "$" or "(" in value or bool(_DOTTED_NAME.match(value))


def _project_spans(text: str) -> Iterator[Span]:
    lowered = text.lower()
    for rule in PROJECT_RULES:
        if rule.needles and not any(needle in lowered for needle in rule.needles):
            continue
        for match in rule.pattern.finditer(text):
            span = _secret_span(match)
            if not span or span[1] == span[0] or _looks_like_code(match):
                continue
            if not _is_placeholder(text[span[0] : span[1]]):
                yield rule.id, span[0], span[1]


@functools.cache
def _detect_secrets_plugins() -> tuple[Any, ...]:
    # Instantiated once and directly (not via detect-secrets' global settings singleton), so the
    # scanner is cheap per line and unaffected by whatever settings another caller configured.
    classes: list[Any] = list(get_mapping_from_secret_type_to_class().values())
    chosen = [c for c in classes if c.__name__ not in EXCLUDED_DETECT_SECRETS_PLUGINS]
    return tuple(cls() for cls in sorted(chosen, key=lambda c: c.__name__))


def _is_false_positive(value: str, line: str, plugin: Any) -> bool:
    """detect-secrets' own default heuristics, minus the allowlist pragma: a transcript could
    carry `# pragma: allowlist secret` and must not be able to switch the scrubber off."""
    if type(plugin).__name__ == "HexHighEntropyString" and _HASH_CONTEXT_RE.search(line):
        return True
    return (
        heuristic.is_sequential_string(value)
        or heuristic.is_potential_uuid(value)
        or heuristic.is_likely_id_string(value, line, plugin)
        or heuristic.is_templated_secret(value)
        or heuristic.is_prefixed_with_dollar_sign(value)
        or heuristic.is_indirect_reference(line)
        or heuristic.is_not_alphanumeric_string(value)
        or _is_placeholder(value)
    )


def _grow_to_token(line: str, start: int, end: int) -> tuple[int, int]:
    while start > 0 and line[start - 1] in _TOKEN_LEFT:
        start -= 1
    grown = end
    while grown < len(line) and line[grown] in _TOKEN_RIGHT:
        grown += 1
    while grown > end and line[grown - 1] == ".":  # a sentence's full stop is not the token
        grown -= 1
    return start, grown


def _plugin_can_match(name: str, line: str) -> bool:
    """Cheap necessary conditions for the two costliest plugins (half the scan time): the
    keyword plugin needs one of its denylist words, the entropy plugins (outside eager mode)
    need a quoted string."""
    if name == "KeywordDetector":
        lowered = line.lower()
        return any(word in lowered for word in ("key", "pass", "pwd", "secret", "contrase"))
    if name in ("Base64HighEntropyString", "HexHighEntropyString"):
        return '"' in line or "'" in line
    return True


@functools.lru_cache(maxsize=_TEXT_CACHE_SIZE)
def _candidate_plugins(text: str) -> tuple[int, ...]:
    """Plugins worth running line by line on ``text``. A regex plugin whose patterns find
    nothing in the whole text cannot match any of its lines (its `^`/`$` alternatives also accept
    the newline), so one C-level search per pattern replaces thousands of per-line calls."""
    return tuple(
        index
        for index, plugin in enumerate(_detect_secrets_plugins())
        if not isinstance(plugin, RegexBasedDetector)
        or any(pattern.search(text) for pattern in plugin.denylist)
    )


@functools.lru_cache(maxsize=_LINE_CACHE_SIZE)
def _detect_secrets_line(line: str, plugin_indices: tuple[int, ...]) -> tuple[Span, ...]:
    """(rule, start, end) spans within one line; detect-secrets reports values, not offsets,
    so every occurrence of a reported value in the line is redacted. Plugins are passed by
    index: they are not hashable, and the cache key must say which ones ran."""
    spans: list[Span] = []
    plugins = _detect_secrets_plugins()
    for plugin in (plugins[i] for i in plugin_indices):
        if not _plugin_can_match(type(plugin).__name__, line):
            continue
        found = plugin.analyze_line(filename="adhoc-string-scan", line=line, line_number=1)
        for secret in found:
            value = secret.secret_value or ""
            if not value or _is_false_positive(value, line, plugin):
                continue
            rule = f"ds:{type(plugin).__name__}"
            for match in re.finditer(re.escape(value), line):
                spans.append((rule, *_grow_to_token(line, *match.span())))
    return tuple(spans)


def _detect_secrets_spans(text: str) -> Iterator[Span]:
    plugins = _candidate_plugins(text)
    offset = 0
    for line in text.split("\n"):
        if line.strip():
            for rule, start, end in _detect_secrets_line(line, plugins):
                yield rule, offset + start, offset + end
        offset += len(line) + 1


def _propagate(text: str, spans: list[Span]) -> list[Span]:
    """A secret seen once in a recognisable context (`password=X`) is redacted everywhere else in
    the text too (`echo X`). Short values are skipped: `-P admin` must not blank every "admin"."""
    extra: list[Span] = []
    for rule, value in {(r, text[s:e]) for r, s, e in spans if e - s >= 8}:
        extra.extend((rule, m.start(), m.end()) for m in re.finditer(re.escape(value), text))
    return extra


def _merge(spans: Iterable[Span]) -> list[Span]:
    # Project rules come first in the input, so on overlap their (more specific) id is kept.
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
    marks = [m.span() for m in _PLACEHOLDER_IN_TEXT.finditer(text)]
    if not marks:
        return spans
    starts = [start for start, _ in marks]

    def touches(start: int, end: int) -> bool:
        i = bisect.bisect_left(starts, end) - 1  # last placeholder starting before end
        return i >= 0 and marks[i][1] > start

    return [span for span in spans if not touches(span[1], span[2])]


def _spans(text: str, known_values: Iterable[tuple[str, str]] = ()) -> list[Span]:
    spans = list(_project_spans(text)) + list(_detect_secrets_spans(text))
    spans = _outside_placeholders(text, spans)
    spans += _propagate(text, spans)
    for rule, value in known_values:
        spans.extend((rule, m.start(), m.end()) for m in re.finditer(re.escape(value), text))
    return _merge(spans)


def scan_text(text: str) -> list[Finding]:
    """All secrets in ``text``, merged so that overlapping hits count once, in text order."""
    return _to_findings(text, _spans(text))


def _redact(text: str, spans: list[Span]) -> str:
    parts: list[str] = []
    cursor = 0
    for rule, start, end in spans:
        parts += [text[cursor:start], PLACEHOLDER.format(rule=rule)]
        cursor = end
    parts.append(text[cursor:])
    return "".join(parts)


def scrub_text(text: str) -> ScrubResult:
    """``text`` with every secret value replaced by ``<REDACTED:rule>``; findings refer to
    offsets in the *original* text."""
    spans = _spans(text)
    return ScrubResult(_redact(text, spans), _to_findings(text, spans))


# --- chat messages -------------------------------------------------------------------------------


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
            target = self.known if len(value) >= 8 else self.exact
            target.setdefault(value, rule)

    def _discover(self, text: str) -> None:
        self._remember(text, _spans(text))

    def text(self, text: str) -> str:
        nested = json_container(text)
        for leaf in _leaves(nested) if nested is not None else ():
            self._discover(leaf)
        spans = _spans(text, [(rule, value) for value, rule in self.known.items()])
        stripped = text.strip()
        if stripped and stripped in self.exact:
            start = text.index(stripped)
            spans = _merge([*spans, (self.exact[stripped], start, start + len(stripped))])
        self._remember(text, spans)
        self.findings += _to_findings(text, spans)
        return _redact(text, spans)

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


# --- CLI -----------------------------------------------------------------------------------------


def cli_main(argv: list[str] | None = None) -> int:
    """``halops scrub``: stdin → scrubbed stdout; findings as a JSON list on stderr."""
    parser = argparse.ArgumentParser(
        prog="halops scrub",
        description="Redact credentials from stdin; findings (never the secrets) go to stderr.",
    )
    parser.parse_args(argv if argv is not None else [])
    result = scrub_text(sys.stdin.read())
    sys.stdout.write(result.text)
    sys.stdout.flush()
    findings = [{"rule": f.rule, "line": f.line} for f in result.findings]
    sys.stderr.write(json.dumps(findings) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(cli_main(sys.argv[1:]))
