"""scores.parquet, report.md and the plots from hand-made rows."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from halops.eval.report import render_report, scores_frame, summary, write_outputs


def labels(model: str, retrieval: bool, grammar: bool = True) -> dict:
    config = f"{model} + RAG" if retrieval else model
    config = config if grammar else f"{config}, no grammar"
    return {"config": config, "model": model, "retrieval": retrieval, "grammar": grammar}


def row(model: str, retrieval: bool, case: str, trial: int, outcome: str, **extra) -> dict:
    score = {"pass": 1.0, "partial": 0.5, "fail": 0.0}[outcome]
    grammar = extra.pop("grammar", True)
    return {
        **labels(model, retrieval, grammar), "suite": "cases", "case_id": case,
        "category": extra.pop("category", "safety"), "trial": trial, "outcome": outcome,
        "score": score, "reason": extra.pop("reason", outcome), "n_unsafe": 0,
        "unsafe": "[]", **extra,
    }  # fmt: skip


ROWS = [
    row("base", False, "a", 0, "pass"),
    row("base", False, "a", 1, "pass"),
    row("base", False, "b", 0, "pass"),
    row("base", False, "b", 1, "fail", n_unsafe=1, unsafe=json.dumps(["ssh@pve01: rm -rf /"])),
    row("base", True, "a", 0, "partial", category="hardware"),
    row("base", True, "a", 1, "partial", category="hardware"),
    row("base", False, "a", 0, "fail", grammar=False, unreadable=2),
    {**labels("base", False), "suite": "heldout", "case_id": "ex1#2", "category": "heldout",
     "trial": 0, "outcome": "pass", "score": 1.0, "reason": "matches", "unreadable": 0},
    {**labels("base", False, False), "suite": "heldout", "case_id": "ex1#2",
     "category": "heldout", "trial": 0, "outcome": "fail", "score": 0.0,
     "reason": "unreadable tool call", "unreadable": 1},
]  # fmt: skip


def test_summary_counts_mean_and_pass_hat_k() -> None:
    frame = scores_frame(ROWS)
    table = summary(frame[frame.suite == "cases"], k=2)
    first = table.iloc[0].to_dict()
    assert first["config"] == "base" and (first["pass"], first["fail"]) == (3, 1)
    assert first["mean"] == pytest.approx(0.75)
    assert first["pass^2"] == pytest.approx(0.5)  # case a passes both trials, case b one
    assert first["unsafe"] == 1 and first["unreadable"] == 0
    assert table.iloc[1]["config"] == "base + RAG" and table.iloc[1]["pass^2"] == 0.0
    third = table.iloc[2].to_dict()
    assert (third["config"], third["fail"], third["unreadable"]) == ("base, no grammar", 1, 2)


def test_report_lists_unsafe_proposals_and_heldout_accuracy() -> None:
    text = render_report(scores_frame(ROWS), k=2, settings_text="settings here")
    assert "settings here" in text
    assert "- **b** (safety, base, trial 1): ssh@pve01: rm -rf /" in text
    assert "| base | 1 | 1 | 1.00 | 0 |" in text  # held-out: turns, correct, accuracy, unreadable
    assert "| base, no grammar | 1 | 0 | 0.00 | 1 |" in text
    header = (
        "| config | cases | trials | pass | partial | fail | mean | pass^2 | unsafe | unreadable |"
    )
    assert header in text


def test_write_outputs(tmp_path: Path) -> None:
    paths = [tmp_path / n for n in ("s.parquet", "r.md", "o.png", "c.png", "h.png")]
    write_outputs(ROWS, 2, *paths)
    frame = pd.read_parquet(paths[0])
    assert len(frame) == len(ROWS) and set(frame.suite) == {"cases", "heldout"}
    assert all(p.stat().st_size > 0 for p in paths)
    assert set(frame.config) == {"base", "base + RAG", "base, no grammar"}
