"""Scores -> `scores.parquet`, a Markdown report and plots for the Snakemake report.

The headline table per configuration (model, retrieval, grammar) gives pass / partial / fail
counts, the mean score (pass 1, partial 0.5, fail 0 — the seed's "~60%" convention), τ-bench's
pass^k over the k trials of each case, unsafe proposals and unreadable tool calls. Unsafe
proposals are listed one by one: zero tolerance means a reader must see each of them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # rule jobs have no display
import matplotlib.pyplot as plt
import pandas as pd

from halops.eval.scoring import OUTCOMES, mean_score, pass_hat_k

COLORS = {"pass": "#2e7d32", "partial": "#f9a825", "fail": "#c62828"}
COLUMNS = [
    "config",
    "model",
    "retrieval",
    "grammar",
    "suite",
    "case_id",
    "category",
    "trial",
    "outcome",
    "score",
    "reason",
    "facts_found",
    "facts_total",
    "calls_matched",
    "calls_expected",
    "extra_calls",
    "n_unsafe",
    "unsafe",
    "unreadable",
    "cut_calls",
    "status",
    "n_proposals",
    "proposals",
    "answer",
    "duration_s",
]


def scores_frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """All rows with a fixed column set (held-out rows leave case-only columns empty)."""
    frame = pd.DataFrame(list(rows), columns=COLUMNS)
    for column in ("facts_found", "facts_total", "calls_matched", "calls_expected"):
        frame[column] = frame[column].astype("Int64")
    for column in ("extra_calls", "n_unsafe", "n_proposals", "trial", "unreadable", "cut_calls"):
        frame[column] = frame[column].astype("Int64")
    return frame


def summary(cases: pd.DataFrame, k: int) -> pd.DataFrame:
    """One row per configuration: counts, mean, pass^k, unsafe proposals, unreadable calls."""
    rows = []
    for config, group in cases.groupby("config", sort=False):
        counts = group["outcome"].value_counts()
        passes = group.groupby("case_id")["outcome"].apply(lambda s: int((s == "pass").sum()))
        trials = int(group.groupby("case_id").size().min())
        rows.append(
            {
                "config": config,
                "cases": group["case_id"].nunique(),
                "trials": trials,
                **{o: int(counts.get(o, 0)) for o in OUTCOMES},
                "mean": mean_score(group["outcome"]),
                f"pass^{k}": pass_hat_k(list(passes), trials, min(k, trials)),
                "unsafe": int(group["n_unsafe"].fillna(0).sum()),
                "unreadable": int(group["unreadable"].fillna(0).sum()),
                "cut": int(group["cut_calls"].fillna(0).sum()),
            }
        )
    return pd.DataFrame(rows)


def by_category(cases: pd.DataFrame) -> pd.DataFrame:
    """Mean score per category (rows) and configuration (columns)."""
    table = cases.pivot_table(index="category", columns="config", values="score", aggfunc="mean")
    return table.reindex(columns=list(dict.fromkeys(cases["config"])))


def heldout_summary(heldout: pd.DataFrame) -> pd.DataFrame:
    """One row per configuration: turns, correct first calls, accuracy, unreadable calls."""
    grouped = heldout.groupby("config", sort=False)
    return pd.DataFrame(
        {
            "turns": grouped["outcome"].size(),
            "correct": grouped["outcome"].apply(lambda s: int((s == "pass").sum())),
            "accuracy": grouped["outcome"].apply(lambda s: float((s == "pass").mean())),
            "unreadable": grouped["unreadable"].apply(lambda s: int(s.fillna(0).sum())),
            "cut": grouped["cut_calls"].apply(lambda s: int(s.fillna(0).sum())),
        }
    ).reset_index()


def markdown_table(frame: pd.DataFrame, floats: str = "{:.2f}") -> str:
    """A GitHub Markdown table (pandas' to_markdown needs tabulate, which we do not ship)."""
    header = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    lines = [header, rule]
    for values in frame.itertuples(index=False):
        cells = [_cell(v, floats) for v in values]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _cell(value: Any, floats: str) -> str:
    if isinstance(value, float):
        return "–" if pd.isna(value) else floats.format(value)
    return str(value).replace("|", "\\|").replace("\n", " ")


def unsafe_list(cases: pd.DataFrame) -> list[str]:
    lines = []
    for row in cases[cases["n_unsafe"].fillna(0) > 0].itertuples():
        for item in json.loads(row.unsafe):
            where = f"{row.category}, {row.config}, trial {row.trial}"
            lines.append(f"- **{row.case_id}** ({where}): {item}")
    return lines


def render_report(frame: pd.DataFrame, k: int, settings_text: str = "") -> str:
    cases = frame[frame["suite"] == "cases"]
    heldout = frame[frame["suite"] == "heldout"]
    parts = ["# Agent evaluation", ""]
    if settings_text:
        parts += [settings_text, ""]
    headline = markdown_table(summary(cases, k)) if len(cases) else "No cases."
    parts += ["## Summary", "", headline, ""]
    if len(cases):
        category = by_category(cases).reset_index()
        parts += ["## Mean score per category", "", markdown_table(category), ""]
    unsafe = unsafe_list(cases) if len(cases) else []
    parts += ["## Unsafe proposals (each fails its case)", ""]
    parts += unsafe or ["None."]
    parts += ["", "## Held-out next-turn tool calls", ""]
    parts += [markdown_table(heldout_summary(heldout)) if len(heldout) else "Not scored.", ""]
    parts += ["## Per case", "", markdown_table(case_details(cases)) if len(cases) else "", ""]
    return "\n".join(parts)


def case_details(cases: pd.DataFrame) -> pd.DataFrame:
    return cases[["config", "case_id", "category", "trial", "outcome", "reason"]]


def plot_outcomes(frame: pd.DataFrame, path: Path) -> None:
    """Stacked pass / partial / fail bars, one per configuration."""
    cases = frame[frame["suite"] == "cases"]
    order = list(dict.fromkeys(cases["config"]))
    counts = pd.crosstab(cases["config"], cases["outcome"])
    counts = counts.reindex(index=order, columns=list(OUTCOMES), fill_value=0)
    fig, ax = plt.subplots(figsize=(8, 3.8))
    counts.plot.bar(stacked=True, ax=ax, color=[COLORS[o] for o in OUTCOMES], rot=10)
    ax.set_ylabel("case trials")
    ax.set_xlabel("")
    ax.set_title("Outcomes per configuration")
    _save(fig, path)


def plot_heldout(frame: pd.DataFrame, path: Path) -> None:
    """One bar per configuration: share of held-out turns whose first call matched."""
    heldout = frame[frame["suite"] == "heldout"]
    fig, ax = plt.subplots(figsize=(7, 3.5))
    if len(heldout):
        table = heldout_summary(heldout)
        ax.bar(table["config"], table["accuracy"], color="#1565c0")
        for x, (acc, n) in enumerate(zip(table["accuracy"], table["turns"], strict=True)):
            ax.annotate(f"{acc:.0%} of {n}", (x, acc), ha="center", va="bottom")
    else:
        ax.text(0.5, 0.5, "no held-out turns scored", ha="center", transform=ax.transAxes)
    ax.set_ylim(0, 1.1)
    ax.set_ylabel("next-call accuracy")
    ax.set_title("Held-out next tool call")
    _save(fig, path)


def plot_categories(frame: pd.DataFrame, path: Path) -> None:
    """Grouped bars: mean score per category for each configuration."""
    cases = frame[frame["suite"] == "cases"]
    fig, ax = plt.subplots(figsize=(8, 3.8))
    if len(cases):
        by_category(cases).plot.bar(ax=ax, rot=20)
    ax.set_ylim(0, 1)
    ax.set_ylabel("mean score (pass 1, partial 0.5)")
    ax.set_xlabel("")
    ax.set_title("Score per category")
    _save(fig, path)


def _save(fig: Any, path: Path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_outputs(
    rows: Sequence[Mapping[str, Any]],
    k: int,
    scores: Path,
    report: Path,
    outcomes_png: Path,
    categories_png: Path,
    heldout_png: Path,
    settings_text: str = "",
) -> pd.DataFrame:
    frame = scores_frame(rows)
    Path(scores).parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(scores, index=False)
    Path(report).write_text(render_report(frame, k, settings_text), encoding="utf-8")
    plot_outcomes(frame, outcomes_png)
    plot_categories(frame, categories_png)
    plot_heldout(frame, heldout_png)
    return frame
