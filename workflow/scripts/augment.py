"""Snakemake adapter: training split + runbooks + endpoint -> synthetic examples and the
training set with them (results/augmented/{synthetic.parquet,train.jsonl})."""

import _halops_path  # noqa: F401

import json
import logging
from pathlib import Path

from halops.augment.config import SyntheticConfig
from halops.augment.synthetic import SyntheticInputs, synthesize
from halops.augment.trainset import mix_training_set
from halops.curate.config import CurateConfig
from halops.validate_split import ValidateConfig

logging.basicConfig(
    filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
)
cfg = SyntheticConfig.from_dict(snakemake.params.synthetic)
inputs = SyntheticInputs(
    train=Path(snakemake.input.train),
    runbooks=[Path(p) for p in snakemake.input.runbooks],
    policy=Path(snakemake.input.policy),
    inventory=Path(snakemake.input.inventory),
)
card_path = Path(snakemake.output.card)
card = synthesize(
    inputs,
    cfg,
    CurateConfig.from_dict(snakemake.params.curate),
    Path(snakemake.output.synthetic),
    card_path,
)
counts = mix_training_set(
    Path(snakemake.input.train_jsonl),
    Path(snakemake.output.synthetic),
    cfg.max_train_share,
    ValidateConfig.from_dict(snakemake.params.validate),
    Path(snakemake.output.train),
)
card_path.write_text(json.dumps({**card, "training_set": counts}, indent=2, sort_keys=True) + "\n")
logging.getLogger("augment").info("training set: %s", counts)
