"""Benchmark of the train rule (a script that prints figures, not a test).

On the same conversations (the final train split), in one process, one after another:

1. ``rule``: the train rule's own trainer (`halops.model.train.build_trainer`) with the
   configured profile (`cpu` by default: LoRA on the last layers, assistant-only loss with the
   LM head on labelled positions only, bf16 autocast where the CPU has it, packing);
2. ``rule, no packing``: the same without packing (rows padded to the longest in the batch);
3. ``rule, trl loss``: the same with trl's own loss (entropy and token-accuracy logs computed
   over the whole vocabulary at every position);
4. ``plain``: trl's SFTTrainer with its default settings (full fine-tuning, trl tokenizes the
   messages itself, loss on every token, batch 8, max length 1024).

A one-step warm-up run goes first and is not reported (first-step allocations and lazy imports).

For each: non-padding tokens seen per second of wall time and per second of this process's CPU
time, and the peak resident memory (sampled every 20 ms, since ru_maxrss cannot be reset
between variants); then the ratios to ``plain``. On a machine shared with other jobs the wall
rate depends on the neighbours; the CPU-time rate much less, and the ratios least.

    .venv/bin/python workflow/scripts/bench/bench_train.py [--steps 4] [--plain-steps 2] \
        [--train results/final/train.jsonl] [--base results/model/base] [--profile cpu]
"""

from __future__ import annotations

import os

# As in the train rule: idle OpenMP threads sleep, not spin (see workflow/scripts/train.py).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse
import contextlib
import ctypes
import gc
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch
import yaml

from halops.model.chats import load_conversations
from halops.model.convert_base import base_load_path, prepare_base
from halops.model.data import build_dataset
from halops.model.train import TrainConfig, TrainPaths, build_trainer

REPO = Path(__file__).resolve().parents[3]
FIXTURE = REPO / "tests" / "halops" / "model" / "data" / "train.jsonl"


class PeakRss:
    """Highest VmRSS of this process while the context is open, in MiB."""

    def __init__(self, interval_s: float = 0.02) -> None:
        self.interval_s, self.peak_kib, self._stop = interval_s, 0, threading.Event()

    def __enter__(self) -> PeakRss:
        self.start_kib = rss_kib()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _poll(self) -> None:
        while not self._stop.is_set():
            self.peak_kib = max(self.peak_kib, rss_kib())
            time.sleep(self.interval_s)

    @property
    def peak_mib(self) -> float:
        return self.peak_kib / 1024


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def profile_config(profile: str | None) -> TrainConfig:
    model = yaml.safe_load((REPO / "config" / "config.yaml").read_text())["model"]
    return TrainConfig.from_dict(model["profiles"][profile or model["profile"]]["train"])


def release_memory() -> None:
    """Free the previous variant's memory and hand it back to the OS, so RSS starts low."""
    gc.collect()
    # Not glibc: no trim, and the RSS rise figures are then upper bounds.
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def run_trainer(name: str, trainer: Any) -> dict[str, Any]:
    release_memory()
    cpu_start = time.process_time()
    with PeakRss() as rss:
        result = trainer.train()
    cpu = time.process_time() - cpu_start
    tokens = trainer.state.num_input_tokens_seen
    seconds = result.metrics["train_runtime"]
    row = {
        "variant": name,
        "steps": trainer.state.global_step,
        "tokens": tokens,
        "seconds": seconds,
        "tokens_per_s": tokens / seconds,
        "tokens_per_cpu_s": tokens / cpu,
        "peak_rss_mib": rss.peak_mib,
        "rss_rise_mib": rss.peak_mib - rss.start_kib / 1024,
    }
    print(
        f"{name:<18} {row['steps']:>3} steps {tokens:>7} tokens {seconds:7.1f} s "
        f"{row['tokens_per_s']:7.1f} tok/s {row['tokens_per_cpu_s']:7.1f} tok/cpu-s  "
        f"peak RSS {row['peak_rss_mib']:7.0f} MiB (+{row['rss_rise_mib']:.0f})",
        flush=True,
    )
    return row


