"""Wrong input stops the real `snakemake` early and says why; the previous results survive.

Each case asserts its own message as the user sees it on the terminal. The sessions_dir cases
are covered message by message in tests/halops/extract/test_sessions_dir.py; here one of them
shows that the message reaches the terminal before any job runs.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO, venv_tool

SAMPLE_SESSIONS = REPO / "workflow" / "resources" / "sessions"
DATA_TARGET = "results/final/train.jsonl"


def snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run snakemake; `.stdout` holds both streams (a dry run prints its errors to stdout)."""
    cmd = [
        venv_tool("snakemake"),
        DATA_TARGET,
        "--snakefile",
        str(REPO / "workflow" / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(workdir / "config" / "config.yaml"),
        "--cores",
        "2",
        *args,
    ]
    return subprocess.run(
        cmd, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900
    )


def make_workdir(base: Path, sessions_dir: Path, **sections: dict) -> Path:
    (base / "config").mkdir(parents=True)
    for item in (REPO / "config").iterdir():
        if item.name != "config.yaml":
            (base / "config" / item.name).symlink_to(item)
    cfg = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    cfg["sessions_dir"] = str(sessions_dir)
    for name, values in sections.items():
        cfg[name] |= values
    (base / "config" / "config.yaml").write_text(yaml.safe_dump(cfg))
    return base


@pytest.fixture
def sessions(tmp_path: Path) -> Path:
    """A few sample sessions (every 5th), enough for every tier."""
    dest = tmp_path / "sessions"
    for project in sorted(SAMPLE_SESSIONS.iterdir()):
        mains = sorted(p for p in project.glob("*.jsonl") if not p.name.startswith("agent-"))
        for main in mains[::5]:
            (dest / project.name).mkdir(parents=True, exist_ok=True)
            shutil.copy2(main, dest / project.name / main.name)
    return dest


def test_missing_sessions_dir_stops_before_any_job(tmp_path: Path) -> None:
    work = make_workdir(tmp_path / "work", tmp_path / "nope")
    proc = snakemake(work)
    assert proc.returncode != 0
    assert f"sessions_dir {tmp_path / 'nope'} does not exist." in proc.stdout
    assert "--config sessions_dir=$HOME/.claude/projects" in proc.stdout
    assert not (work / "results").exists()


def test_dot_claude_is_named_with_the_fix(tmp_path: Path, sessions: Path) -> None:
    claude = tmp_path / ".claude"
    shutil.copytree(sessions, claude / "projects")
    proc = snakemake(make_workdir(tmp_path / "work", claude), "--dry-run")
    assert proc.returncode != 0
    assert f"Use --config sessions_dir={claude / 'projects'}" in proc.stdout


def test_nested_overrides_get_the_schema_types(tmp_path: Path, sessions: Path) -> None:
    work = make_workdir(tmp_path / "work", sessions)
    proc = snakemake(
        work,
        "--dry-run",
        "--config",
        "extract={max_line_bytes: 100000}",
        "eval={max_cases: 2}",
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "is not of type" not in proc.stdout


def test_range_errors_say_the_range(tmp_path: Path, sessions: Path) -> None:
    work = make_workdir(tmp_path / "work", sessions)
    proc = snakemake(work, "--dry-run", "--config", "extract={max_line_bytes: 10, shards: 0}")
    assert proc.returncode != 0
    assert "extract.max_line_bytes = 10 is out of range: must be >= 1024" in proc.stdout
    assert "extract.shards = 0 is out of range: must be >= 1 and <= 4096" in proc.stdout


def test_nested_override_of_the_wrong_type_names_the_key(tmp_path: Path, sessions: Path) -> None:
    work = make_workdir(tmp_path / "work", sessions)
    proc = snakemake(work, "--dry-run", "--config", "extract={max_line_bytes: lots}")
    assert proc.returncode != 0
    assert "extract.max_line_bytes = 'lots' is not of type integer" in proc.stdout


@pytest.mark.slow
def test_nothing_to_curate_fails_after_qualify_and_keeps_the_card(
    tmp_path: Path, sessions: Path
) -> None:
    work = make_workdir(tmp_path / "work", sessions)
    first = snakemake(work)
    assert first.returncode == 0, first.stdout[-3000:]
    card = (work / "results/final/data_card.md").read_bytes()
    n_sessions = len(list(sessions.rglob("*.jsonl")))

    off_topic = yaml.safe_load((work / "config" / "config.yaml").read_text())
    off_topic["domain"] = {"inventory": None, "hosts": [], "keywords": ["kubernetes"]}
    (work / "config" / "config.yaml").write_text(yaml.safe_dump(off_topic))
    second = snakemake(work)
    assert second.returncode != 0
    assert (
        f"No session reached a tier that feeds curation (A, B): {n_sessions} sessions scored, "
        f"tiers A 0, B 0, C {n_sessions}." in second.stdout
    )
    assert (
        f"relevance 0 in {n_sessions} of {n_sessions} sessions: none of the inventory hosts or "
        "domain keywords appear" in second.stdout
    )
    assert "halops discover --sessions" in second.stdout
    assert (work / "results/final/data_card.md").read_bytes() == card
    assert "Error in rule merge_qualified" in second.stdout
