"""The data plots render from a data card (object or its JSON)."""

from __future__ import annotations

from pathlib import Path

from halops.datacard import DataCard
from halops.plots_data import plot_examples_per_strategy_split


def test_plot_examples_per_strategy_split(tmp_path: Path) -> None:
    card = DataCard(
        per_strategy_split={
            "multi_turn": {"train": 8, "val": 1, "test": 1},
            "single_turn": {"train": 20, "val": 3, "test": 2},
        }
    )
    for given, name in ((card, "a.png"), (card.to_dict(), "b.png")):
        out = plot_examples_per_strategy_split(given, tmp_path / "plots" / name)
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_of_an_empty_card(tmp_path: Path) -> None:
    out = plot_examples_per_strategy_split(DataCard(), tmp_path / "empty.png")
    assert out.stat().st_size > 0
