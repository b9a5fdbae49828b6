"""Snakemake adapter: base + SFT adapter + pairs -> DPO adapter, metrics and both curves."""

import _halops_path  # noqa: F401

import logging
from pathlib import Path

import torch

from halops.model.dpo import DPOPaths, DPOTrainConfig, train_dpo
from halops.model.rulelog import log_to_file

log_to_file(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
paths = DPOPaths(
    base_dir=Path(snakemake.input.base),
    sft_adapter_dir=Path(snakemake.input.sft_adapter),
    pairs=Path(snakemake.input.pairs),
    adapter_dir=Path(snakemake.output.adapter),
    checkpoint_dir=Path(snakemake.params.checkpoint_dir),
    metrics_csv=Path(snakemake.output.metrics),
    loss_png=Path(snakemake.output.loss_png),
    margin_png=Path(snakemake.output.margin_png),
)
summary = train_dpo(paths, DPOTrainConfig.from_dict(snakemake.params.dpo))
logging.getLogger("dpo").info(
    "done: %d steps on %d pairs, final eval %s",
    summary["global_step"],
    summary["train_pairs"],
    summary["final_eval"],
)
