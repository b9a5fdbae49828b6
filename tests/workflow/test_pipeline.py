"""The data stages of the workflow, run for real by Snakemake on the shipped sample sessions."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml

from halops.extract.sessions import find_sessions
from halops.extract.shards import session_key, shard_label, shard_of
from halops.samplegen import PLANTED_SECRETS, generate_corpus
from tests.conftest import REPO, venv_tool, write_test_serve_yaml

SAMPLE_SESSIONS = REPO / "workflow" / "resources" / "sessions"
DATA_TARGET = "results/final/train.jsonl"
PLOTS = ["results/plots/tiers.png", "results/plots/scores.png", "results/plots/examples.png"]
N_SHARDS = yaml.safe_load((REPO / "config" / "config.yaml").read_text())["extract"]["shards"]


def snakemake(workdir: Path, *args: str, configfile: Path | None = None) -> str:
    cmd = [
        venv_tool("snakemake"),
        "--snakefile",
        str(REPO / "workflow" / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(configfile or workdir / "config" / "config.yaml"),
        "--cores",
        "2",
        *args,
    ]
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=900)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-6000:]
    return output


def planned_jobs(dry_run_output: str) -> dict[str, int]:
    """Job counts per rule from a dry run's "Job stats" table."""
    table = dry_run_output.split("Job stats:", 1)[1]
    counts = {}
    for line in table.splitlines()[3:]:
        match = re.match(r"^(\w+)\s+(\d+)$", line.strip())
        if not match:
            break
        counts[match.group(1)] = int(match.group(2))
    return counts


def planned_shards(dry_run_output: str) -> list[str]:
    """The shard of every planned per-shard job, from the dry run's "wildcards:" lines."""
    return re.findall(r"^\s*wildcards: shard=(\d+)$", dry_run_output, re.M)


