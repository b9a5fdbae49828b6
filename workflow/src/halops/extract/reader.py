"""Read one Claude Code JSONL file into validated records, quarantining every bad line.

The per-line path is the hot loop of the extract stage (hundreds of MB of transcripts), so it
decodes each line exactly once and validates with plain `isinstance` checks: no schema library.
Validation covers only the fields the extractor turns into columns; unknown fields and record
types pass through untouched because the format keeps moving (transcript-format.md §2).

JSON is strict everywhere: RFC 8259 only (no NaN/Infinity), valid UTF-8 and no lone surrogate
escapes. orjson enforces that natively; the stdlib fallback is made to agree, so a line is
quarantined or kept the same way whichever parser the environment has.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:  # orjson is ~2.5x faster than json.loads on transcript lines; optional.
    import orjson
except ImportError:  # pragma: no cover - depends on the environment
    orjson = None  # type: ignore[assignment]

# Lines longer than this are quarantined unread (config extract.max_line_bytes overrides it).
DEFAULT_MAX_LINE_BYTES = 50_000_000
# How much of an over-long line the quarantine keeps: the point of the limit is bounded memory.
OVERLONG_RAW_KEEP = 4096
_CHUNK = 1 << 20

# Envelope fields that, when present and not null, must be strings.
_STR_FIELDS = (
    "uuid",
    "parentUuid",
    "logicalParentUuid",
    "sessionId",
    "timestamp",
    "agentId",
    "sourceToolUseID",
)
_BOOL_FIELDS = ("isMeta", "isCompactSummary", "isSidechain")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_UTF8_BOM = b"\xef\xbb\xbf"

# Files that are not JSONL text at all, by their first bytes: (magic, what it is, the fix). Such
# a file is quarantined as one entry instead of one unreadable "line" per chunk of binary data.
_DECOMPRESS = "decompress it ({}) or move it out of sessions_dir"
_MOVE = "move it out of sessions_dir"
FILE_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"\x1f\x8b", "gzip-compressed file", _DECOMPRESS.format("gunzip")),
    (b"BZh", "bzip2-compressed file", _DECOMPRESS.format("bunzip2")),
    (b"\xfd7zXZ\x00", "xz-compressed file", _DECOMPRESS.format("unxz")),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed file", _DECOMPRESS.format("unzstd")),
    (b"\x04\x22\x4d\x18", "lz4-compressed file", _DECOMPRESS.format("unlz4")),
    (b"PK\x03\x04", "zip archive", _DECOMPRESS.format("unzip")),
    (b"7z\xbc\xaf\x27\x1c", "7-zip archive", _DECOMPRESS.format("7z x")),
    (b"\xff\xfe", "UTF-16 text file", "convert it: iconv -f UTF-16 -t UTF-8"),
    (b"\xfe\xff", "UTF-16 text file", "convert it: iconv -f UTF-16 -t UTF-8"),
    (b"SQLite format 3\x00", "SQLite database", _MOVE),
    (b"\x7fELF", "executable (ELF) file", _MOVE),
    (b"%PDF-", "PDF document", _MOVE),
    (b"\x89PNG", "PNG image", _MOVE),
    (b"\xff\xd8\xff", "JPEG image", _MOVE),
)
SIGNATURE_BYTES = max(len(magic) for magic, _, _ in FILE_SIGNATURES)


@dataclass(slots=True)
class Record:
    """A decoded, validated record and the 1-based line it came from."""

    obj: dict[str, Any]
    lineno: int


@dataclass(slots=True)
class QuarantineEntry:
    """A line that could not be used, with the original text kept for inspection."""

    location: str  # "relative/path.jsonl:LINE"
    reason: str
    raw: str

    def as_dict(self) -> dict[str, str]:
        return {"location": self.location, "reason": self.reason, "raw": self.raw}


@dataclass(slots=True)
class ReadResult:
    """Counts and quarantine of one file, filled in while its records are consumed."""

    quarantine: list[QuarantineEntry] = field(default_factory=list)
    lines: int = 0  # every physical line, blank ones included
    blank_lines: int = 0
    records: int = 0  # lines that decoded and validated


class LineError(ValueError):
    """Why a line is not a usable record; the message becomes the quarantine reason."""


def _reject_constant(name: str) -> Any:
    raise LineError(f"invalid JSON: non-standard constant {name}")


def _has_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return _LONE_SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    return False


def _loads_stdlib(line: bytes) -> Any:
    try:
        obj = json.loads(line.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise LineError(explain_undecodable(line, "invalid UTF-8")) from None
    except json.JSONDecodeError as exc:
        raise LineError(explain_undecodable(line, str(exc))) from None
    except RecursionError:
        raise LineError("invalid JSON: nested too deeply") from None
    # Lone surrogates only arise from \uDxxx escapes, so the full walk runs on few lines.
    if (b"\\ud" in line or b"\\uD" in line) and _has_lone_surrogate(obj):
        raise LineError("invalid JSON: lone surrogate escape")
    return obj


def _loads_orjson(line: bytes) -> Any:
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise LineError(explain_undecodable(line, str(exc))) from None


def explain_undecodable(line: bytes, parser_message: str) -> str:
    """Why a line did not parse, in words a person can act on (both parsers agree on it).

    Binary data and other encodings are named as such: the parsers' own messages for them
    ("str is not valid UTF-8: surrogates not allowed") point at the wrong problem.
    """
    nul = line.find(b"\x00")
    if nul >= 0:
        return f"binary data, not JSON text: NUL byte at offset {nul}"
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as exc:
        byte = line[exc.start]
        return (
            f"not UTF-8 text: byte 0x{byte:02x} at offset {exc.start} "
            "(binary data, or text in another encoding)"
        )
    return f"invalid JSON: {parser_message}"


def file_signature(head: bytes) -> tuple[str, str] | None:
    """(what the file is, how to fix it) when its first bytes say it is not JSONL text."""
    for magic, kind, fix in FILE_SIGNATURES:
        if head.startswith(magic):
            return kind, fix
    return None


loads_line = _loads_stdlib if orjson is None else _loads_orjson


def dump_json(value: Any) -> str:
    """Compact JSON text of a decoded value; never raises (columns must always be writable)."""
    if orjson is not None:
        try:
            return orjson.dumps(value).decode("utf-8")
        except (TypeError, orjson.JSONEncodeError):
            pass  # e.g. nesting deeper than orjson's 255 levels, which json.loads accepted
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        return json.dumps({"unserializable": type(exc).__name__})


def _check_str(obj: dict[str, Any], key: str, where: str = "") -> None:
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        raise LineError(f"field '{where}{key}' is {type(value).__name__}, expected string")


def _check_block(block: Any, where: str) -> None:
    if not isinstance(block, dict):
        raise LineError(f"{where} is {type(block).__name__}, expected object")
    btype = block.get("type")
    if not isinstance(btype, str):
        raise LineError(f"{where} has no string 'type'")
    if btype == "text":
        _check_str(block, "text", f"{where}.")
    elif btype == "thinking":
        _check_str(block, "thinking", f"{where}.")
    elif btype == "tool_use":
        for key in ("id", "name"):
            if not isinstance(block.get(key), str):
                raise LineError(f"{where} tool_use has no string {key!r}")
    elif btype == "tool_result":
        _check_tool_result(block, where)


def _check_tool_result(block: dict[str, Any], where: str) -> None:
    if not isinstance(block.get("tool_use_id"), str):
        raise LineError(f"{where} tool_result has no string 'tool_use_id'")
    is_error = block.get("is_error")
    if is_error is not None and not isinstance(is_error, bool):
        raise LineError(f"{where}.is_error is {type(is_error).__name__}, expected bool")
    content = block.get("content")
    if isinstance(content, list):
        for i, inner in enumerate(content):
            _check_block(inner, f"{where}.content[{i}]")
    elif content is not None and not isinstance(content, str):
        raise LineError(f"{where}.content is {type(content).__name__}, expected string or list")


def _check_message(obj: dict[str, Any]) -> None:
    message = obj.get("message")
    if not isinstance(message, dict):
        raise LineError(f"field 'message' is {type(message).__name__}, expected object")
    for key in ("id", "model"):
        _check_str(message, key, "message.")
    content = message.get("content")
    if isinstance(content, list):
        for i, block in enumerate(content):
            _check_block(block, f"message.content[{i}]")
    elif content is not None and not isinstance(content, str):
        raise LineError(
            f"field 'message.content' is {type(content).__name__}, expected string or list"
        )


def validate_record(obj: Any) -> dict[str, Any]:
    """Return `obj` if it is a usable record, else raise LineError naming the field at fault."""
    if not isinstance(obj, dict):
        raise LineError(f"not a JSON object (got {type(obj).__name__})")
    rtype = obj.get("type")
    if not isinstance(rtype, str):
        raise LineError("missing or non-string 'type'")
    get = obj.get  # inlined checks: this runs once per line of every transcript
    for key in _STR_FIELDS:
        value = get(key)
        if value is not None and value.__class__ is not str:
            _check_str(obj, key)  # str subclasses pass; anything else raises with the reason
    for key in _BOOL_FIELDS:
        value = get(key)
        if value is not None and value.__class__ is not bool:
            raise LineError(f"field {key!r} is {type(value).__name__}, expected bool")
    if rtype in ("user", "assistant"):
        _check_message(obj)
    elif rtype == "system":
        _check_str(obj, "content")
        _check_str(obj, "subtype")
    elif rtype == "summary":
        _check_str(obj, "summary")
    return obj


def raw_text(line: bytes) -> str:
    """The line as text for the quarantine: undecodable bytes become visible \\xNN escapes."""
    return line.rstrip(b"\r\n").decode("utf-8", "backslashreplace")


def _iter_lines(f: Any, max_line_bytes: int) -> Iterator[tuple[bytes, bool]]:
    """Yield (line, too_long); an over-long line yields only its head and the rest is skipped."""
    limit = max_line_bytes + 1  # +1 so a line of exactly max bytes plus "\n" fits
    readline = f.readline
    while True:
        line = readline(limit)
        if not line:
            return
        if len(line) < limit or line.endswith(b"\n"):
            yield line, False
            continue
        # Skip the rest in bounded chunks, so one huge line never sits in memory whole.
        tail = line
        while tail and not tail.endswith(b"\n"):
            tail = readline(_CHUNK)
        yield line[:OVERLONG_RAW_KEEP], True


def iter_records(
    path: Path, rel: str, result: ReadResult, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES
) -> Iterator[Record]:
    """Yield the good records of `path` (named `rel` in locations), one line at a time.

    Bad lines go to `result.quarantine`. A generator, so the caller turns each record into its
    small row and drops the decoded dict: memory follows the rows, not the file. Never raises
    on content, only on I/O errors.
    """
    quarantine = result.quarantine
    loads = loads_line
    with open(path, "rb") as f:
        head = f.peek(SIGNATURE_BYTES)[:SIGNATURE_BYTES]
        if (found := file_signature(head)) is not None:
            kind, fix = found
            reason = f"{kind}, not JSONL text: {fix}"
            quarantine.append(QuarantineEntry(f"{rel}:1", reason, raw_text(head)))
            result.lines = 1
            return
        if head.startswith(_UTF8_BOM):  # editors add one; Claude Code never does
            f.read(len(_UTF8_BOM))
        for lineno, (line, too_long) in enumerate(_iter_lines(f, max_line_bytes), 1):
            result.lines = lineno
            if too_long:
                reason = f"line longer than {max_line_bytes} bytes (raw truncated)"
                quarantine.append(QuarantineEntry(f"{rel}:{lineno}", reason, raw_text(line)))
                continue
            stripped = line.strip()
            if not stripped:
                result.blank_lines += 1
                continue
            try:
                obj = validate_record(loads(stripped))
            except LineError as exc:
                quarantine.append(QuarantineEntry(f"{rel}:{lineno}", str(exc), raw_text(line)))
                continue
            result.records += 1
            yield Record(obj, lineno)
