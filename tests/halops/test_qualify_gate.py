"""Merging the shards' scores, and the stop when no session feeds curation."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from halops.qualify import (
    COLUMNS,
    TIERS_METADATA,
    QualifyConfig,
    blockers,
    commonest_blockers,
    merge_scores,
    nothing_to_curate,
    tier_definitions,
    write_scores,
)

CFG = QualifyConfig(
    tier_a=0.75,
    tier_b=0.5,
    minimums={"A": {"relevance": 0.5, "tool_success": 0.7}, "B": {"tool_success": 0.4}},
)
FEEDS = {"multi_turn": ["A"], "single_turn": ["A", "B"]}


def scored(session: str, tier: str = "C", **values: float) -> dict:
    row = dict.fromkeys(COLUMNS, 0)
    row |= {"session_id": session, "project": "p", "tier": tier, "reason": "r", "n_prompts": 1}
    row |= {"tool_success": 1.0, "relevance": 0.5, "score": 0.6} | values
    return row


def frame(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=list(COLUMNS))


def test_merge_sorts_by_project_and_session_and_skips_empty_shards(tmp_path: Path) -> None:
    frame(scored("b"), scored("a")).to_parquet(tmp_path / "shard-00.parquet")
    frame().to_parquet(tmp_path / "shard-01.parquet")
    frame(scored("c")).to_parquet(tmp_path / "shard-02.parquet")
    merged = merge_scores(sorted(tmp_path.glob("shard-*.parquet")))
    assert merged["session_id"].tolist() == ["a", "b", "c"]
    assert list(merged.columns) == list(COLUMNS)
    assert merge_scores([tmp_path / "shard-01.parquet"]).empty


def test_written_table_carries_the_tier_definitions(tmp_path: Path) -> None:
    path = tmp_path / "sessions.parquet"
    write_scores(frame(scored("a", "A")), path, tier_definitions(CFG, FEEDS))
    metadata = json.loads(pq.read_schema(path).metadata[TIERS_METADATA])
    assert metadata == {
        "thresholds": {"A": 0.75, "B": 0.5},
        "minimums": {"A": {"relevance": 0.5, "tool_success": 0.7}, "B": {"tool_success": 0.4}},
        "feeds": {"multi_turn": ["A"], "single_turn": ["A", "B"]},
    }
    assert pd.read_parquet(path)["tier"].tolist() == ["A"]


def test_no_message_when_some_session_feeds_curation() -> None:
    assert nothing_to_curate(frame(scored("a", "B"), scored("b")), CFG, ["A", "B"]) is None


def test_message_gives_tier_counts_and_commonest_reasons() -> None:
    scores = frame(
        *[scored(f"off{i}", relevance=0.0, score=0.55) for i in range(5)],
        scored("failing", tool_success=0.2, score=0.3),
        scored("silent", n_prompts=0, score=0.9),
    )
    message = nothing_to_curate(scores, CFG, ["A", "B"])
    assert message is not None
    lines = message.splitlines()
    assert lines[0] == (
        "No session reached a tier that feeds curation (A, B): 7 sessions scored, "
        "tiers A 0, B 0, C 7. Commonest reasons:"
    )
    assert lines[1] == (
        "  - relevance 0 in 5 of 7 sessions: none of the inventory hosts or domain keywords appear"
    )
    assert "  - no user prompt in 1 of 7 sessions" in lines
    assert "  - score below tier B's threshold 0.5 in 1 of 7 sessions" in lines
    assert "  - tool_success below tier B's minimum 0.4 in 1 of 7 sessions" in lines
    assert "halops discover --sessions" in lines[-1]


def test_blockers_are_measured_against_the_easiest_feeding_tier() -> None:
    row = scored("x", score=0.6, relevance=0.3)
    assert blockers(row, CFG, ["A"]) == [
        "relevance below tier A's minimum 0.5",
        "score below tier A's threshold 0.75",
    ]
    assert blockers(row, CFG, ["A", "B"]) == []


def test_nothing_scored_names_the_quarantine_reasons() -> None:
    message = nothing_to_curate(
        frame(), CFG, ["A", "B"], {"gzip-compressed file, not JSONL text": 40, "x": 1}
    )
    assert message == (
        "No session was scored: no session file had a single usable record (every one was "
        "empty or quarantined). Quarantined: gzip-compressed file, not JSONL text (40 lines), "
        "x (1 lines); see results/quarantine/."
    )


def test_commonest_blockers_count_only_the_sessions_left_out() -> None:
    scores = frame(scored("kept", "A"), scored("off", relevance=0.0), scored("weak", score=0.2))
    assert commonest_blockers(scores, CFG, ["A", "B"]) == [
        "relevance 0 in 1 of 3 sessions: none of the inventory hosts or domain keywords appear",
        "score below tier B's threshold 0.5 in 1 of 3 sessions",
    ]