def plain_trainer(base: Path, train_jsonl: Path, steps: int, out: Path) -> Any:
    """trl defaults; only the step count, output folder and token counting are set, and bf16
    is turned off without CUDA (trl's default bf16 refuses to start on a CPU)."""
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    rows = [{"messages": messages} for messages in load_conversations(train_jsonl)]
    args = SFTConfig(
        output_dir=str(out),
        max_steps=steps,
        report_to="none",
        save_strategy="no",
        include_num_input_tokens_seen="non_padding",
        disable_tqdm=True,
        **({} if torch.cuda.is_available() else {"bf16": False}),
    )
    return SFTTrainer(model=base_load_path(base), args=args, train_dataset=Dataset.from_list(rows))


def rule_trainer(
    base: Path, train_jsonl: Path, cfg: TrainConfig, out: Path, trl_loss: bool = False
) -> Any:
    from transformers import AutoTokenizer
    from trl import SFTTrainer

    tokenizer = AutoTokenizer.from_pretrained(base_load_path(base))
    dataset = build_dataset(tokenizer, train_jsonl, cfg.max_length)
    paths = TrainPaths.under(out, base, train_jsonl, train_jsonl)
    trainer = build_trainer(paths, cfg, tokenizer, dataset, dataset.select(range(1)))
    if trl_loss:  # undo the rule's loss override, to time trl's own
        trainer.compute_loss = SFTTrainer.compute_loss.__get__(trainer)
    return trainer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default_train = REPO / "results" / "final" / "train.jsonl"
    parser.add_argument(
        "--train", type=Path, default=default_train if default_train.exists() else FIXTURE
    )
    parser.add_argument("--base", type=Path, default=REPO / "results" / "model" / "base")
    parser.add_argument(
        "--profile", default=None, help="config profile (default: the selected one)"
    )
    parser.add_argument("--steps", type=int, default=4, help="optimizer steps of the rule variants")
    parser.add_argument("--plain-steps", type=int, default=2, help="steps of the default trainer")
    args = parser.parse_args()

    torch.manual_seed(0)
    with tempfile.TemporaryDirectory(prefix="bench-train-") as scratch:
        tmp = Path(scratch)
        base = args.base
        if not (base / "halops_base.json").is_file():
            base = tmp / "base"
            prepare_base("embedded:smollm2-135m", base)
        cfg = replace(profile_config(args.profile), max_steps=args.steps, eval_steps=10**6)
        cfg = replace(cfg, save_steps=10**6)
        print(
            f"data {args.train}, base {base_load_path(base)}, "
            f"torch threads {torch.get_num_threads()}"
        )
        print(f"rule profile: {cfg}")
        warm = replace(cfg, max_steps=1)
        rule_trainer(base, FIXTURE, warm, tmp / "w").train()
        rule = run_trainer("rule", rule_trainer(base, args.train, cfg, tmp / "r"))
        unpacked = replace(cfg, packing=False)
        nopack = run_trainer(
            "rule, no packing", rule_trainer(base, args.train, unpacked, tmp / "n")
        )
        trl = run_trainer("rule, trl loss", rule_trainer(base, args.train, cfg, tmp / "t", True))
        plain = run_trainer("plain", plain_trainer(base, args.train, args.plain_steps, tmp / "p"))
    for key, unit in (("tokens_per_s", "tokens/s"), ("tokens_per_cpu_s", "tokens/cpu-s")):
        print(f"rule / plain {unit}: {rule[key] / plain[key]:.2f}x (target >= 1.5x)")
    for name, other in (("no packing", nopack), ("trl loss", trl)):
        ratio = rule["tokens_per_cpu_s"] / other["tokens_per_cpu_s"]
        print(f"rule / {name} tokens/cpu-s: {ratio:.2f}x")
    print(f"rule / plain peak RSS:          {rule['peak_rss_mib'] / plain['peak_rss_mib']:.2f}x")


if __name__ == "__main__":
    main()
