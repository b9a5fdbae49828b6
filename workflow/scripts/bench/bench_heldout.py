"""Benchmark of what fine-tuning buys: held-out next-tool-call accuracy, base vs fine-tuned.

A script that prints figures, not a test. It uses the evaluation's own code end to end
(`halops.eval.heldout`: the test split's assistant turns with tool calls, the context
rendered as in training, the first proposed call matched BFCL-style by
`halops.eval.matching`; `halops.eval.runner`: each GGUF served by the bot's
`LlamaServer`, asked through the bot's model client at temperature 0). Turns are taken evenly
over the whole test split (every k-th), not its first N, so that every task type counts.

It prints the accuracy per model, split into turns of the held-out sessions (wordings and
host/service combinations never trained on, `results/samplegen/holdout.json`) and the others,
then the issue's targets: fine-tuned >= 50 % and >= 2x base.

    .venv/bin/python workflow/scripts/bench/bench_heldout.py [--turns 120] \
        [--model base=embedded --model finetuned=results/model/model.Q8_0.gguf]
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections import Counter
from pathlib import Path

import yaml

from bot.agent.config import load_agent_config
from halops.eval.heldout import heldout_turns, run_heldout
from halops.eval.main import model_option
from bot.agent.grammar import hosts_by_transport
from bot.safety.inventory import Inventory
from halops.contract.toolcall import TOOL_CALL_CLOSE
from halops.contract.tools import AGENT_TOOL_SPECS
from halops.eval.runner import EvalSettings, ModelSpec, ServedModel, served_model

REPO = Path(__file__).resolve().parents[3]
TARGET_ACCURACY, TARGET_RATIO = 0.5, 2.0


def evenly(items: list, n: int | None) -> list:
    """n items spread over the list (every k-th), or all of them."""
    if n is None or n >= len(items):
        return list(items)
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


def session_of_examples(test_jsonl: Path) -> dict[str, str]:
    sessions = {}
    with test_jsonl.open(encoding="utf-8") as handle:
        for line in handle:
            meta = json.loads(line).get("metadata", {})
            sessions[str(meta.get("example_id"))] = str(meta.get("session_id"))
    return sessions


def held_out_sessions(path: Path) -> set[str]:
    return set(json.loads(path.read_text())["sessions"]) if path.is_file() else set()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--test", type=Path, default=REPO / "results" / "final" / "test.jsonl")
    parser.add_argument(
        "--holdout", type=Path, default=REPO / "results" / "samplegen" / "holdout.json"
    )
    parser.add_argument("--turns", type=int, default=120, help="turns per model (0: all)")
    parser.add_argument("--model", action="append", metavar="NAME=GGUF")
    parser.add_argument("--out", type=Path, help="also write the per-turn rows here (JSONL)")
    parser.add_argument(
        "--no-grammar", action="store_true", help="without the tool-call grammar (default: on)"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())["eval"]
    settings = EvalSettings.from_config(config)
    models = [ModelSpec(**model_option(m)) for m in args.model or []] or [
        ModelSpec("base", "embedded"),
        ModelSpec("finetuned", "results/model/model.Q8_0.gguf"),
    ]
    turns = evenly(heldout_turns(args.test), args.turns or None)
    sessions, held = session_of_examples(args.test), held_out_sessions(args.holdout)
    agent_cfg = load_agent_config(REPO / config["agent_config"])
    hosts = hosts_by_transport(Inventory.from_yaml(agent_cfg.inventory))
    print(f"{len(turns)} held-out turns from {args.test} ({len(held)} held-out sessions)")
    accuracy: dict[str, float] = {}
    rows = []
    for spec in models:
        start = time.monotonic()
        with served_model(spec, REPO / config["serve_config"], REPO) as server:
            served = ServedModel(spec, spec.path(REPO), server.base_url, agent_cfg, settings, hosts)
            # As the eval asks: read (and generate) only up to the first call.
            ask = served.factory(
                AGENT_TOOL_SPECS,
                not args.no_grammar,
                settings.heldout_max_tokens,
                until=TOOL_CALL_CLOSE,
            )
            model_rows = run_heldout(ask(0), turns, {"model": spec.name, "retrieval": False})
        rows += model_rows
        kinds: Counter[tuple[str, bool]] = Counter()
        for row, turn in zip(model_rows, turns, strict=True):
            kind = "held-out sessions" if sessions.get(turn.example_id) in held else "others"
            kinds[(kind, row["outcome"] == "pass")] += 1
        passed = sum(row["outcome"] == "pass" for row in model_rows)
        accuracy[spec.name] = passed / len(model_rows) if model_rows else 0.0
        split = ", ".join(
            f"{kind} {kinds[(kind, True)]}/{kinds[(kind, True)] + kinds[(kind, False)]}"
            for kind in ("held-out sessions", "others")
        )
        reasons = Counter(
            row["reason"].split(":")[0] for row in model_rows if row["outcome"] != "pass"
        )
        print(
            f"{spec.name:<10} {passed}/{len(model_rows)} = {accuracy[spec.name]:.1%}  ({split}) "
            f"in {time.monotonic() - start:.0f} s; failures: {dict(reasons.most_common(4))}",
            flush=True,
        )
    if args.out:
        args.out.write_text("".join(json.dumps(r) + "\n" for r in rows))
    if {"base", "finetuned"} <= set(accuracy):
        base, tuned = accuracy["base"], accuracy["finetuned"]
        ratio = tuned / base if base else float("inf")
        print(
            f"target fine-tuned >= {TARGET_ACCURACY:.0%}: {tuned:.1%} "
            f"({'met' if tuned >= TARGET_ACCURACY else 'missed'}); target >= {TARGET_RATIO:g}x "
            f"base: {ratio:.1f}x ({'met' if ratio >= TARGET_RATIO else 'missed'})"
        )


if __name__ == "__main__":
    main()
