"""The Snakemake adapter runs the extraction and logs its counts (a one-rule workflow)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from halops.transcripts.schema import EXTRACTED_SCHEMA

REPO = Path(__file__).resolve().parents[3]
SCRIPT = REPO / "workflow" / "scripts" / "extract.py"

SNAKEFILE = """
rule extract:
    input:
        session="sessions/proj/s1.jsonl",
        subagents=["sessions/proj/s1/subagents/agent-a1.jsonl"],
    output:
        parquet="results/extracted/proj/s1.parquet",
        quarantine="results/quarantine/proj/s1.jsonl",
    params:
        sessions_dir="sessions",
        cfg={{"max_line_bytes": 1000000}},
    log:
        "results/logs/extract/proj/s1.log",
    script:
        "{script}"
"""


def test_snakemake_script_adapter(tmp_path, write, transcript):
    t = transcript("s1")
    main = [t.user("hi"), "{broken", t.call("m1", "t1", "Task"), t.result("t1", "ok")]
    write(tmp_path / "sessions" / "proj" / "s1.jsonl", main)
    a = transcript("s1", agent_id="a1")
    write(tmp_path / "sessions/proj/s1/subagents/agent-a1.jsonl", [a.user("sub"), a.text("x", "y")])
    (tmp_path / "Snakefile").write_text(SNAKEFILE.format(script=SCRIPT))
    snakemake = REPO / ".venv" / "bin" / "snakemake"
    if not snakemake.exists():
        pytest.skip("snakemake is not installed in the venv")
    proc = subprocess.run(
        [str(snakemake), "--cores", "1", "--quiet", "all"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    table = pq.read_table(tmp_path / "results/extracted/proj/s1.parquet")
    assert table.schema == EXTRACTED_SCHEMA
    assert table.column("agent_id").to_pylist() == [None, None, None, "a1", "a1"]
    [bad] = (tmp_path / "results/quarantine/proj/s1.jsonl").read_text().splitlines()
    assert json.loads(bad)["location"] == "proj/s1.jsonl:2"
    log = (tmp_path / "results/logs/extract/proj/s1.log").read_text()
    assert "quarantined 1 lines" in log
    assert "proj/s1.jsonl:2: invalid JSON" in log
