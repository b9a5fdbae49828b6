"""Snakemake adapter: the sessions of one shard -> its parquet and its quarantine file."""

import _halops_path  # noqa: F401

import logging
from pathlib import Path

from halops.extract.session import extract_shard, log_shard
from halops.extract.sessions import SessionRef

logging.basicConfig(
    filename=snakemake.log[0],
    filemode="w",
    level=logging.INFO,
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)

# params.sessions: [project, session, main file, [subagent files]] per session of the shard
refs = [
    SessionRef(project, session, Path(main), tuple(Path(p) for p in subagents))
    for project, session, main, subagents in snakemake.params.sessions
]
stats = extract_shard(
    refs,
    sessions_dir=Path(snakemake.params.sessions_dir),
    out_parquet=Path(snakemake.output.parquet),
    out_quarantine=Path(snakemake.output.quarantine),
    max_line_bytes=int(snakemake.params.cfg["max_line_bytes"]),
)
log_shard(snakemake.wildcards.shard, stats)
