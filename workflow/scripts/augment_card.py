"""Snakemake adapter: the final data card + pair/synthetic counts -> results/augmented/data_card."""

import _halops_path  # noqa: F401

import json
import logging
from pathlib import Path

from halops.datacard import DataCard

logging.basicConfig(
    filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
)
card = DataCard.from_dict(json.loads(Path(snakemake.input.card).read_text()))
card.augmentation = {"pairs": json.loads(Path(snakemake.input.pairs).read_text())}
for path in snakemake.input.synthetic:
    card.augmentation["synthetic"] = json.loads(Path(path).read_text())
written = card.write(Path(snakemake.output.json).parent)
logging.getLogger("augment_card").info("wrote %s", [str(p) for p in written])
