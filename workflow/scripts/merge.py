"""Snakemake adapter: base + adapter -> results/model/merged/ (safetensors + tokenizer)."""

import _halops_path  # noqa: F401

from pathlib import Path

import torch

from halops.model.merge import merge_adapter
from halops.model.rulelog import log_to_file

log_to_file(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
merge_adapter(
    Path(snakemake.input.base),
    Path(snakemake.input.adapter),
    Path(snakemake.output.merged),
    dtype=snakemake.params.dtype,
)