@pytest.fixture(scope="module")
def pipeline_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A work directory where the data stages ran once on a copy of the sample sessions."""
    work = tmp_path_factory.mktemp("pipeline")
    shutil.copytree(SAMPLE_SESSIONS, work / "sessions")
    (work / "config").mkdir()
    for item in (REPO / "config").iterdir():  # runbooks, eval cases, agent and policy files
        if item.name not in ("config.yaml", "serve.yaml"):
            (work / "config" / item.name).symlink_to(item)
    # The eval's llama.cpp servers on one thread (tests/conftest.py says why).
    write_test_serve_yaml(work / "config" / "serve.yaml")
    cfg = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    cfg["sessions_dir"] = str(work / "sessions")
    (work / "config" / "config.yaml").write_text(yaml.safe_dump(cfg))
    snakemake(work, DATA_TARGET, *PLOTS)
    return work


def test_data_stages_write_splits_and_card(pipeline_run: Path) -> None:
    final = pipeline_run / "results" / "final"
    card = json.loads((final / "data_card.json").read_text())
    total = 0
    for split in ("train", "val", "test"):
        frame = pd.read_parquet(final / f"{split}.parquet")
        lines = (final / f"{split}.jsonl").read_text().splitlines()
        assert len(frame) == len(lines) > 0, split
        total += len(lines)
        first = json.loads(lines[0])
        assert first["messages"][0]["role"] == "system"
        assert any(m["role"] == "assistant" for m in first["messages"])
    assert json.dumps(card).count("train") > 0 and total > 10
    for plot in PLOTS:
        assert (pipeline_run / plot).stat().st_size > 1000, plot


def test_no_session_in_two_splits(pipeline_run: Path) -> None:
    final = pipeline_run / "results" / "final"
    sessions = {
        split: set(pd.read_parquet(final / f"{split}.parquet")["session_id"])
        for split in ("train", "val", "test")
    }
    assert not sessions["train"] & sessions["val"]
    assert not sessions["train"] & sessions["test"]
    assert not sessions["val"] & sessions["test"]


def test_planted_credentials_never_reach_the_splits(pipeline_run: Path) -> None:
    raw = "".join(p.read_text() for p in (pipeline_run / "sessions").rglob("*.jsonl"))
    planted = [secret for secret in PLANTED_SECRETS if secret in raw]
    assert planted, "the sample sessions should carry planted credentials"
    for path in (pipeline_run / "results" / "final").rglob("*"):
        if path.is_file():
            text = path.read_bytes().decode("utf-8", "replace")
            leaked = [secret[:12] for secret in planted if secret in text]
            assert not leaked, f"{path.name} leaks {leaked}"


def test_adding_a_session_reruns_only_its_shard(pipeline_run: Path, tmp_path: Path) -> None:
    # Extract, qualify and curate (which scrubs, filters, fits and scans) run for the new
    # session's shard only; merge_qualified and validate_split are global by nature.
    generate_corpus(tmp_path / "extra", n_sessions=1, seed=4242)
    added = sorted((tmp_path / "extra").rglob("*.jsonl"))
    for path in added:
        target = pipeline_run / "sessions" / path.relative_to(tmp_path / "extra")
        assert not target.exists()
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    [ref] = find_sessions(tmp_path / "extra")
    shard = shard_label(shard_of(session_key(ref.project, ref.session), N_SHARDS), N_SHARDS)
    try:
        output = snakemake(pipeline_run, "--dry-run", DATA_TARGET)
    finally:
        for path in added:
            (pipeline_run / "sessions" / path.relative_to(tmp_path / "extra")).unlink()
    jobs = planned_jobs(output)
    assert jobs["extract"] == 1 and jobs["qualify"] == 1 and jobs["curate"] == 1, jobs
    assert planned_shards(output) == [shard] * 3  # the new session's shard, nothing else
    assert jobs["merge_qualified"] == 1 and jobs["validate_split"] == 1


def test_changed_threshold_reruns_qualify_onward(pipeline_run: Path) -> None:
    cfg = yaml.safe_load((pipeline_run / "config" / "config.yaml").read_text())
    first_threshold = next(iter(cfg["qualify"]["tiers"]))
    cfg["qualify"]["tiers"][first_threshold] = round(
        cfg["qualify"]["tiers"][first_threshold] - 0.05, 3
    )
    changed = pipeline_run / "config" / "changed.yaml"
    changed.write_text(yaml.safe_dump(cfg))
    jobs = planned_jobs(snakemake(pipeline_run, "--dry-run", DATA_TARGET, configfile=changed))
    assert "extract" not in jobs
    shards = len(list((pipeline_run / "results" / "extracted").glob("shard-*.parquet")))
    assert jobs["qualify"] == shards and jobs["merge_qualified"] == 1
    assert jobs["curate"] == shards and jobs["validate_split"] == 1


def test_changed_inventory_reruns_qualify_not_extract(pipeline_run: Path, tmp_path: Path) -> None:
    inventory = yaml.safe_load((REPO / "config" / "inventory.yaml").read_text())
    inventory["hosts"] = inventory["hosts"][:-1]
    changed_inventory = tmp_path / "inventory.yaml"
    changed_inventory.write_text(yaml.safe_dump(inventory))
    cfg = yaml.safe_load((pipeline_run / "config" / "config.yaml").read_text())
    cfg["domain"]["inventory"] = str(changed_inventory)
    changed = pipeline_run / "config" / "inventory-changed.yaml"
    changed.write_text(yaml.safe_dump(cfg))
    jobs = planned_jobs(snakemake(pipeline_run, "--dry-run", DATA_TARGET, configfile=changed))
    assert "extract" not in jobs and jobs["qualify"] >= 1


def test_changed_window_recurates_every_shard_not_qualify(pipeline_run: Path) -> None:
    # The window is fitted per shard in curate: a new max_length re-fits every shard, and
    # nothing upstream of curate runs again.
    cfg = yaml.safe_load((pipeline_run / "config" / "config.yaml").read_text())
    profile = cfg["model"]["profiles"][cfg["model"]["profile"]]
    profile["train"]["max_length"] += 256
    changed = pipeline_run / "config" / "window-changed.yaml"
    changed.write_text(yaml.safe_dump(cfg))
    jobs = planned_jobs(snakemake(pipeline_run, "--dry-run", DATA_TARGET, configfile=changed))
    shards = len(list((pipeline_run / "results" / "curated").glob("shard-*[0-9].parquet")))
    assert "extract" not in jobs and "qualify" not in jobs and "merge_qualified" not in jobs
    assert jobs["curate"] == shards and jobs["validate_split"] == 1


def test_shards_carry_their_scan_digests_and_the_final_rescan_uses_them(
    pipeline_run: Path,
) -> None:
    curated = pipeline_run / "results" / "curated"
    examples = sorted(curated.glob("shard-*[0-9].parquet"))
    digests = sorted(curated.glob("shard-*.scanned.parquet"))
    assert len(examples) == len(digests) > 1
    assert sum(pd.read_parquet(path)["digest"].size for path in digests) > 0  # empty shards: 0
    log = (pipeline_run / "results" / "logs" / "validate_split.log").read_text()
    match = re.search(r"re-scanned (\d+) strings; (\d+) known clean", log)
    assert match, log
    assert int(match.group(2)) > int(match.group(1)), "the cache should spare most strings"


def test_unchanged_inputs_rerun_nothing(pipeline_run: Path) -> None:
    output = snakemake(pipeline_run, "--dry-run", DATA_TARGET)
    assert "Nothing to be done" in output


@pytest.mark.slow
def test_eval_rule_scores_a_few_cases_with_the_embedded_model(pipeline_run: Path) -> None:
    cfg = yaml.safe_load((pipeline_run / "config" / "config.yaml").read_text())
    cfg["eval"] |= {
        "models": [{"name": "base", "gguf": "embedded"}],
        "configurations": [{"model": "base", "retrieval": False, "grammar": True, "heldout": True}],
        "max_cases": 2,
        "heldout_max_turns": 2,
    }
    few = pipeline_run / "config" / "eval-few.yaml"
    few.write_text(yaml.safe_dump(cfg))
    output = snakemake(pipeline_run, "results/eval/report.md", configfile=few)
    # The run ends with the one-screen summary (onsuccess prints it to stdout).
    assert "HALops evaluation: 2 cases" in output
    scores = pd.read_parquet(pipeline_run / "results" / "eval" / "scores.parquet")
    cases = scores[scores["suite"] == "cases"]
    assert len(cases) >= 2
    assert set(cases["outcome"]) <= {"pass", "partial", "fail"}
    assert set(cases["model"]) == {"base"} and not cases["retrieval"].any()
    report = (pipeline_run / "results" / "eval" / "report.md").read_text()
    assert "base" in report and "pass^" in report
