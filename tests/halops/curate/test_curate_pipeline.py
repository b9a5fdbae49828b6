"""curate_strategy over files: tier routing, the output table and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from halops.curate import CurateConfig, curate_strategy
from halops.curate.common import EXAMPLE_COLUMNS
from halops.curate.config import AgentToolsConfig
from halops.rows import build_rows

# These tests pin the strategies' structure on transcript tool names; the mapping to the
# agent's tools has its own tests (test_curate_agent_tools.py).
RAW_TOOLS = AgentToolsConfig(False, frozenset(), False, False)

CFG = CurateConfig(
    agent_tools=RAW_TOOLS,
    system_prompt="SYS",
    tiers={"multi_turn": ("A",), "single_turn": ("A", "B"), "skills": ("A",), "subagents": ()},
)


def write(path: Path, frame: pd.DataFrame) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path)
    return path


def exchange(session_id: str) -> pd.DataFrame:
    rows = [
        {"kind": "user_prompt", "text": f"hello from {session_id}"},
        {"kind": "assistant", "text": "hi"},
    ]
    return build_rows(rows, session_id, "lab")


def qualified(*tiers: tuple[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "session_id": [sid for sid, _ in tiers],
            "project": ["lab"] * len(tiers),
            "tier": [tier for _, tier in tiers],
        }
    )


@pytest.fixture
def paths(tmp_path: Path) -> list[Path]:
    root = tmp_path / "extracted" / "lab"
    return [
        write(root / "a.parquet", exchange("a")),
        write(root / "b.parquet", exchange("b")),
        write(root / "c.parquet", exchange("c")),
        write(root / "empty.parquet", build_rows([])),
        write(root / "meta.parquet", build_rows([{"kind": "meta", "text": "x"}], "meta", "lab")),
        write(root / "unscored.parquet", exchange("unscored")),
    ]


TIERS = qualified(("a", "A"), ("b", "B"), ("c", "C"), ("empty", "C"), ("meta", "A"))


@pytest.mark.parametrize(
    ("strategy", "sessions"),
    [("multi_turn", ["a"]), ("single_turn", ["a", "b"]), ("skills", []), ("subagents", [])],
)
def test_tiers_route_sessions_to_strategies(
    paths: list[Path], strategy: str, sessions: list[str]
) -> None:
    frame = curate_strategy(strategy, paths, TIERS, CFG)
    assert frame["session_id"].tolist() == sessions
    assert list(frame.columns) == list(EXAMPLE_COLUMNS)
    assert (frame["strategy"] == strategy).all()


def test_output_table_types_and_messages(paths: list[Path]) -> None:
    frame = curate_strategy("single_turn", paths, TIERS, CFG)
    assert {column: str(frame[column].dtype) for column in frame.columns} == EXAMPLE_COLUMNS
    assert json.loads(frame.loc[0, "messages"]) == [
        {"role": "system", "content": "SYS"},
        {"role": "user", "content": "hello from a"},
        {"role": "assistant", "content": "hi"},
    ]
    assert frame["n_messages"].tolist() == [3, 3]
    assert frame["skill"].isna().all() and frame["agent_id"].isna().all()


def test_the_table_survives_a_parquet_round_trip(paths: list[Path], tmp_path: Path) -> None:
    for strategy in ("single_turn", "skills"):  # with rows, and empty
        frame = curate_strategy(strategy, paths, TIERS, CFG)
        frame.to_parquet(tmp_path / "out.parquet", index=False)
        back = pd.read_parquet(tmp_path / "out.parquet")
        assert back["example_id"].tolist() == frame["example_id"].tolist()


def test_unknown_strategy_is_an_error(paths: list[Path]) -> None:
    with pytest.raises(ValueError, match="unknown curate strategy 'nope'"):
        curate_strategy("nope", paths, TIERS, CFG)


def test_no_input_gives_an_empty_table() -> None:
    frame = curate_strategy("multi_turn", [], qualified(), CFG)
    assert frame.empty and list(frame.columns) == list(EXAMPLE_COLUMNS)
