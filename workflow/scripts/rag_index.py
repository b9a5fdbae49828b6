"""Snakemake adapter: build the runbook index and write its manifest."""

import _halops_path  # noqa: F401

import logging
from pathlib import Path

from bot.retrieval import build_index, write_manifest

logging.basicConfig(
    filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(name)s %(message)s"
)
stats = build_index(
    Path(snakemake.input.docs_dir),
    Path(snakemake.output.db),
    snakemake.params.collection,
    max_chars=int(snakemake.params.max_chars),
)
write_manifest(stats, Path(snakemake.output.manifest))
