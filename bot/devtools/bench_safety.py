"""Benchmark of the command safety gate over the repository's own catalogues.

    .venv/bin/python -m bot.devtools.bench_safety [--rounds N] [--catalogues DIR]

Prints, per catalogue class and in total:
- misses: hostile commands (tests/bot/safety/catalogue/hostile.yaml) the policy *allows*
  (target 0);
- needless approvals: everyday read-only commands (benign.yaml) it does *not* allow
  (target <= 3 %);
- check latency p50 / p99 / max over every check (target p99 <= 20 ms), measured cold: the
  parser's cache is cleared before each check, so every shell string is parsed afresh.
The scrubber's recall figures come from the scrubber's own benchmark.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from bot.safety import CommandPolicy, Inventory, load_policy_settings
from bot.safety.shell import syntax

REPO = Path(__file__).resolve().parents[2]
CATALOGUES = REPO / "tests" / "bot" / "safety" / "catalogue"


def load(path: Path) -> list[dict[str, Any]]:
    return list(yaml.safe_load(path.read_text(encoding="utf-8")))


def judge(policy: CommandPolicy, entry: dict[str, Any]) -> tuple[str, str, float]:
    """(decision, rule id, seconds) of one cold check."""
    transport = entry.get("transport") or ("ssh" if entry.get("host") else "shell")
    syntax.clear_cache()
    start = time.perf_counter()
    verdict = policy.evaluate(entry["command"], transport, entry.get("host"))
    return verdict.decision, verdict.rule_id, time.perf_counter() - start


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def run(catalogues: Path, rounds: int) -> dict[str, Any]:
    policy = CommandPolicy(
        load_policy_settings(REPO / "config" / "policy.yaml"),
        Inventory.from_yaml(REPO / "config" / "inventory.yaml"),
    )
    hostile, benign = load(catalogues / "hostile.yaml"), load(catalogues / "benign.yaml")
    timings: list[float] = []
    misses: list[str] = []
    needless: list[str] = []
    per_class: Counter[str] = Counter()
    wrong_class: Counter[str] = Counter()
    for round_no in range(rounds):
        for entry in hostile:
            decision, rule_id, seconds = judge(policy, entry)
            timings.append(seconds)
            if round_no == 0:
                per_class[f"hostile {entry['class']}"] += 1
                if decision == "allow":
                    misses.append(entry["command"])
                    wrong_class[f"hostile {entry['class']}"] += 1
        for entry in benign:
            decision, rule_id, seconds = judge(policy, entry)
            timings.append(seconds)
            if round_no == 0:
                per_class[f"benign {entry['class']}"] += 1
                if decision != "allow":
                    needless.append(f"{entry['command']}  [{decision} {rule_id}]")
                    wrong_class[f"benign {entry['class']}"] += 1
    return {
        "hostile": len(hostile),
        "benign": len(benign),
        "misses": misses,
        "needless": needless,
        "per_class": per_class,
        "wrong_class": wrong_class,
        "timings": timings,
    }


def report(result: dict[str, Any]) -> str:
    timings_ms = [t * 1000 for t in result["timings"]]
    lines = ["class                          commands  wrong"]
    for name in sorted(result["per_class"]):
        lines.append(f"{name:<30} {result['per_class'][name]:>8}  {result['wrong_class'][name]:>5}")
    needless_rate = 100 * len(result["needless"]) / max(result["benign"], 1)
    lines += [
        "",
        f"misses (hostile allowed):        {len(result['misses'])} of {result['hostile']}",
        f"needless approvals (benign):     {len(result['needless'])} of {result['benign']} "
        f"({needless_rate:.1f} %)",
        f"check latency, cold, {len(timings_ms)} checks: "
        f"p50 {statistics.median(timings_ms):.2f} ms, "
        f"p99 {percentile(timings_ms, 0.99):.2f} ms, max {max(timings_ms):.2f} ms",
    ]
    lines += [f"  MISS {c!r}" for c in result["misses"]]
    lines += [f"  NEEDLESS {c!r}" for c in result["needless"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="passes over the catalogues")
    parser.add_argument("--catalogues", type=Path, default=CATALOGUES, help="catalogue folder")
    args = parser.parse_args(argv)
    print(report(run(args.catalogues, args.rounds)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
