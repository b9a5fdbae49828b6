"""Snakemake adapter: merged checkpoint -> quantized GGUFs, MODEL_CARD.md and Modelfile.

(Not named gguf.py: the scripts folder is on sys.path and would shadow the `gguf` package.)
"""

import _halops_path  # noqa: F401

from pathlib import Path

from halops.model.gguf import ExportInputs, export_gguf
from halops.model.rulelog import log_to_file

log_to_file(snakemake.log[0])
adapter = Path(snakemake.input.adapter)
inputs = ExportInputs(
    merged_dir=Path(snakemake.input.merged),
    train_summary=adapter / "halops_train.json",
    data_card=Path(snakemake.input.data_card),
    hashed={
        "train.jsonl": Path(snakemake.input.train),
        "val.jsonl": Path(snakemake.input.val),
        "data_card.json": Path(snakemake.input.data_card),
        "adapter_model.safetensors": adapter / "adapter_model.safetensors",
    },
)
export_gguf(
    inputs,
    Path(snakemake.output.card).parent,
    list(snakemake.params.quant_types),
    Path(snakemake.params.converter_cache),
    outtype=snakemake.params.outtype,
)
