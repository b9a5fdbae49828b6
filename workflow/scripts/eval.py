"""Snakemake adapter: serve each GGUF, run the evaluation cases and held-out turns, report."""

import _halops_path  # noqa: F401

import logging
from pathlib import Path

from halops.evaluate.main import EvalOutputs, evaluate

logging.basicConfig(
    filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(name)s %(message)s"
)
evaluate(
    snakemake.params.eval,
    Path(snakemake.input.cases),
    Path(snakemake.input.heldout),
    Path(snakemake.input.agent_config),
    Path(snakemake.input.serve_config),
    EvalOutputs(
        Path(snakemake.output.scores),
        Path(snakemake.output.report),
        Path(snakemake.output.outcomes),
        Path(snakemake.output.categories),
    ),
)
