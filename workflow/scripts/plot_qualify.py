"""Snakemake adapter: tier histogram and score distribution PNGs from the qualified table."""

import _halops_path  # noqa: F401

import logging
from pathlib import Path

import pandas as pd

from halops.plots import plot_scores, plot_tiers

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO)

sessions = pd.read_parquet(snakemake.input.sessions)
plot_tiers(sessions, Path(snakemake.output.tiers))
# The rule passes the qualify config as a param when it wants the tier cut lines drawn.
tiers = getattr(snakemake.params, "tiers", None)
plot_scores(sessions, Path(snakemake.output.scores), thresholds=tiers)
logging.info("plotted %d sessions", len(sessions))
