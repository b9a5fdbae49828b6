"""The `eval` rule's work as one function, and `halops eval` for running it by hand.

`evaluate` loads the cases (validated) and the held-out turns, serves each configured GGUF in
turn, runs each of its configurations, writes the scores, the report, the plots and the
one-screen summary, and returns the summary (which the rule and `halops eval` print last).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import resource
import signal
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.agent.config import load_agent_config
from bot.paths import add_config_dir_option, config_dir, project_root
from bot.tools.simulated import SimulatedLab
from halops.contract.configfile import ConfigFileError, read_yaml
from halops.eval.cases import load_cases
from halops.eval.heldout import heldout_turns
from halops.eval.judge import judge_from_config
from halops.eval.report import scores_frame, write_outputs
from halops.eval.runner import EvalContext, EvalSettings, evaluate_model
from halops.eval.summary import render_summary

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EvalInputs:
    cases: Path
    heldout: Path
    agent_config: Path
    serve_config: Path
    lab_recordings: Path | None = None

    @classmethod
    def from_section(cls, section: Mapping[str, Any], root: Path) -> EvalInputs:
        """The section's paths, relative to the project root."""
        return cls(
            root / section["cases"],
            root / section["heldout"],
            root / section["agent_config"],
            root / section["serve_config"],
            root / section["lab_recordings"],
        )


@dataclass(frozen=True)
class EvalOutputs:
    scores: Path
    report: Path
    outcomes_png: Path
    categories_png: Path
    heldout_png: Path
    summary: Path

    @classmethod
    def under(cls, folder: Path) -> EvalOutputs:
        return cls(
            folder / "scores.parquet",
            folder / "report.md",
            folder / "outcomes.png",
            folder / "categories.png",
            folder / "heldout.png",
            folder / "summary.txt",
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
    configs = ", ".join(c.label for c in settings.configurations)
    return (
        f"{n_cases} cases × k={settings.k} trials; models: {models}; configurations: "
        f"{configs}; temperature {settings.temperature}, seed {settings.seed} (+ trial), at "
        f"most {settings.max_iterations} model turns and {settings.max_tokens} tokens per turn; "
        f"{n_turns} held-out turns at most {settings.heldout_max_tokens} tokens each. Tool "
        "calls are answered by the simulated lab (the case's recorded outputs, then the sample "
        "lab's read-only ones; nothing is contacted); the real policy judges every call and "
        "every approval request is denied."
    )


def comparison(settings: EvalSettings) -> tuple[str | None, str | None]:
    """The labels the targets compare: the first model as the agent runs it (grammar on, no
    retrieval) against the second model the same way."""
    plain = [c for c in settings.configurations if c.grammar and not c.retrieval]
    order = [m.name for m in settings.models]
    labels = [next((c.label for c in plain if c.model == name), None) for name in order[:2]]
    base, tuned = [*labels, None, None][:2]
    return base, tuned


def evaluate(
    config: Mapping[str, Any],
    inputs: EvalInputs,
    outputs: EvalOutputs,
    root: Path,
    progress: bool = True,
) -> str:
    """Score every configuration; write the outputs; return the one-screen summary."""
    started, own_cpu = time.monotonic(), own_cpu_s()
    settings = EvalSettings.from_config(config)
    cases = load_cases(inputs.cases, settings.max_cases)
    turns = heldout_turns(inputs.heldout, settings.heldout_max_turns)
    cfg, judge = load_agent_config(inputs.agent_config), judge_from_config(settings.judge)
    lab_files = [inputs.lab_recordings] if inputs.lab_recordings is not None else []
    lab = SimulatedLab.from_files(lab_files)
    log.info("%d cases, %d held-out turns, %d lab recordings", len(cases), len(turns), len(lab))
    context = EvalContext(cfg, settings, inputs.serve_config, judge, root, lab, progress)
    rows: list[dict[str, Any]] = []
    timings: dict[str, float] = {}
    with stop_servers_on_sigterm():
        for spec in settings.models:
            if any(c.model == spec.name for c in settings.configurations):
                rows += evaluate_model(spec, cases, turns, context, timings)
    # Reported in the configured order (a model runs its configurations in another one).
    order = {c.label: index for index, c in enumerate(settings.configurations)}
    rows.sort(key=lambda row: order[row["config"]])  # stable: case order kept
    text = settings_text(settings, len(cases), len(turns))
    write_outputs(
        rows,
        settings.k,
        outputs.scores,
        outputs.report,
        outputs.outcomes_png,
        outputs.categories_png,
        outputs.heldout_png,
        settings_text=text,
    )
    base, tuned = comparison(settings)
    timings["CPU eval process"] = own_cpu_s() - own_cpu
    summary = render_summary(
        scores_frame(rows), time.monotonic() - started, timings, base, tuned, str(outputs.report)
    )
    outputs.summary.write_text(summary, encoding="utf-8")
    return summary


def own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="halops eval",
        description="Score the agent on the evaluation cases and the held-out split, as the "
        "eval rule does, and print the one-screen summary.",
    )
    add_config_dir_option(parser)
    parser.add_argument(
        "--config",
        type=Path,
        help="a YAML file with an `eval:` section (default: config.yaml in the config dir)",
    )
    parser.add_argument("--cases", type=Path, help="cases JSONL (default: from the config)")
    parser.add_argument("--max-cases", type=int, help="override eval.max_cases")
    parser.add_argument("--k", type=int, help="override eval.k (trials per case)")
    parser.add_argument(
        "--model",
        action="append",
        metavar="NAME=GGUF",
        help="models to compare instead of eval.models (repeatable); each runs with the "
        "grammar and without retrieval",
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="folder for scores, report, plots and summary (default: results/eval next to "
        "the config dir)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars on stderr")
    return parser.parse_args(argv)


def overridden(config: Mapping[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    section = dict(config)
    if args.max_cases is not None:
        section["max_cases"] = args.max_cases
    if args.k is not None:
        section["k"] = args.k
    if args.model:
        section["models"] = [model_option(m) for m in args.model]
        section["configurations"] = [
            {"model": m["name"], "retrieval": False, "grammar": True, "heldout": True}
            for m in section["models"]
        ]
    return section


def model_option(text: str) -> dict[str, str]:
    name, sep, gguf = text.partition("=")
    if not sep or not name or not gguf:
        raise SystemExit(f"halops eval: --model wants NAME=GGUF, got {text!r}")
    return {"name": name, "gguf": gguf}


def cli_main(argv: list[str]) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    folder = config_dir(args.config_dir)
    root = project_root(folder)
    config_file = args.config or folder / "config.yaml"
    try:
        config = read_yaml(config_file, what="the pipeline config") or {}
    except ConfigFileError as exc:
        print(f"halops eval: {exc}", file=sys.stderr)
        return 2
    if "eval" not in config:
        print(f"halops eval: {config_file} has no `eval:` section", file=sys.stderr)
        return 2
    section = overridden(config["eval"], args)
    inputs = EvalInputs.from_section(section, root)
    if args.cases:
        inputs = EvalInputs(args.cases, *list(vars(inputs).values())[1:])
    outputs = EvalOutputs.under(args.out or root / "results" / "eval")
    print(evaluate(section, inputs, outputs, root, progress=not args.quiet), end="")
    return 0


if __name__ == "__main__":
    sys.exit(cli_main(sys.argv[1:]))
