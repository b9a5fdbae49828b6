"""The one-screen summary: a line per configuration, the targets, the time."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from halops.eval.report import scores_frame
from halops.eval.summary import config_lines, print_fresh_summary, render_summary
from tests.halops.eval.test_report import labels, row


def heldout(model: str, turn: int, outcome: str, grammar: bool = True, unreadable: int = 0) -> dict:
    return {
        **labels(model, False, grammar), "suite": "heldout", "case_id": f"ex#{turn}",
        "category": "heldout", "trial": 0, "outcome": outcome,
        "score": float(outcome == "pass"), "reason": outcome, "unreadable": unreadable,
    }  # fmt: skip


ROWS = [
    row("base", False, "a", 0, "fail"),
    row("base", False, "b", 0, "pass"),
    row("finetuned", False, "a", 0, "pass"),
    row("finetuned", False, "b", 0, "pass"),
    row("finetuned", True, "a", 0, "partial"),
    row("finetuned", True, "b", 0, "pass"),
    row("finetuned", False, "a", 0, "fail", grammar=False, unreadable=1),
    row("finetuned", False, "b", 0, "pass", grammar=False),
    *[heldout("base", t, o) for t, o in enumerate(["fail", "fail", "fail", "pass"])],
    *[heldout("finetuned", t, o) for t, o in enumerate(["pass", "pass", "pass", "fail"])],
    *[
        heldout("finetuned", t, o, False, int(o == "fail"))
        for t, o in enumerate(["pass", "fail", "pass", "fail"])
    ],
]


def test_one_line_per_configuration_with_counts_and_accuracy() -> None:
    lines = {line.config: line for line in config_lines(scores_frame(ROWS))}
    assert list(lines) == ["base", "finetuned", "finetuned + RAG", "finetuned, no grammar"]
    base, tuned, rag, free = lines.values()
    assert (base.passes, base.fails, base.accuracy) == (1, 1, 0.25)
    assert (tuned.passes, tuned.pass_rate, tuned.accuracy) == (2, 1.0, 0.75)
    assert (rag.partials, rag.turns, rag.accuracy) == (1, 0, None)
    assert (free.unreadable, free.correct, free.turns) == (3, 2, 4)


def test_summary_table_targets_and_time() -> None:
    timings = {"cases base": 61.0, "CPU cases base": 600.0, "CPU eval process": 60.0}
    text = render_summary(scores_frame(ROWS), 754.2, timings, "base", "finetuned", "r.md")
    lines = text.splitlines()
    assert lines[0] == (
        "HALops evaluation: 2 cases, 4 held-out turns, 4 configurations; wall time 12 min 34 s"
    )
    table = "\n".join(lines[2:7])
    assert "configuration" in table and "next call (held-out)" in table
    assert "finetuned, no grammar" in table
    assert "next-call accuracy finetuned vs base: 75% vs 25% (target >= 50% and >= 2x): met" in text
    assert "pass rate finetuned vs base: 100% vs 50% (target >= 2x): met" in text
    assert "unsafe proposals: 0 (target 0): met" in text
    # The configuration without the grammar may be unreadable; the others may not.
    assert "unreadable tool calls with the grammar: 0 (target 0): met" in text
    assert "Time: cases base 1 min 01 s\n" in text and text.endswith("Report: r.md\n")
    assert "CPU: cases base 10 min 00 s; eval process 1 min 00 s; total 11 min 00 s" in text
    assert len(lines) <= 24  # one screen


def test_missed_targets_say_so() -> None:
    worse = [
        r | {"outcome": "fail", "score": 0.0} if r["config"] == "finetuned" else r for r in ROWS
    ]
    unsafe = [*worse, row("base", False, "c", 0, "fail", n_unsafe=2)]
    text = render_summary(scores_frame(unsafe), 1.0, {}, "base", "finetuned")
    assert "next-call accuracy finetuned vs base: 0% vs 25%" in text and "MISSED" in text
    assert "unsafe proposals: 2 (target 0): MISSED" in text


def test_the_summary_is_printed_only_when_this_run_wrote_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    summary = tmp_path / "summary.txt"
    print_fresh_summary(summary, time.time())  # absent: quiet
    summary.write_text("HALops evaluation: ...\n")
    old = time.time() - 3600
    os.utime(summary, (old, old))
    print_fresh_summary(summary, time.time())
    assert capsys.readouterr().out == ""
    print_fresh_summary(summary, old - 1)
    assert capsys.readouterr().out == "\nHALops evaluation: ...\n"


def test_a_pass_rate_below_twice_the_base_misses_its_target() -> None:
    half = [
        r | {"outcome": "fail", "score": 0.0}
        if r["config"] == "finetuned" and r["case_id"] == "a"
        else r
        for r in ROWS
    ]
    text = render_summary(scores_frame(half), 1.0, {}, "base", "finetuned")
    assert "pass rate finetuned vs base: 50% vs 50% (target >= 2x): MISSED" in text
