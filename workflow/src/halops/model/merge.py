"""Merge the LoRA adapter into the base weights and save a plain checkpoint for conversion.

The merge always happens on the CPU in `dtype`: a QLoRA adapter is merged into the unquantized
base (merging into 4-bit weights would bake in the quantization error), and a 7B base in bf16
needs ~15 GB of RAM but no GPU. The tokenizer is taken from the adapter folder, where the train
rule saved it with the model's own chat template.
"""

from __future__ import annotations

import logging
from pathlib import Path

from halops.model.convert_base import base_load_path

log = logging.getLogger(__name__)


def merge_adapter(base_dir: Path, adapter_dir: Path, out_dir: Path, dtype: str = "float32") -> None:
    """Write `out_dir`: merged safetensors, config, generation config, tokenizer, chat template."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    load_from = base_load_path(base_dir)
    log.info("merging %s into %s (%s)", adapter_dir, load_from, dtype)
    base = AutoModelForCausalLM.from_pretrained(load_from, dtype=getattr(torch, dtype))
    merged = PeftModel.from_pretrained(base, str(adapter_dir)).merge_and_unload()
    merged.save_pretrained(out_dir, safe_serialization=True)
    tokenizer = AutoTokenizer.from_pretrained(adapter_dir)
    if not tokenizer.chat_template:
        raise ValueError(f"{adapter_dir}: tokenizer has no chat template to carry into the merge")
    tokenizer.save_pretrained(out_dir)
    log.info("merged model saved to %s", out_dir)
