"""Snakemake adapter: serve each GGUF, run every configuration over the evaluation cases and
the held-out turns, report, and write the one-screen summary (eval.smk prints it last)."""

import _halops_path  # noqa: F401

import logging
from pathlib import Path

from halops.eval.main import EvalInputs, EvalOutputs, evaluate

logging.basicConfig(
    filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(name)s %(message)s"
)
summary = evaluate(
    snakemake.params.eval,
    EvalInputs(
        Path(snakemake.input.cases),
        Path(snakemake.input.heldout),
        Path(snakemake.input.agent_config),
        Path(snakemake.input.serve_config),
        Path(snakemake.input.lab_recordings),
    ),
    EvalOutputs(
        Path(snakemake.output.scores),
        Path(snakemake.output.report),
        Path(snakemake.output.outcomes),
        Path(snakemake.output.categories),
        Path(snakemake.output.heldout),
        Path(snakemake.output.summary),
    ),
    root=Path.cwd(),
)
logging.getLogger("eval").info("summary:\n%s", summary)
