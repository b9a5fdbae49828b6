"""The data card explains the tiers with this run's thresholds, and every number it shows."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from halops.datacard import DataCard
from halops.qualify import QualifyConfig, tier_definitions, write_scores
from halops.validate_split import qualified_summary, quarantine_summary

CFG = QualifyConfig(
    tier_a=0.8, tier_b=0.6, minimums={"A": {"relevance": 0.5}, "B": {"tool_success": 0.4}}
)
FEEDS = {"multi_turn": ["A"], "single_turn": ["A", "B"], "skills": ["A", "B"]}


def card_for(tmp_path: Path) -> DataCard:
    sessions = tmp_path / "sessions.parquet"
    scores = pd.DataFrame({"session_id": list("abcd"), "tier": ["A", "B", "C", "C"]})
    write_scores(scores, sessions, tier_definitions(CFG, FEEDS))
    quarantine = tmp_path / "shard-00.jsonl"
    quarantine.write_text(
        '{"location": "p/s1.jsonl:3", "reason": "invalid JSON: x", "raw": "{"}\n'
        '{"location": "p/s1.jsonl:9", "reason": "invalid JSON: y", "raw": "{"}\n'
        '{"location": "p/s2.jsonl:1", "reason": "gzip-compressed file, not JSONL text: z",'
        ' "raw": ""}\n'
    )
    (tmp_path / "shard-01.jsonl").write_text("")
    return DataCard(
        n_input_examples=12,
        n_output_examples=10,
        per_tier={"A": 8, "B": 2},
        qualified=qualified_summary(sessions),
        quarantine=quarantine_summary([quarantine, tmp_path / "shard-01.jsonl"]),
    )


def test_tier_table_has_the_thresholds_counts_and_strategies(tmp_path: Path) -> None:
    text = card_for(tmp_path).to_markdown()
    assert "| A | score >= 0.8, relevance >= 0.5 | 1 | 8 | multi_turn, single_turn, skills |" in (
        text
    )
    assert (
        "| B | score >= 0.6, tool_success >= 0.4 (and not tier A) | 1 | 2 | single_turn, skills |"
        in text
    )
    assert "| C | it reaches no other tier, or has no user prompt" in text
    assert text.index("## Tiers") < text.index("## What the numbers mean")


def test_quarantine_counts_transcript_files_not_shards(tmp_path: Path) -> None:
    card = card_for(tmp_path)
    assert card.quarantine["files"] == 2 and card.quarantine["lines"] == 3
    assert card.quarantine["reasons"] == {
        "invalid JSON": 2,
        "gzip-compressed file, not JSONL text": 1,
    }
    assert "**Quarantine**: 3 transcript lines in 2 files could not be used" in card.to_markdown()


def test_every_section_is_explained(tmp_path: Path) -> None:
    text = card_for(tmp_path).to_markdown()
    explained = text.split("## What the numbers mean", 1)[1]
    for term in (
        "curated",
        "kept",
        "Examples per tier",
        "Sessions scored",
        "split",
        "Token",
        "Duplicates",
        "Redactions",
        "Quarantine",
        "Examples per strategy",
    ):
        assert term in explained, term
    assert re.search(r"\*\*12 curated\*\*.*\*\*10 kept\*\*", explained)


def test_a_table_without_definitions_still_explains_the_tiers(tmp_path: Path) -> None:
    plain = tmp_path / "plain.parquet"
    pd.DataFrame({"tier": ["A"]}).to_parquet(plain)
    card = DataCard(qualified=qualified_summary(plain))
    assert "| A | score >= qualify.tiers.A and the tier's minimums |" in card.to_markdown()
