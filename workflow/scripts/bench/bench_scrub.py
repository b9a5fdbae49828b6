"""Benchmark of the credential scrubber (a script that prints figures, not a test).

1. Recall and false-positive rate over the repository's secret fixtures
   (`tests/halops/contract/secrets/*.yaml`), per class and in total. A secret case counts as
   found when none of its listed values survives `scrub_text`; a clean text counts as a false
   positive when `scrub_text` changes it at all. Targets: recall >= 99 %, false positives <= 1 %.
2. Throughput in MB/s on the strings of a generated sample-lab corpus: `scrub_text` (cold
   caches), each detector family on its own, and, in the same process over the same strings,
   a bare detect-secrets scan (its default plugins and filters, `scan_line` on every line).

    .venv/bin/python workflow/scripts/bench/bench_scrub.py [--mb 5] [--fixtures DIR]

Exit status 1 when a target is missed, so CI or a person can use it as a gate.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import yaml
from detect_secrets.core.scan import scan_line
from detect_secrets.settings import default_settings

from halops.contract import scrub
from halops.contract.scrub import commands, engines, rules
from halops.samplegen import generate_corpus

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "tests" / "halops" / "contract" / "secrets"
RECALL_TARGET, FALSE_POSITIVE_TARGET = 0.99, 0.01


def fixture_scores(folder: Path) -> tuple[int, int, int, int]:
    """Print per-class figures; return (found, secret cases, changed, clean texts)."""
    totals = [0, 0, 0, 0]
    print(f"{'class':<22}{'found':>12}{'clean changed':>16}")
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        cases, cleans = data.get("secrets") or [], data.get("clean") or []
        found = sum(
            all(str(s) not in scrub.scrub_text(case["text"]).text for s in case["secrets"])
            for case in cases
        )
        changed = sum(scrub.scrub_text(text).text != text for text in cleans)
        for index, value in enumerate((found, len(cases), changed, len(cleans))):
            totals[index] += value
        print(f"{path.stem:<22}{found:>6}/{len(cases):<5}{changed:>10}/{len(cleans):<5}")
    return totals[0], totals[1], totals[2], totals[3]


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)


def corpus_strings(megabytes: float, work: Path) -> list[str]:
    """The text fields of a generated corpus, about ``megabytes`` of them."""
    generate_corpus(work, n_sessions=40, seed=7, scale_bytes=int(megabytes * 2.5e6))
    texts: list[str] = []
    size = 0
    for path in sorted(work.rglob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            for text in _strings(json.loads(line)):
                if len(text) > 8:
                    texts.append(text)
                    size += len(text.encode("utf-8"))
            if size >= megabytes * 1e6:
                return texts
    return texts


def _clear_caches() -> None:
    engines._candidate_plugins.cache_clear()
    engines._detect_secrets_line.cache_clear()
    engines._betterleaks_values.cache_clear()


def timed(label: str, texts: list[str], megabytes: float, run: object) -> float:
    _clear_caches()
    start = time.perf_counter()
    for text in texts:
        run(text)  # type: ignore[operator]
    seconds = time.perf_counter() - start
    print(f"  {label:<44}{megabytes / seconds:>8.2f} MB/s  ({seconds:.1f} s)")
    return seconds


def bare_detect_secrets(text: str) -> None:
    for line in text.split("\n"):
        list(scan_line(line))


def project_rules(text: str) -> None:
    lowered = text.lower()
    list(commands.command_spans(text, lowered))
    list(rules.rule_spans(text, lowered))


def throughput(megabytes: float) -> None:
    with tempfile.TemporaryDirectory(prefix="bench_scrub_") as work:
        texts = corpus_strings(megabytes, Path(work))
    size = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    lines = [line for t in texts for line in t.split("\n")]
    print(
        f"\ncorpus: {len(texts)} strings, {size:.1f} MB, {len(lines)} lines "
        f"({len(set(lines)) / max(len(lines), 1):.0%} distinct)"
    )
    scrub.scan_text("warm up: load the Betterleaks engine and compile the rules")
    ours = timed("scrub_text (all three families)", texts, size, scrub.scrub_text)
    timed("  project rules only", texts, size, project_rules)
    timed(
        "  detect-secrets family only",
        texts,
        size,
        lambda t: list(engines.detect_secrets_spans(t, lambda _: False)),
    )
    timed(
        "  Betterleaks catalogue only",
        texts,
        size,
        lambda t: list(engines.betterleaks_spans(t, lambda _: False)),
    )
    with default_settings():
        bare = timed("bare detect-secrets scan_line (baseline)", texts, size, bare_detect_secrets)
    print(f"  ratio scrub_text / bare detect-secrets: {bare / ours:.2f}x the baseline's speed")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=5.0, help="corpus size for throughput")
    parser.add_argument("--fixtures", type=Path, default=FIXTURES)
    args = parser.parse_args(argv)

    found, cases, changed, cleans = fixture_scores(args.fixtures)
    recall, false_positives = found / cases, changed / cleans
    print(
        f"\nrecall {found}/{cases} = {recall:.1%} (target >= {RECALL_TARGET:.0%}); "
        f"false positives {changed}/{cleans} = {false_positives:.1%} "
        f"(target <= {FALSE_POSITIVE_TARGET:.0%})"
    )
    throughput(args.mb)
    return 0 if recall >= RECALL_TARGET and false_positives <= FALSE_POSITIVE_TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
