"""Extract sessions (main transcript + subagent files) to the extracted table and a quarantine.

`extract_shard` writes the sessions of one shard (one Snakemake job) into one parquet and one
quarantine file; `extract_session` does the same for a single session.

Malformed-input policy: a bad line never stops the run and never takes good lines with it; it
goes to the quarantine as `{"location": "path:LINE", "reason": ..., "raw": <the line>}` and the
extraction carries on. Only I/O errors (a missing input, a full disk) raise.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow as pa

from halops.extract.assemble import Assembly, TranscriptFile, assemble
from halops.extract.quarantine import write_quarantine
from halops.extract.reader import (
    DEFAULT_MAX_LINE_BYTES,
    QuarantineEntry,
    ReadResult,
    dump_json,
    iter_records,
)
from halops.extract.sessions import SessionRef
from halops.rows import ExtractedWriter, table_from_columns

log = logging.getLogger(__name__)

AGENT_PREFIX = "agent-"


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


# Row attributes copied into the extracted columns of the same name.
_ROW_COLUMNS = (
    "source",
    "uuid",
    "parent_uuid",
    "logical_parent_uuid",
    "timestamp",
    "kind",
    "text",
    "thinking",
    "tool_use_id",
    "tool_name",
    "is_error",
    "message_id",
    "model",
    "source_tool_use_id",
    "raw_type",
    "n_records",
)


def session_table(asm: Assembly, session_id: str, project: str) -> pa.Table:
    """The assembled rows as the extracted table; columns are built as lists, converted once."""
    n = len(asm.rows)
    columns: dict[str, Sequence[object]] = {
        "session_id": [session_id] * n,
        "project": [project] * n,
        "agent_id": asm.agent_ids,
        "spawn_tool_use_id": asm.spawn_ids,
        "seq": range(n),
        "tool_calls": [
            dump_json(r.tool_calls) if r.tool_calls is not None else None for r in asm.rows
        ],
    }
    for name in _ROW_COLUMNS:
        columns[name] = [getattr(r, name) for r in asm.rows]
    return table_from_columns(columns)


@dataclass
class SessionExtract:
    """One session's table, its quarantined lines and what was read."""

    table: pa.Table
    quarantine: list[QuarantineEntry]
    stats: ExtractStats


def read_session(
    main_path: Path,
    subagent_paths: Iterable[Path],
    sessions_dir: Path,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
) -> SessionExtract:
    """Read one session's files into its table; bad lines are collected, never raised."""
    main_path, sessions_dir = Path(main_path), Path(sessions_dir)
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
    quarantine = [q for r in reads for q in r.quarantine]
    stats = _stats(session_id, project, reads, asm)
    return SessionExtract(session_table(asm, session_id, project), quarantine, stats)


def extract_session(
    main_path: Path,
    subagent_paths: list[Path],
    sessions_dir: Path,
    out_parquet: Path,
    out_quarantine: Path,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
) -> ExtractStats:
    """Read the session's files, write its rows to `out_parquet` and bad lines to the quarantine."""
    ref = SessionRef("", "", Path(main_path), tuple(Path(p) for p in subagent_paths))
    return extract_shard([ref], sessions_dir, out_parquet, out_quarantine, max_line_bytes)[0]


def extract_shard(
    refs: Iterable[SessionRef],
    sessions_dir: Path,
    out_parquet: Path,
    out_quarantine: Path,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
) -> list[ExtractStats]:
    """Extract every session of a shard, in the given order, into one parquet and quarantine.

    Sessions are read one at a time and their tables buffered into row groups, so memory
    follows the largest session and one row group, not the shard.
    """
    stats: list[ExtractStats] = []
    quarantine: list[QuarantineEntry] = []
    with ExtractedWriter(Path(out_parquet)) as writer:
        for ref in refs:
            one = read_session(ref.main_path, ref.subagent_paths, sessions_dir, max_line_bytes)
            writer.write(one.table)
            quarantine.extend(one.quarantine)
            stats.append(one.stats)
    write_quarantine(quarantine, Path(out_quarantine))
    return stats


def log_shard(shard: str, stats: Sequence[ExtractStats]) -> None:
    """One log line per session and the shard's totals (what the rule's log shows)."""
    for one in stats:
        log.info(
            "session %s/%s: %d files, %d lines, %d records, %d rows, quarantined %d; "
            "tool calls %d (paired %d, unanswered %d), subagents %d (attached %d), "
            "compactions %d (bridged %d)",
            one.project,
            one.session_id,
            one.files,
            one.lines,
            one.records_read,
            one.rows_written,
            one.quarantined,
            one.tool_calls,
            one.paired,
            one.unanswered_calls,
            one.subagents,
            one.subagents_attached,
            one.compactions,
            one.compactions_bridged,
        )
    kinds: Counter[str] = Counter()
    for one in stats:
        kinds.update(one.by_kind)
    log.info(
        "shard %s: %d sessions, %d files, %d lines, %d rows, %d quarantined lines",
        shard,
        len(stats),
        sum(s.files for s in stats),
        sum(s.lines for s in stats),
        sum(s.rows_written for s in stats),
        sum(s.quarantined for s in stats),
    )
    log.info("rows by kind: %s", dict(sorted(kinds.items())))
