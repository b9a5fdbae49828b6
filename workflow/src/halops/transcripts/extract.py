"""Extract one session (main transcript + subagent files) to a parquet and a quarantine file.

Malformed-input policy: a bad line never stops the run and never takes good lines with it; it
goes to the quarantine as `{"location": "path:LINE", "reason": ..., "raw": <the line>}` and the
extraction carries on. Only I/O errors (a missing input, a full disk) raise.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

from halops.transcripts.assemble import Assembly, TranscriptFile, assemble
from halops.transcripts.reader import (
    DEFAULT_MAX_LINE_BYTES,
    QuarantineEntry,
    ReadResult,
    iter_records,
)
from halops.transcripts.schema import to_table

log = logging.getLogger(__name__)

AGENT_PREFIX = "agent-"
# A garbage file can have a million bad lines; the log names the first few, the file has all.
LOG_QUARANTINE_LINES = 20


@dataclass
class ExtractStats:
    """What one extraction read and wrote; logged by the rule, asserted on by the tests."""

    session_id: str
    project: str
    files: int = 0
    lines: int = 0  # physical lines, blank ones included
    blank_lines: int = 0
    records_read: int = 0  # lines that decoded and validated (duplicates included)
    quarantined: int = 0
    duplicates: int = 0  # records skipped because their uuid was already seen
    structural: int = 0  # progress / file-history-snapshot / queue-operation: counted, no row
    rows_written: int = 0
    tool_calls: int = 0
    tool_results: int = 0
    paired: int = 0  # tool results whose tool_use id names a call in this session
    unanswered_calls: int = 0
    subagents: int = 0
    subagents_attached: int = 0  # subagent files linked to their spawning Task/Agent call
    compactions: int = 0
    compactions_bridged: int = 0  # compact boundaries whose logicalParentUuid is a known record
    by_kind: dict[str, int] = field(default_factory=dict)
    by_type: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def relative_name(path: Path, sessions_dir: Path) -> str:
    """`path` relative to the sessions dir (POSIX), or as given when it lies outside it."""
    try:
        return path.resolve().relative_to(sessions_dir.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def project_of(main_path: Path, sessions_dir: Path) -> str:
    """The project dir: first component under the sessions dir (era-3 orphans sit deeper)."""
    try:
        parts = main_path.resolve().relative_to(sessions_dir.resolve()).parts
    except ValueError:
        parts = ()
    return parts[0] if len(parts) > 1 else main_path.parent.name


def _transcript_file(
    path: Path, sessions_dir: Path, read: ReadResult, max_line_bytes: int
) -> TranscriptFile:
    """A lazily read file; agent files also get their name's id and their meta.json sidecar."""
    rel = relative_name(path, sessions_dir)
    records = iter_records(path, rel, read, max_line_bytes)
    stem = path.name.removesuffix(".jsonl")
    if not stem.startswith(AGENT_PREFIX):
        return TranscriptFile(rel, records)
    meta = path.with_name(stem + ".meta.json")
    return TranscriptFile(rel, records, True, stem[len(AGENT_PREFIX) :], meta)


def _stats(session_id: str, project: str, reads: list[ReadResult], asm: Assembly) -> ExtractStats:
    stats = ExtractStats(session_id=session_id, project=project, files=len(reads))
    for read in reads:
        stats.lines += read.lines
        stats.blank_lines += read.blank_lines
        stats.records_read += read.records
        stats.quarantined += len(read.quarantine)
    for name in (
        "duplicates",
        "structural",
        "tool_calls",
        "tool_results",
        "paired",
        "unanswered_calls",
        "subagents",
        "subagents_attached",
        "compactions",
        "compactions_bridged",
    ):
        setattr(stats, name, getattr(asm, name))
    stats.rows_written = len(asm.rows)
    stats.by_kind = dict(sorted(Counter(r.kind for r in asm.rows).items()))
    stats.by_type = dict(sorted(asm.by_type.items()))
    return stats


def write_quarantine(entries: list[QuarantineEntry], out: Path) -> None:
    """One JSON object per bad line; the file exists (empty) even when nothing was bad.

    ASCII-escaped: raw garbage may hold U+0085 or U+2028, which str.splitlines() and some
    JSONL readers treat as line breaks; escaped, every entry is exactly one physical line.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="ascii") as f:
        for entry in entries:
            f.write(json.dumps(entry.as_dict()))
            f.write("\n")
    for entry in entries[:LOG_QUARANTINE_LINES]:
        log.warning("%s: %s", entry.location, entry.reason)
    if len(entries) > LOG_QUARANTINE_LINES:
        log.warning("... and %d more quarantined lines", len(entries) - LOG_QUARANTINE_LINES)


def extract_session(
    main_path: Path,
    subagent_paths: list[Path],
    sessions_dir: Path,
    out_parquet: Path,
    out_quarantine: Path,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
) -> ExtractStats:
    """Read the session's files, write its rows to `out_parquet` and bad lines to the quarantine."""
    main_path, sessions_dir = Path(main_path), Path(sessions_dir)
    out_parquet, out_quarantine = Path(out_parquet), Path(out_quarantine)
    paths = [main_path, *sorted(Path(p) for p in subagent_paths)]
    reads = [ReadResult() for _ in paths]
    asm = assemble(
        [
            _transcript_file(p, sessions_dir, r, max_line_bytes)
            for p, r in zip(paths, reads, strict=True)
        ]
    )
    session_id = asm.session_id or main_path.name.removesuffix(".jsonl")
    project = project_of(main_path, sessions_dir)
    out_parquet.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(to_table(asm, session_id, project), out_parquet)
    write_quarantine([q for r in reads for q in r.quarantine], out_quarantine)
    return _stats(session_id, project, reads, asm)
