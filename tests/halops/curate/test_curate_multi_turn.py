"""multi_turn: windows at the token budget, compaction splits, skipped turns."""

from __future__ import annotations

import json

import pytest

from halops.curate import multi_turn
from halops.curate.common import Session
from halops.curate.config import AgentToolsConfig, CurateConfig, MultiTurnConfig
from halops.rows import build_rows, records

# These tests pin the strategies' structure on transcript tool names; the mapping to the
# agent's tools has its own tests (test_curate_agent_tools.py).
RAW_TOOLS = AgentToolsConfig(False, frozenset(), False, False)


def cfg(max_tokens: int, summary_as_user: bool = False) -> CurateConfig:
    # One char per token and a one-char system prompt make budgets easy to count.
    return CurateConfig(
        agent_tools=RAW_TOOLS,
        system_prompt="S",
        chars_per_token=1,
        multi_turn=MultiTurnConfig(max_tokens=max_tokens, summary_as_user=summary_as_user),
    )


def exchange(user: str, assistant: str) -> list[dict]:
    return [{"kind": "user_prompt", "text": user}, {"kind": "assistant", "text": assistant}]


ROWS = [
    *exchange("aaaa", "bbbb"),  # 8 chars
    *exchange("cc", "dd"),  # 4
    {"kind": "user_prompt", "text": "never answered"},
    {"kind": "interrupt", "text": "[Request interrupted by user]"},
    *exchange("ee", "ff"),  # 4
    {"kind": "compact_boundary", "text": "Conversation compacted"},
    {"kind": "compact_summary", "text": "SUM"},
    {"kind": "assistant", "text": "gg"},  # continues the pre-compaction request
    *exchange("hh", "ii"),  # 4
]


def conversations(max_tokens: int, summary_as_user: bool = False) -> list[list[str]]:
    session = Session("s1", "p1", "A", records(build_rows(ROWS)))
    examples = multi_turn.build_examples(session, cfg(max_tokens, summary_as_user))
    return [[m["content"] for m in json.loads(e["messages"])] for e in examples]


def test_windows_fill_up_to_the_budget() -> None:
    # Budget 13 tokens - 1 for the system prompt = 12 chars: 8 + 4 fit exactly.
    assert conversations(13) == [
        ["S", "aaaa", "bbbb", "cc", "dd"],
        ["S", "ee", "ff"],
        ["S", "hh", "ii"],
    ]


def test_one_token_less_moves_the_turn_to_the_next_window() -> None:
    assert conversations(12) == [
        ["S", "aaaa", "bbbb"],
        ["S", "cc", "dd", "ee", "ff"],
        ["S", "hh", "ii"],
    ]


def test_turn_over_budget_is_skipped() -> None:
    assert conversations(8) == [["S", "cc", "dd"], ["S", "ee", "ff"], ["S", "hh", "ii"]]


def test_compaction_summary_as_user_message() -> None:
    assert conversations(100, summary_as_user=True) == [
        ["S", "aaaa", "bbbb", "cc", "dd", "ee", "ff"],
        ["S", "SUM", "gg", "hh", "ii"],
    ]


def test_windows_never_cross_compaction() -> None:
    assert conversations(100) == [["S", "aaaa", "bbbb", "cc", "dd", "ee", "ff"], ["S", "hh", "ii"]]


def test_window_metadata() -> None:
    session = Session("s1", "p1", "A", records(build_rows(ROWS)))
    examples = multi_turn.build_examples(session, cfg(13))
    spans = [(e["seq_start"], e["seq_end"], e["approx_tokens"]) for e in examples]
    # The unanswered request (seq 4-5) sits between windows and belongs to neither span.
    assert spans == [(0, 3, 13), (6, 7, 5), (11, 12, 5)]
    assert all(e["strategy"] == "multi_turn" for e in examples)


@pytest.mark.parametrize("summary_as_user", [True, False])
def test_every_window_starts_with_system_then_user(summary_as_user: bool) -> None:
    for conversation in conversations(13, summary_as_user):
        assert conversation[0] == "S" and len(conversation) >= 3
