"""Snakemake adapter: examples per strategy and split, from the data card, as a PNG."""

import _halops_path  # noqa: F401

import json
from pathlib import Path

from halops.plots_data import plot_examples_per_strategy_split

card = json.loads(Path(snakemake.input.card).read_text())
plot_examples_per_strategy_split(card, Path(snakemake.output.examples))
