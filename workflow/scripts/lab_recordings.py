"""Snakemake adapter: the curated splits' read-only tool calls -> the simulated lab's recordings."""

import _halops_path  # noqa: F401

import logging
from pathlib import Path

from bot.safety.inventory import Inventory
from bot.safety.policy import CommandPolicy, load_policy_settings
from halops.eval.recordings import lab_recordings, write_recordings

logging.basicConfig(
    filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(name)s %(message)s"
)
settings = load_policy_settings(Path(snakemake.input.policy))
policy = CommandPolicy(settings, Inventory.from_yaml(snakemake.input.inventory))
recordings = lab_recordings([Path(p) for p in snakemake.input.splits], policy)
written = write_recordings(recordings, Path(snakemake.output.recordings))
logging.getLogger("lab_recordings").info("%d recordings written", written)
