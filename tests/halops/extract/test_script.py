"""The Snakemake adapter runs the extraction and logs its counts (a one-rule workflow)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from halops.rows import EXTRACTED_SCHEMA

REPO = Path(__file__).resolve().parents[3]
SCRIPT = REPO / "workflow" / "scripts" / "extract.py"

SNAKEFILE = """
rule extract:
    input:
        sessions=["sessions/proj/s1.jsonl", "sessions/proj/s1/subagents/agent-a1.jsonl",
                  "sessions/other/s2.jsonl"],
    output:
        parquet="results/extracted/shard-{{shard}}.parquet",
        quarantine="results/quarantine/shard-{{shard}}.jsonl",
    params:
        sessions=[
            ["proj", "s1", "sessions/proj/s1.jsonl", ["sessions/proj/s1/subagents/agent-a1.jsonl"]],
            ["other", "s2", "sessions/other/s2.jsonl", []],
        ],
        sessions_dir="sessions",
        cfg={{"max_line_bytes": 1000000}},
    log:
        "results/logs/extract/shard-{{shard}}.log",
    script:
        "{script}"
"""


def test_snakemake_script_adapter(tmp_path, write, transcript):
    t = transcript("s1")
    main = [t.user("hi"), "{broken", t.call("m1", "t1", "Task"), t.result("t1", "ok")]
    write(tmp_path / "sessions" / "proj" / "s1.jsonl", main)
    a = transcript("s1", agent_id="a1")
    write(tmp_path / "sessions/proj/s1/subagents/agent-a1.jsonl", [a.user("sub"), a.text("x", "y")])
    other = transcript("s2")
    write(tmp_path / "sessions/other/s2.jsonl", [other.user("second session")])
    (tmp_path / "Snakefile").write_text(SNAKEFILE.format(script=SCRIPT))
    snakemake = REPO / ".venv" / "bin" / "snakemake"
    if not snakemake.exists():
        pytest.skip("snakemake is not installed in the venv")
    proc = subprocess.run(
        [str(snakemake), "results/extracted/shard-07.parquet", "--cores", "1", "--quiet", "all"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    table = pq.read_table(tmp_path / "results/extracted/shard-07.parquet")
    assert table.schema == EXTRACTED_SCHEMA
    assert table.column("agent_id").to_pylist() == [None, None, None, "a1", "a1", None]
    assert table.column("session_id").to_pylist() == ["s1"] * 5 + ["s2"]
    assert table.column("seq").to_pylist() == [0, 1, 2, 3, 4, 0]
    [bad] = (tmp_path / "results/quarantine/shard-07.jsonl").read_text().splitlines()
    assert json.loads(bad)["location"] == "proj/s1.jsonl:2"
    log = (tmp_path / "results/logs/extract/shard-07.log").read_text()
    assert "session proj/s1: 2 files, 6 lines, 5 records, 5 rows, quarantined 1" in log
    assert "session other/s2: 1 files, 1 lines, 1 records, 1 rows, quarantined 0" in log
    assert "shard 07: 2 sessions, 3 files" in log
    assert "proj/s1.jsonl:2: invalid JSON" in log
