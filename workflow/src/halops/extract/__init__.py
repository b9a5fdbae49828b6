"""The extract stage: Claude Code session transcripts -> the extracted table (`halops.rows`).

- `sessions.find_sessions(sessions_dir)`: sessions (main file + subagent files) under a
  `~/.claude/projects`-like folder; `find_sessions_or_explain` says why a folder holds none.
  Stdlib only, because Snakemake runs it at every DAG build.
- `shards.sessions_by_shard(refs, n)`: stable hash shards, one extract job each (stdlib only).
- `session.extract_shard(...)`: a shard's sessions -> one parquet plus a quarantine of bad
  lines. Built from `reader` (lines -> validated records), `classify` (what a user record is)
  and `assemble` (merging, dedupe, pairing, subagent links).

Submodules are imported explicitly so that session discovery does not pull in pyarrow.
"""
