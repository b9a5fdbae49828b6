"""Snakemake adapter: splits + base -> LoRA/QLoRA adapter, loss CSV and loss curve."""

import _halops_path  # noqa: F401

import os

# Idle OpenMP threads sleep instead of spinning. Spinning wins a little on an idle machine, but
# whenever the cores are shared (other jobs, other users) a spinning thread burns the time its
# partner needs: measured here at 2 threads, 6x the CPU time per step (bench_train.py).
# Must be set before torch loads its OpenMP runtime.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import logging
from pathlib import Path

import torch

from halops.model.rulelog import log_to_file
from halops.model.train import TrainConfig, TrainPaths, train

log_to_file(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
paths = TrainPaths(
    base_dir=Path(snakemake.input.base),
    train_jsonl=Path(snakemake.input.train),
    val_jsonl=Path(snakemake.input.val),
    adapter_dir=Path(snakemake.output.adapter),
    checkpoint_dir=Path(snakemake.params.checkpoint_dir),
    tensorboard_dir=Path(snakemake.params.tensorboard_dir),
    loss_csv=Path(snakemake.output.loss_csv),
    loss_png=Path(snakemake.output.loss_png),
)
summary = train(paths, TrainConfig.from_dict(snakemake.params.train))
logging.getLogger("train").info(
    "done: %d steps, train loss %s, validation loss %s",
    summary["global_step"],
    summary["final_train_loss"],
    summary["final_eval_loss"],
)
