"""Snakemake adapter: prepared shards -> results/final/{train,val,test}.{jsonl,parquet} + card."""

import _halops_path  # noqa: F401

import logging
from pathlib import Path

from halops.validate_split import ValidateConfig, validate_and_split

logging.basicConfig(
    filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
)

card = validate_and_split(
    curated_paths=[Path(p) for p in snakemake.input.curated],
    quarantine_paths=[Path(p) for p in snakemake.input.quarantine],
    qualified_path=Path(snakemake.input.qualified),
    cfg=ValidateConfig.from_dict(snakemake.params.cfg),
    out_dir=Path(snakemake.output.train_jsonl).parent,
    holdout_path=Path(snakemake.input.holdout[0]) if snakemake.input.holdout else None,
    scanned_paths=[Path(p) for p in snakemake.input.scanned],
    manifest_path=Path(snakemake.input.manifest[0]) if snakemake.input.manifest else None,
)
logging.getLogger("validate_split").info("final examples per split: %s", card.per_split)
