"""Merged checkpoint -> GGUF (llama.cpp's own converter) -> quantized GGUFs and a Modelfile.

The converter is not reimplemented and not taken from a third-party package: it is
`convert_hf_to_gguf.py` from the llama-cpp-python sdist of the *installed* version, so the GGUF
it writes matches the llama.cpp that quantizes and serves it. Setup fetches it into a cache
(`halops.model.converter`); this step only reads that cache. Quantization uses the
`llama_model_quantize` binding (no `llama-quantize` binary is built by llama-cpp-python).
The model card is written later, by `halops.model.card`, once the evaluation has scored the model.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from halops.contract.prompts import SYSTEM_PROMPT
from halops.contract.tools import agent_tools_prompt
from halops.model.converter import find_converter

log = logging.getLogger(__name__)


def convert_to_gguf(merged_dir: Path, out_path: Path, llama_cpp_dir: Path, outtype: str) -> None:
    """Run llama.cpp's converter in a subprocess with its own gguf-py first on the path."""
    env = dict(os.environ)
    # The script inserts gguf-py itself; PYTHONPATH also covers `conversion/` imports and makes
    # sure an installed `gguf` of another version cannot shadow it.
    env["PYTHONPATH"] = os.pathsep.join([str(llama_cpp_dir / "gguf-py"), str(llama_cpp_dir)])
    env.pop("NO_LOCAL_GGUF", None)
    command = [
        sys.executable,
        str(llama_cpp_dir / "convert_hf_to_gguf.py"),
        str(merged_dir),
        "--outfile",
        str(out_path),
        "--outtype",
        outtype,
    ]
    log.info("running %s", " ".join(command))
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    log.info("converter output:\n%s%s", done.stdout, done.stderr)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        raise RuntimeError(f"convert_hf_to_gguf.py failed ({done.returncode}): {tail}")


def quantize(in_path: Path, out_path: Path, quant_type: str, nthread: int = 0) -> None:
    """Quantize with llama.cpp's `llama_model_quantize`; `quant_type` like "Q4_K_M"."""
    import llama_cpp

    ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{quant_type}", None)
    if ftype is None:
        raise ValueError(f"unknown quantization type {quant_type!r} for llama.cpp")
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = ftype
    params.nthread = nthread
    status = llama_cpp.llama_model_quantize(
        str(in_path).encode(), str(out_path).encode(), llama_cpp.byref(params)
    )
    if status != 0:
        raise RuntimeError(f"llama_model_quantize({quant_type}) failed with status {status}")


def export_gguf(
    merged_dir: Path,
    out_dir: Path,
    quant_types: list[str],
    cache_dir: Path,
    outtype: str = "f16",
) -> dict[str, Path]:
    """Write `model.<TYPE>.gguf` per type and an Ollama `Modelfile` into `out_dir`."""
    llama_cpp_dir = find_converter(cache_dir)  # before any work: a missing one stops early
    out_dir.mkdir(parents=True, exist_ok=True)
    outputs: dict[str, Path] = {}
    # The unquantized GGUF is only an intermediate (15 GB for a 7B): keep it out of the outputs.
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".convert-") as scratch:
        full = Path(scratch) / f"model.{outtype}.gguf"
        convert_to_gguf(merged_dir, full, llama_cpp_dir, outtype)
        for quant_type in quant_types:
            outputs[quant_type] = out_dir / f"model.{quant_type}.gguf"
            quantize(full, outputs[quant_type], quant_type)
            log.info("%s: %.1f MB", outputs[quant_type], outputs[quant_type].stat().st_size / 1e6)
    tokenizer_config = tokenizer_facts(merged_dir)
    first = outputs[quant_types[0]]
    (out_dir / "Modelfile").write_text(ollama_modelfile(first.name, tokenizer_config))
    return outputs


def trained_system_prompt() -> str:
    """The system message the model was trained with for a request without runbook passages:
    the agent's base prompt and its transport tools (halops.contract), byte for byte."""
    return f"{SYSTEM_PROMPT}\n\n{agent_tools_prompt(with_local=False)}"


def ollama_modelfile(gguf_name: str, tokenizer_config: dict[str, Any]) -> str:
    """An Ollama Modelfile; ChatML templates are translated to Ollama's Go template syntax. The
    SYSTEM prompt is the one the model was trained with, so `ollama run` prompts it as the
    agent does (tool calls come back as `<tool_call>` text; Ollama does not run them)."""
    lines = [f"FROM ./{gguf_name}", "", f'SYSTEM """{trained_system_prompt()}"""', ""]
    template = tokenizer_config.get("chat_template") or ""
    if "<|im_start|>" in template:
        lines += [f'TEMPLATE """{_chatml_go_template(template)}"""', ""]
    else:
        # Ollama reads tokenizer.chat_template from the GGUF and maps known templates itself.
        lines += ["# TEMPLATE: taken by Ollama from the GGUF's tokenizer.chat_template", ""]
    lines += [f'PARAMETER stop "{token}"' for token in stop_tokens(tokenizer_config)]
    return "\n".join(lines) + "\n"


def stop_tokens(tokenizer_config: dict[str, Any]) -> list[str]:
    """End-of-turn token(s): the EOS, plus ChatML's `<|im_end|>` when the template uses it."""
    tokens = [tokenizer_config["eos_token"]] if tokenizer_config.get("eos_token") else []
    if "<|im_end|>" in (tokenizer_config.get("chat_template") or "") and "<|im_end|>" not in tokens:
        tokens.append("<|im_end|>")
    return tokens


def _chatml_go_template(jinja_template: str) -> str:
    # Keep the stock default system prompt (SmolLM2, Qwen2.5 add one when none is given).
    default = re.search(r"<\|im_start\|>system\n(.+?)<\|im_end\|>", jinja_template, re.DOTALL)
    head = "{{- range $i, $m := .Messages }}\n"
    if default:
        head += (
            '{{- if and (eq $i 0) (ne $m.Role "system") }}<|im_start|>system\n'
            f"{default.group(1)}<|im_end|>\n{{{{ end }}}}"
        )
    return (
        head
        + "<|im_start|>{{ $m.Role }}\n{{ $m.Content }}<|im_end|>\n{{ end }}<|im_start|>assistant\n"
    )


def tokenizer_facts(merged_dir: Path) -> dict[str, Any]:
    facts = json.loads((merged_dir / "tokenizer_config.json").read_text())
    template_file = merged_dir / "chat_template.jinja"
    if template_file.is_file():  # transformers 5 saves the template beside the config
        facts["chat_template"] = template_file.read_text()
    return facts
