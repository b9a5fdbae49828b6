"""Report plots about the final dataset, drawn from the data card (never from the data)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless: rules run without a display

import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

from halops.datacard import DataCard
from halops.split import SPLITS


def _strategy_split_counts(card: DataCard | Mapping[str, Any]) -> dict[str, dict[str, int]]:
    data = card.to_dict() if isinstance(card, DataCard) else card
    return {k: dict(v) for k, v in sorted(data.get("per_strategy_split", {}).items())}


def plot_examples_per_strategy_split(card: DataCard | Mapping[str, Any], out_png: Path) -> Path:
    """Grouped bars: examples per curation strategy, one bar per split."""
    counts = _strategy_split_counts(card)
    strategies = list(counts) or ["(none)"]
    width = 0.8 / len(SPLITS)
    fig, ax = plt.subplots(figsize=(max(4.0, 1.6 * len(strategies)), 3.5))
    for offset, split in enumerate(SPLITS):
        xs = [i + (offset - 1) * width for i in range(len(strategies))]
        values = [counts.get(s, {}).get(split, 0) for s in strategies]
        bars = ax.bar(xs, values, width, label=split)
        ax.bar_label(bars, fontsize=7)
    ax.set_xticks(range(len(strategies)), strategies)
    ax.set_ylabel("examples")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts: no 0.25 examples
    ax.set_title("Examples per strategy and split")
    ax.legend()
    fig.tight_layout()
    out_png = Path(out_png)
    out_png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out_png, dpi=120)
    plt.close(fig)
    return out_png
