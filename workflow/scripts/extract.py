"""Snakemake adapter: one session's JSONL files -> its parquet and its quarantine file."""

import _halops_path  # noqa: F401

import logging
from pathlib import Path

from halops.transcripts.extract import extract_session
from halops.transcripts.reader import DEFAULT_MAX_LINE_BYTES

logging.basicConfig(
    filename=snakemake.log[0],
    filemode="w",
    level=logging.INFO,
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)
log = logging.getLogger("extract")

cfg = dict(snakemake.params.get("cfg", None) or {})
stats = extract_session(
    main_path=Path(snakemake.input.session),
    subagent_paths=[Path(p) for p in snakemake.input.subagents],
    sessions_dir=Path(snakemake.params.sessions_dir),
    out_parquet=Path(snakemake.output.parquet),
    out_quarantine=Path(snakemake.output.quarantine),
    max_line_bytes=int(cfg.get("max_line_bytes", DEFAULT_MAX_LINE_BYTES)),
)
log.info(
    "session %s (%s): %d files, %d lines, %d records, %d rows; quarantined %d lines",
    stats.session_id,
    stats.project,
    stats.files,
    stats.lines,
    stats.records_read,
    stats.rows_written,
    stats.quarantined,
)
log.info(
    "tool calls %d, tool results %d, paired %d, unanswered calls %d; duplicates %d, "
    "structural %d; subagents %d (attached %d); compactions %d (bridged %d)",
    stats.tool_calls,
    stats.tool_results,
    stats.paired,
    stats.unanswered_calls,
    stats.duplicates,
    stats.structural,
    stats.subagents,
    stats.subagents_attached,
    stats.compactions,
    stats.compactions_bridged,
)
log.info("rows by kind: %s", stats.by_kind)
log.info("records by type: %s", stats.by_type)
