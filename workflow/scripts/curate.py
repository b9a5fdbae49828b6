"""Snakemake adapter: one curation strategy -> results/curated/{strategy}.parquet."""

import _halops_path  # noqa: F401

import logging
from pathlib import Path

import pandas as pd

from halops.curate.config import CurateConfig
from halops.curate.pipeline import curate_strategy

logging.basicConfig(
    filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
)
log = logging.getLogger("curate")

strategy = snakemake.wildcards.strategy
cfg = CurateConfig.from_dict(snakemake.params.cfg)
qualified = pd.read_parquet(snakemake.input.qualified)
examples = curate_strategy(strategy, [Path(p) for p in snakemake.input.extracted], qualified, cfg)
Path(snakemake.output.examples).parent.mkdir(parents=True, exist_ok=True)
examples.to_parquet(snakemake.output.examples, index=False)

log.info(
    "%s: %d examples from %d sessions, tiers %s, %d messages, ~%d tokens",
    strategy,
    len(examples),
    examples["session_id"].nunique(),
    examples["tier"].value_counts().to_dict(),
    int(examples["n_messages"].sum()),
    int(examples["approx_tokens"].sum()),
)
