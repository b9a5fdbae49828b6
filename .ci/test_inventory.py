"""What the tests cover, by area: test functions, collected cases, and what they run against.

    .venv/bin/python .ci/test_inventory.py            # prints the README's table
    .venv/bin/python .ci/test_inventory.py --readme   # rewrites that table in README.md

Counts come from `pytest --collect-only -q` (collected cases, parametrized rows included) and
from the node ids with their `[...]` parameters removed (test functions). The "runs against"
column is written by hand below: it names what the area's tests start or call for real.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# (area, path prefixes or regexes of test files, what the tests run against). First match wins.
AREAS: list[tuple[str, tuple[str, ...], str]] = [
    ("extract", ("tests/halops/extract/", "tests/halops/discover/"),
     "hand-made and hypothesis-made JSONL, the real transcripts in ../shared when present"),
    ("qualify/curate", ("tests/halops/test_qualify", "tests/halops/curate/",
                        "tests/halops/samplegen/", "tests/halops/augment/"),
     "the sample-lab generator's sessions; augment: a local OpenAI-compatible stand-in and "
     "llama.cpp"),
    ("validate/scrub", ("tests/halops/test_validate", "tests/halops/test_dedup",
                        "tests/halops/test_split", "tests/halops/test_reach",
                        "tests/halops/contract/test_scrub"),
     "detect-secrets and betterleaks engines, secrets written outside the repo"),
    ("model", ("tests/halops/model/",),
     "the embedded SmolLM2 (transformers, peft, trl on CPU), llama.cpp convert/quantize"),
    ("eval", ("tests/halops/eval/",),
     "the real agent loop and policy, replayed tool outputs, llama.cpp serving SmolLM2"),
    ("agent", ("tests/bot/agent/", "tests/bot/retrieval/", "tests/halops/contract/test_toolcall"),
     "llama.cpp's OpenAI-compatible server, ChromaDB with the embedded MiniLM"),
    ("safety", ("tests/bot/safety/",),
     "real bash (traced: what it would run vs. what the policy judged), hypothesis"),
    ("tools", ("tests/bot/tools/",),
     "real sshd and paramiko on 127.0.0.1, pyghmi's BMC simulator, local HTTP, real shell, "
     "loopback-only network namespace"),
    ("Slack bot", ("tests/bot/slack/", "tests/bot/test_serve", "tests/bot/test_deploy"),
     "the Slack Web API stand-in (signed requests, Block Kit), llama.cpp"),
    ("workflow/CI", ("tests/workflow/", "tests/test_", "tests/halops/test_cli",
                     "tests/halops/test_plots_data", "tests/halops/contract/test_configfile",
                     "tests/halops/test_"),
     "Snakemake (dry runs and real runs), a single-node SLURM cluster, ruff/snakefmt/lint"),
]  # fmt: skip
BEGIN, END = "<!-- test-inventory:begin -->", "<!-- test-inventory:end -->"


def collect() -> list[str]:
    env = dict(os.environ, PYTHONPATH=f"{REPO / 'workflow' / 'src'}:{REPO}")
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=REPO, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    ids = [line for line in out.stdout.splitlines() if "::" in line]
    if not ids:
        raise SystemExit(f"pytest collected nothing:\n{out.stdout[-2000:]}{out.stderr[-2000:]}")
    return ids


def area_of(node_id: str) -> str:
    path = node_id.split("::", 1)[0]
    for area, prefixes, _ in AREAS:
        if path.startswith(prefixes):
            return area
    raise SystemExit(f"{path}: no area; add it to AREAS in {Path(__file__).name}")


def table(ids: list[str]) -> str:
    cases = Counter(area_of(i) for i in ids)
    functions = Counter(area_of(i) for i in {re.sub(r"\[.*\]$", "", i) for i in ids})
    rows = [
        "| area | test functions | collected cases | runs against |",
        "|---|---:|---:|---|",
    ]
    for area, _, real in AREAS:
        rows.append(f"| {area} | {functions[area]} | {cases[area]} | {real} |")
    rows.append(f"| **all** | **{functions.total()}** | **{cases.total()}** | |")
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--readme", action="store_true", help="rewrite the table in README.md")
    args = parser.parse_args()
    text = table(collect())
    if not args.readme:
        print(text)
        return 0
    readme = REPO / "README.md"
    old = readme.read_text()
    if BEGIN not in old or END not in old:
        raise SystemExit(f"README.md has no {BEGIN} … {END} block")
    head, rest = old.split(BEGIN, 1)
    readme.write_text(f"{head}{BEGIN}\n{text}\n{END}{rest.split(END, 1)[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
