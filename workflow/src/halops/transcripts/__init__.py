"""Claude Code session transcripts: discovery and extraction to one parquet per session.

- `discover.discover_sessions(sessions_dir)`: sessions (main file + subagent files) under a
  `~/.claude/projects`-like folder; stdlib only, because Snakemake runs it at every DAG build.
- `extract.extract_session(...)`: one session -> rows (CONTRACTS.md "Extracted parquet") plus a
  quarantine of bad lines. Built from `reader` (lines -> validated records), `classify` (what a
  user record is) and `assemble` (merging, dedupe, pairing, subagent links).

Submodules are imported explicitly so that discovery does not pull in pyarrow.
"""
