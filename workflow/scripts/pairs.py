"""Snakemake adapter: extracted sessions + SFT splits -> results/augmented/pairs.{parquet,jsonl}."""

import _halops_path  # noqa: F401

import logging
from pathlib import Path

from halops.augment.config import PairsConfig
from halops.augment.pairs import PairsInputs, PairsOutputs, StageConfigs, build_pairs
from halops.curate.config import CurateConfig
from halops.qualify import QualifyConfig
from halops.split import SPLITS
from halops.validate_split import ValidateConfig

logging.basicConfig(
    filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
)
inputs = PairsInputs(
    extracted=[Path(p) for p in snakemake.input.extracted],
    qualified=Path(snakemake.input.qualified),
    final_splits=dict(zip(SPLITS, map(Path, snakemake.input.final), strict=True)),
    policy=Path(snakemake.input.policy),
    inventory=Path(snakemake.input.inventory),
)
configs = StageConfigs(
    pairs=PairsConfig.from_dict(snakemake.params.pairs),
    curate=CurateConfig.from_dict(snakemake.params.curate),
    qualify=QualifyConfig.from_dict(snakemake.params.qualify),
    validate=ValidateConfig.from_dict(snakemake.params.validate),
)
outputs = PairsOutputs(
    Path(snakemake.output.pairs), Path(snakemake.output.jsonl), Path(snakemake.output.card)
)
card = build_pairs(inputs, configs, outputs)
logging.getLogger("pairs").info("pairs per kind and split: %s", card["per_kind_split"])
