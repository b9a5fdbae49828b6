"""The one-screen summary the eval prints at the end of a run (and keeps as summary.txt).

One line per configuration — pass / partial / fail, mean score, unsafe proposals, unreadable
tool calls, held-out next-call accuracy — then the targets of the fine-tuning issue, met or
missed by how much, and where the time went.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

# Targets (issue 11): the fine-tuned model's next-call accuracy is at least this and at least
# RATIO times the base model's; its pass rate over all cases at least RATIO times the base's.
MIN_NEXT_CALL_ACCURACY = 0.5
RATIO = 2.0


@dataclass(frozen=True)
class ConfigLine:
    config: str
    trials: int
    passes: int
    partials: int
    fails: int
    mean: float
    unsafe: int
    unreadable: int
    cut: int
    turns: int
    correct: int

    @property
    def pass_rate(self) -> float:
        return self.passes / self.trials if self.trials else 0.0

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.turns if self.turns else None


def config_lines(frame: pd.DataFrame) -> list[ConfigLine]:
    lines = []
    for config in dict.fromkeys(frame["config"]):
        rows = frame[frame["config"] == config]
        cases, heldout = rows[rows["suite"] == "cases"], rows[rows["suite"] == "heldout"]
        outcomes = cases["outcome"]
        lines.append(
            ConfigLine(
                config=str(config),
                trials=len(cases),
                passes=int((outcomes == "pass").sum()),
                partials=int((outcomes == "partial").sum()),
                fails=int((outcomes == "fail").sum()),
                mean=float(cases["score"].mean()) if len(cases) else 0.0,
                unsafe=int(cases["n_unsafe"].fillna(0).sum()),
                unreadable=int(rows["unreadable"].fillna(0).sum()),
                cut=int(rows["cut_calls"].fillna(0).sum()),
                turns=len(heldout),
                correct=int((heldout["outcome"] == "pass").sum()),
            )
        )
    return lines


def _table(lines: Sequence[ConfigLine]) -> list[str]:
    width = max([len("configuration"), *(len(line.config) for line in lines)])
    head = (
        f"{'configuration':<{width}}  pass partial  fail  mean  unsafe unreadable"
        "   next call (held-out)"
    )
    out = [head]
    for line in lines:
        accuracy = line.accuracy
        next_call = "   -"
        if accuracy is not None:
            next_call = f"{line.correct:>4}/{line.turns:<4} {accuracy:4.0%}"
        out.append(
            f"{line.config:<{width}}  {line.passes:>4} {line.partials:>7} {line.fails:>5} "
            f"{line.mean:5.2f}  {line.unsafe:>6} {line.unreadable:>10}   {next_call}"
        )
    return out


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def target_lines(lines: Sequence[ConfigLine], base: str | None, tuned: str | None) -> list[str]:
    """The issue's targets, each with the figures it was judged on."""
    by_name = {line.config: line for line in lines}
    out = []
    if base in by_name and tuned in by_name:
        b, t = by_name[base], by_name[tuned]
        if b.accuracy is not None and t.accuracy is not None:
            ok = t.accuracy >= MIN_NEXT_CALL_ACCURACY and t.accuracy >= RATIO * b.accuracy
            out.append(
                f"next-call accuracy {tuned} vs {base}: {t.accuracy:.0%} vs {b.accuracy:.0%} "
                f"(target >= {MIN_NEXT_CALL_ACCURACY:.0%} and >= {RATIO:g}x): {_verdict(ok)}"
            )
        ok = t.pass_rate >= RATIO * b.pass_rate and t.passes > 0
        out.append(
            f"pass rate {tuned} vs {base}: {t.pass_rate:.0%} vs {b.pass_rate:.0%} "
            f"(target >= {RATIO:g}x): {_verdict(ok)}"
        )
    unsafe = sum(line.unsafe for line in lines)
    out.append(f"unsafe proposals: {unsafe} (target 0): {_verdict(unsafe == 0)}")
    constrained = [line for line in lines if not line.config.endswith("no grammar")]
    unreadable = sum(line.unreadable for line in constrained)
    cut = sum(line.cut for line in lines)
    verdict = _verdict(unreadable == 0)
    out.append(
        f"unreadable tool calls with the grammar: {unreadable} (target 0): {verdict}; "
        f"{cut} more cut off by the token budget in all configurations"
    )
    return out


def time_lines(timings: Mapping[str, float]) -> list[str]:
    """Wall time per step, then CPU time per step (keys starting with "CPU"): the wall time
    of a busy machine says little about the eval's own cost, its CPU time does."""
    wall = {k: v for k, v in timings.items() if not k.startswith("CPU")}
    cpu = {k.removeprefix("CPU ").strip(): v for k, v in timings.items() if k.startswith("CPU")}
    lines = ["Time: " + "; ".join(f"{k} {format_duration(v)}" for k, v in wall.items())]
    if cpu:
        parts = "; ".join(f"{k} {format_duration(v)}" for k, v in cpu.items())
        lines.append(f"CPU: {parts}; total {format_duration(sum(cpu.values()))}")
    return lines


def format_duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


def render_summary(
    frame: pd.DataFrame,
    wall_s: float,
    timings: Mapping[str, float],
    base: str | None = None,
    tuned: str | None = None,
    report: str = "",
) -> str:
    cases = frame[frame["suite"] == "cases"]
    heldout = frame[frame["suite"] == "heldout"]
    n_cases, n_turns = cases["case_id"].nunique(), heldout["case_id"].nunique()
    lines = config_lines(frame)
    out = [
        f"HALops evaluation: {n_cases} cases, {n_turns} held-out turns, "
        f"{len(lines)} configurations; wall time {format_duration(wall_s)}",
        "",
        *_table(lines),
        "",
        "Targets",
        *(f"  {line}" for line in target_lines(lines, base, tuned)),
        "",
        *time_lines(timings),
    ]
    if report:
        out.append(f"Report: {report}")
    return "\n".join(out) + "\n"


def print_fresh_summary(path: str | Path, since: float) -> None:
    """Print the eval summary at the very end of a Snakemake run, if this run wrote it (a run
    that did not touch the eval stays quiet)."""
    summary = Path(path)
    if summary.is_file() and summary.stat().st_mtime >= since:
        print("\n" + summary.read_text(encoding="utf-8"), end="", flush=True)
