"""Snakemake adapter: training summary, data card, GGUFs and eval scores -> MODEL_CARD.md."""

import _halops_path  # noqa: F401

from pathlib import Path

from halops.model.card import CardInputs, write_model_card
from halops.model.rulelog import log_to_file

log_to_file(snakemake.log[0])
adapter = Path(snakemake.input.adapter)
write_model_card(
    CardInputs(
        merged_dir=Path(snakemake.input.merged),
        train_summary=adapter / "halops_train.json",
        data_card=Path(snakemake.input.data_card),
        ggufs=[Path(p) for p in snakemake.input.ggufs],
        eval_scores=Path(snakemake.input.scores),
        hashed={
            "train.jsonl": Path(snakemake.input.train),
            "val.jsonl": Path(snakemake.input.val),
            "data_card.json": Path(snakemake.input.data_card),
            "adapter_model.safetensors": adapter / "adapter_model.safetensors",
        },
    ),
    Path(snakemake.output.card),
)
