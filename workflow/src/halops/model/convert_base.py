"""Turn the configured base model into something the train rule loads directly.

An embedded GGUF is dequantized once into a Hugging Face checkpoint (safetensors, fp32): loading
from GGUF costs ~30 s every time, the saved checkpoint reloads in under a second. A local
directory or hub id is not copied (a 7B checkpoint is 15 GB); the base folder then only records
where to load it from. Either way the folder holds `halops_base.json`, read by `base_load_path`.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from halops.model.base import BaseModelSource, resolve_base_model

log = logging.getLogger(__name__)

MANIFEST = "halops_base.json"


def prepare_base(spec: str, out_dir: Path) -> Path:
    """Write the base folder for `spec` into `out_dir`; returns the manifest path."""
    source = resolve_base_model(spec)
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {"spec": spec, "kind": source.kind}
    if source.gguf_file:
        convert_gguf_checkpoint(source, out_dir)
        manifest |= {"load_from": ".", "source_sha256": sha256_file(source.gguf_path)}
    else:
        manifest["load_from"] = source.location
    path = out_dir / MANIFEST
    path.write_text(json.dumps(manifest, indent=2) + "\n")
    return path


def convert_gguf_checkpoint(source: BaseModelSource, out_dir: Path) -> None:
    """Dequantize a GGUF-packed model into a safetensors checkpoint with its tokenizer."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    log.info("loading %s from %s", source.gguf_file, source.location)
    tokenizer = AutoTokenizer.from_pretrained(source.location, gguf_file=source.gguf_file)
    model = AutoModelForCausalLM.from_pretrained(source.location, gguf_file=source.gguf_file)
    detach_gguf_quantizer(model)
    _align_generation_eos(model, tokenizer)
    model.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)
    log.info("saved %.1f M parameters to %s", model.num_parameters() / 1e6, out_dir)


def detach_gguf_quantizer(model: Any) -> None:
    """Forget the GGUF origin: the weights are already dequantized, but transformers keeps the
    quantizer and refuses `save_pretrained` ("quantized with gguf and is not serializable")."""
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.is_quantized = False


def base_load_path(base_dir: Path) -> str:
    """Directory or hub id to pass to `from_pretrained` for the base prepared in `base_dir`."""
    manifest = json.loads((base_dir / MANIFEST).read_text())
    load_from = manifest["load_from"]
    return str(base_dir) if load_from == "." else load_from


def sha256_file(path: Path | None) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks so multi-GB weights do not fill memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:  # type: ignore[arg-type]
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _align_generation_eos(model: Any, tokenizer: Any) -> None:
    # Generation must stop on the chat end-of-turn token, which the GGUF names as its EOS.
    if model.generation_config is not None and tokenizer.eos_token_id is not None:
        model.generation_config.eos_token_id = tokenizer.eos_token_id
        model.generation_config.pad_token_id = tokenizer.pad_token_id
