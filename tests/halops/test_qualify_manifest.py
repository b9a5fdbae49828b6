"""The qualifier against ground truth: a generated corpus, the shipped qualify config and
inventory, and the generator's manifest of what each session is (halops.agreement says which
tier each kind should get, and why)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from halops.agreement import (
    EXPECTED_TIER,
    ManifestError,
    agreement_of,
    load_manifest,
    manifest_kind,
    tier_agreement,
)
from halops.datacard import DataCard
from halops.domain import domain_config
from halops.extract.session import extract_shard
from halops.extract.sessions import find_sessions
from halops.qualify import QualifyConfig, qualify_sessions
from halops.samplegen import generate_corpus
from tests.conftest import REPO

CONFIG = yaml.safe_load((REPO / "config" / "config.yaml").read_text())


@pytest.fixture(scope="module", params=[0, 1], ids=["seed0", "seed1"])
def scored(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple:
    """The shipped samplegen counts (scripted stories + shifts), extracted and qualified."""
    root = tmp_path_factory.mktemp(f"corpus-{request.param}")
    sessions, manifest = root / "sessions", root / "manifest.jsonl"
    counts = CONFIG["samplegen"]
    generate_corpus(
        sessions,
        counts["scripted_sessions"],
        request.param,
        manifest_path=manifest,
        shifts=counts["shift_sessions"],
    )
    extracted = root / "extracted.parquet"
    extract_shard(find_sessions(sessions), sessions, extracted, root / "quarantine.jsonl")
    domain = domain_config(CONFIG["domain"], REPO / CONFIG["domain"]["inventory"])
    scores = qualify_sessions([extracted], QualifyConfig.from_dict(CONFIG["qualify"]), domain)
    return scores, load_manifest(manifest)


def test_every_kind_gets_its_expected_tier(scored: tuple) -> None:
    scores, manifest = scored
    agreement = tier_agreement(scores, manifest)
    assert set(agreement["table"]) == set(EXPECTED_TIER)  # every kind was generated
    wrong = {
        kind: {tier: n for tier, n in counts.items() if n and tier != EXPECTED_TIER[kind]}
        for kind, counts in agreement["table"].items()
    }
    assert wrong == {kind: {} for kind in EXPECTED_TIER}, wrong
    assert agreement["share"] == 1.0 and agreement["sessions"] == len(scores)
    assert (agreement["unknown_kind"], agreement["not_in_manifest"]) == (0, 0)


def test_disagreement_shows_in_the_table_and_the_share() -> None:
    manifest = pd.DataFrame(
        {"session_id": ["a", "b", "c", "d", "e"], "kind": ["clean", "clean", "messy", "x", "y"]}
    )
    scores = pd.DataFrame({"session_id": ["a", "b", "c", "d", "z"], "tier": list("ABBCA")})
    agreement = tier_agreement(scores, manifest)
    assert agreement["table"] == {
        "clean": {"A": 1, "B": 1, "C": 0},
        "messy": {"A": 0, "B": 1, "C": 0},
    }
    assert agreement["expected"] == {"clean": "A", "messy": "B"}
    assert (agreement["agreeing"], agreement["sessions"], agreement["share"]) == (2, 3, 0.6667)
    # d has a kind with no expectation; z was scored but never generated.
    assert (agreement["unknown_kind"], agreement["not_in_manifest"]) == (1, 1)


def test_abandoned_is_split_by_scenario() -> None:
    assert manifest_kind("shift", "abandoned") == "abandoned (shift)"
    assert manifest_kind("firewall_abandoned", "abandoned") == "abandoned (scripted)"
    assert manifest_kind("shift", "messy") == "messy"


def test_a_bad_manifest_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "manifest.jsonl"
    good = {"session_id": "s1", "scenario": "shift", "quality": "clean"}
    path.write_text(json.dumps(good) + "\n\n" + '{"session_id": "s2"}\n')
    with pytest.raises(ManifestError, match=rf"{path}:3: not a manifest record"):
        load_manifest(path)
    path.write_text(json.dumps(good) + "\n{truncated")
    with pytest.raises(ManifestError, match=rf"{path}:2: "):
        load_manifest(path)
    path.write_text(json.dumps(good) + "\n")
    assert load_manifest(path).to_dict("records") == [{"session_id": "s1", "kind": "clean"}]


def test_the_data_card_reports_the_agreement(tmp_path: Path) -> None:
    qualified = tmp_path / "sessions.parquet"
    pd.DataFrame({"session_id": ["s1", "s2"], "tier": ["A", "A"]}).to_parquet(qualified)
    manifest = tmp_path / "manifest.jsonl"
    manifest.write_text(
        "".join(
            json.dumps({"session_id": s, "scenario": "shift", "quality": q}) + "\n"
            for s, q in (("s1", "clean"), ("s2", "messy"))
        )
    )
    assert agreement_of(qualified, None) == {}
    card = DataCard(qualifier_agreement=agreement_of(qualified, manifest)).to_markdown()
    assert "## Tiers against the generator's manifest" in card
    assert "1 of 2 sessions (50.0 %) got the tier their kind should get." in card
    assert "| clean | A | 1 | 0 | 0 |" in card and "| messy | B | 1 | 0 | 0 |" in card
    assert "generator's manifest" not in DataCard().to_markdown()
