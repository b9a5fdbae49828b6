"""The `eval` rule's work as one function, and `halops eval` for running it by hand.

`evaluate` loads the cases (validated) and the held-out turns, serves each configured GGUF in
turn, and writes the scores, the report and the plots.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.agent.config import load_agent_config
from halops.evaluate.cases import load_cases
from halops.evaluate.heldout import heldout_turns
from halops.evaluate.judge import judge_from_config
from halops.evaluate.report import write_outputs
from halops.evaluate.runner import EvalSettings, evaluate_model

log = logging.getLogger(__name__)
REPO = Path(__file__).resolve().parents[4]


@dataclass(frozen=True)
class EvalOutputs:
    scores: Path
    report: Path
    outcomes_png: Path
    categories_png: Path

    @classmethod
    def under(cls, folder: Path) -> EvalOutputs:
        return cls(
            folder / "scores.parquet",
            folder / "report.md",
            folder / "outcomes.png",
            folder / "categories.png",
        )


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(f"stopped by signal {signum}")


@contextlib.contextmanager
def stop_servers_on_sigterm() -> Iterator[None]:
    """Snakemake cancels a job with SIGTERM, which would kill us without unwinding and leave
    the llama.cpp child (its own session) running; turning it into SystemExit lets each
    `LlamaServer` context stop its child."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def settings_text(settings: EvalSettings, n_cases: int, n_turns: int) -> str:
    models = ", ".join(f"{m.name} (`{m.gguf}`)" for m in settings.models)
    modes = ", ".join("with retrieval" if r else "without retrieval" for r in settings.retrieval)
    return (
        f"{n_cases} cases × k={settings.k} trials; models: {models}; {modes}; "
        f"temperature {settings.temperature}, seed {settings.seed} (+ trial), at most "
        f"{settings.max_iterations} model turns and {settings.max_tokens} tokens per turn; "
        f"{n_turns} held-out turns. Tools are replayed from recorded outputs; the real policy "
        "judges every call and every approval request is denied."
    )


def evaluate(
    config: Mapping[str, Any],
    cases_path: Path,
    heldout_path: Path,
    agent_config: Path,
    serve_config: Path,
    outputs: EvalOutputs,
    root: Path = REPO,
) -> None:
    settings = EvalSettings.from_config(config)
    cases = load_cases(cases_path, settings.max_cases)
    turns = heldout_turns(heldout_path, settings.heldout_max_turns)
    cfg, judge = load_agent_config(agent_config), judge_from_config(settings.judge)
    log.info("%d cases, %d held-out turns, models %s", len(cases), len(turns), settings.models)
    rows = []
    with stop_servers_on_sigterm():
        for spec in settings.models:
            rows += evaluate_model(spec, cases, turns, cfg, settings, serve_config, judge, root)
    text = settings_text(settings, len(cases), len(turns))
    write_outputs(rows, settings.k, *vars(outputs).values(), settings_text=text)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="halops eval", description="Score the agent on the evaluation cases."
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=REPO / "config" / "config.yaml",
        help="a YAML file with an `eval:` section",
    )
    parser.add_argument("--cases", type=Path, help="cases JSONL (default: from the config)")
    parser.add_argument("--max-cases", type=int, help="override eval.max_cases")
    parser.add_argument("--k", type=int, help="override eval.k")
    parser.add_argument(
        "--model",
        action="append",
        metavar="NAME=GGUF",
        help="models to compare instead of eval.models (repeatable)",
    )
    parser.add_argument("--retrieval", choices=["off", "on", "both"], help="override")
    parser.add_argument("--out", type=Path, default=REPO / "results" / "eval")
    return parser.parse_args(argv)


def overridden(config: Mapping[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    section = dict(config)
    if args.max_cases is not None:
        section["max_cases"] = args.max_cases
    if args.k is not None:
        section["k"] = args.k
    if args.model:
        section["models"] = [model_option(m) for m in args.model]
    if args.retrieval:
        section["retrieval"] = {"off": [False], "on": [True], "both": [False, True]}[args.retrieval]
    return section


def model_option(text: str) -> dict[str, str]:
    name, sep, gguf = text.partition("=")
    if not sep or not name or not gguf:
        raise SystemExit(f"halops eval: --model wants NAME=GGUF, got {text!r}")
    return {"name": name, "gguf": gguf}


def cli_main(argv: list[str]) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    config = yaml.safe_load(args.config.read_text(encoding="utf-8")) or {}
    if "eval" not in config:
        print(f"halops eval: {args.config} has no `eval:` section", file=sys.stderr)
        return 2
    section = overridden(config["eval"], args)
    evaluate(
        section,
        args.cases or REPO / section["cases"],
        REPO / section["heldout"],
        REPO / section["agent_config"],
        REPO / section["serve_config"],
        EvalOutputs.under(args.out),
    )
    return 0


if __name__ == "__main__":
    sys.exit(cli_main(sys.argv[1:]))
