"""The augmentation rules run by Snakemake on the shipped sample sessions: the one switch, the
pairs rule, the synthetic rule against a scripted endpoint on 127.0.0.1, the data card, the
cache on a rerun, and the DAG DPO adds between train and merge."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.halops.augment.standin import StandIn, lab_script, serve
from tests.workflow.test_pipeline import SAMPLE_SESSIONS, planned_jobs, snakemake

pytestmark = pytest.mark.slow  # the data stages of the pipeline, for real (~1-2 minutes)

TARGETS = ["results/augmented/data_card.md", "results/augmented/train.jsonl"]


def workdir(root: Path, augment: dict) -> Path:
    """A work directory with the sample sessions, the repo's config files and `augment` set."""
    import shutil

    from tests.conftest import REPO

    shutil.copytree(SAMPLE_SESSIONS, root / "sessions")
    (root / "config").mkdir()
    for item in (REPO / "config").iterdir():
        if item.name != "config.yaml":
            (root / "config" / item.name).symlink_to(item)
    cfg = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    cfg["sessions_dir"] = str(root / "sessions")
    cfg["augment"] = {**cfg["augment"], **augment}
    (root / "config" / "config.yaml").write_text(yaml.safe_dump(cfg))
    return root


@pytest.fixture(scope="module")
def standin():
    with serve(StandIn(lab_script)) as server:
        yield server


@pytest.fixture(scope="module")
def augmented(tmp_path_factory: pytest.TempPathFactory, standin: StandIn) -> Path:
    synthetic = {"base_url": standin.base_url, "model": "standin", "requests_per_minute": 6000}
    root = workdir(tmp_path_factory.mktemp("augment"), {"enabled": True})
    cfg = yaml.safe_load((root / "config" / "config.yaml").read_text())
    cfg["augment"]["synthetic"] |= synthetic | {"cache_dir": str(root / "cache")}
    (root / "config" / "config.yaml").write_text(yaml.safe_dump(cfg))
    snakemake(root, *TARGETS)
    return root


def test_pairs_rule_output(augmented: Path) -> None:
    pairs = pd.read_parquet(augmented / "results" / "augmented" / "pairs.parquet")
    assert {"safety", "interruption"} <= set(pairs["kind"])
    final = pd.concat(
        pd.read_parquet(augmented / "results" / "final" / f"{s}.parquet").assign(split=s)
        for s in ("train", "val", "test")
    )
    split_of = dict(zip(final["session_id"], final["split"], strict=True))
    for row in pairs.to_dict(orient="records"):
        assert split_of.get(row["session_id"], row["split"]) == row["split"]


def test_synthetic_examples_join_only_the_training_split(augmented: Path, standin) -> None:
    results = augmented / "results"
    real = (results / "final" / "train.jsonl").read_text().splitlines()
    mixed = (results / "augmented" / "train.jsonl").read_text().splitlines()
    assert mixed[: len(real)] == real
    added = [json.loads(line) for line in mixed[len(real) :]]
    assert added and all(r["metadata"]["synthetic"] for r in added)
    assert len(added) <= 0.2 * len(mixed) + 1e-9
    synthetic = pd.read_parquet(results / "augmented" / "synthetic.parquet")
    val_test = (results / "final" / "val.jsonl").read_text() + (
        results / "final" / "test.jsonl"
    ).read_text()
    for row in synthetic[synthetic["strategy"] == "synthetic_reword"].to_dict(orient="records"):
        assert row["origin"] not in val_test  # reworded requests come from train only
    assert standin.requests  # the rule really asked the endpoint


def test_data_card_has_the_augmentation_section(augmented: Path, standin) -> None:
    card = (augmented / "results" / "augmented" / "data_card.md").read_text()
    assert "## Augmentation" in card and "| safety |" in card
    assert f"`{standin.base_url}` (model `standin`)" in card


def test_a_forced_rerun_asks_the_endpoint_nothing_new(augmented: Path, standin) -> None:
    before = len(standin.requests)
    # Targets first: --forcerun takes every word after it as a rule or file to force.
    snakemake(augmented, *TARGETS, "--forcerun", "augment")
    assert len(standin.requests) == before
    card = json.loads((augmented / "results/augmented/synthetic_card.json").read_text())
    assert card["requests_sent"] == 0 and card["answers_from_cache"] > 0


def test_dpo_sits_between_train_and_merge(augmented: Path) -> None:
    jobs = planned_jobs(snakemake(augmented, "--dry-run", "results/eval/report.md"))
    assert {"dpo", "merge", "merge_sft", "gguf_sft", "train", "eval"} <= jobs.keys()
    details = snakemake(augmented, "--dry-run", "--printshellcmds", "results/model/merged")
    merge_block = details.split("rule merge:", 1)[1].split("\n\n", 1)[0]
    assert "results/augmented/dpo/adapter" in merge_block


def test_off_by_default(tmp_path: Path) -> None:
    root = workdir(tmp_path, {})
    jobs = planned_jobs(snakemake(root, "--dry-run"))
    assert not {"pairs", "dpo", "augment", "augment_card", "merge_sft"} & jobs.keys()
    details = snakemake(root, "--dry-run", "results/model/merged")
    assert "results/augmented" not in details
