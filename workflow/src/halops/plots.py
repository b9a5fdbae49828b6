"""Figures for `snakemake --report`: small functions, one PNG each, matplotlib's Agg backend.

Agg renders without a display, so the plots work on headless cluster nodes and in CI.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # after use("Agg"): the backend must be chosen first
import pandas as pd

TIERS = ("A", "B", "C")
TIER_COLOURS = {"A": "#2e7d32", "B": "#f9a825", "C": "#c62828"}


def plot_tiers(df: pd.DataFrame, out_png: Path) -> None:
    """Bar chart of sessions per tier (every tier shown, even when empty)."""
    counts = df["tier"].value_counts().reindex(list(TIERS), fill_value=0)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    bars = ax.bar(list(TIERS), counts.to_list(), color=[TIER_COLOURS[t] for t in TIERS])
    ax.bar_label(bars)
    ax.set_xlabel("tier")
    ax.set_ylabel("sessions")
    ax.set_title(f"Sessions per tier ({len(df)} sessions)")
    _save(fig, out_png)


def plot_scores(
    df: pd.DataFrame, out_png: Path, thresholds: dict[str, float] | None = None, bins: int = 20
) -> None:
    """Histogram of session scores in [0, 1], stacked by tier, with optional tier cut lines."""
    fig, ax = plt.subplots(figsize=(6, 3.5))
    series = [df.loc[df["tier"] == tier, "score"].astype(float).to_list() for tier in TIERS]
    colours = [TIER_COLOURS[t] for t in TIERS]
    ax.hist(series, bins=bins, range=(0.0, 1.0), stacked=True, color=colours, label=list(TIERS))
    for tier, cut in (thresholds or {}).items():
        ax.axvline(cut, color="black", linestyle="--", linewidth=1)
        ax.annotate(f"{tier} ≥ {cut:g}", (cut, 0.95), xycoords=("data", "axes fraction"))
    ax.set_xlim(0, 1)
    ax.set_xlabel("score")
    ax.set_ylabel("sessions")
    ax.set_title("Session score distribution")
    ax.legend(title="tier")
    _save(fig, out_png)


def _save(fig: plt.Figure, out_png: Path) -> None:
    out_png = Path(out_png)
    out_png.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out_png, dpi=120)
    plt.close(fig)
