"""Benchmark of the exported GGUF (a script that prints figures, not a test).

The fine-tuned model (the first exported quantization, Q8_0) next to the embedded base GGUF
(SmolLM2-135M-Instruct Q4_1), both through llama-cpp-python with the same threads, prompt and
token counts: file size, prompt processing tokens/s (one batch of the rendered chat prompt) and
generation tokens/s (greedy, one token at a time, the end-of-turn token suppressed so every run
generates the same count). Median of runs;
the two models alternate run by run, so load from other processes hits both alike.

    .venv/bin/python workflow/scripts/bench/bench_gguf.py \
        [--model results/model/model.Q8_0.gguf] [--threads 2] [--gen 64] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
from jinja2 import Template
from llama_cpp import Llama, LogitsProcessorList

from halops.model.base import embedded_gguf_path

REPO = Path(__file__).resolve().parents[3]
PROMPT = [
    {"role": "system", "content": "You are HAL, an operations assistant for a small lab."},
    {
        "role": "user",
        "content": "The backups to nas01 over VLAN 30 are slow since yesterday. pve03 shows "
        "high iowait and the NFS mounts sometimes hang for a few seconds. What should I check "
        "first, and which commands would you run on pve03 and nas01 to narrow it down? "
        "Keep the answer short and list the commands.",
    },
]


def prompt_tokens(llm: Llama) -> list[int]:
    template = llm.metadata["tokenizer.chat_template"]
    text = Template(template).render(messages=PROMPT, add_generation_prompt=True)
    return llm.tokenize(text.encode(), add_bos=False, special=True)


def time_prompt(llm: Llama, tokens: list[int]) -> float:
    llm.reset()
    start = time.perf_counter()
    llm.eval(tokens)
    return len(tokens) / (time.perf_counter() - start)


def time_generation(llm: Llama, tokens: list[int], n: int, eos: int) -> float:
    def no_eos(_ids: object, scores: np.ndarray) -> np.ndarray:
        scores[eos] = -np.inf
        return scores

    processors = LogitsProcessorList([no_eos])
    llm.reset()
    llm.eval(tokens)
    start = time.perf_counter()
    for _ in range(n):
        token = llm.sample(temp=0.0, logits_processor=processors)
        llm.eval([token])
    return n / (time.perf_counter() - start)


def bench(paths: dict[str, Path], threads: int, gen: int, runs: int) -> dict[str, dict]:
    models = {
        name: Llama(model_path=str(path), n_ctx=1024, n_threads=threads, seed=0, verbose=False)
        for name, path in paths.items()
    }
    tokens = {name: prompt_tokens(llm) for name, llm in models.items()}
    eos = {name: int(llm.metadata["tokenizer.ggml.eos_token_id"]) for name, llm in models.items()}
    samples: dict[str, dict[str, list[float]]] = {name: {"p": [], "g": []} for name in models}
    for name, llm in models.items():
        time_prompt(llm, tokens[name])  # warm-up: the first eval pages the weights in
    for _ in range(runs):
        for name, llm in models.items():
            samples[name]["p"].append(time_prompt(llm, tokens[name]))
            samples[name]["g"].append(time_generation(llm, tokens[name], gen, eos[name]))
    return {
        name: {
            "size_mb": paths[name].stat().st_size / 1e6,
            "prompt_tokens": len(tokens[name]),
            "prompt_tok_s": statistics.median(samples[name]["p"]),
            "gen_tok_s": statistics.median(samples[name]["g"]),
        }
        for name in models
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default = REPO / "results" / "model" / "model.Q8_0.gguf"
    parser.add_argument("--model", type=Path, default=default)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--gen", type=int, default=64, help="tokens generated per run")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    paths = {"fine-tuned": args.model, "embedded base": embedded_gguf_path()}
    rows = bench(paths, args.threads, args.gen, args.runs)
    print(f"threads {args.threads}, {args.gen} generated tokens, median of {args.runs} runs")
    for name, row in rows.items():
        print(
            f"{name:<14} {row['size_mb']:6.1f} MB  prompt {row['prompt_tokens']} tokens "
            f"{row['prompt_tok_s']:7.1f} tok/s  generation {row['gen_tok_s']:6.1f} tok/s"
        )
    tuned, base = rows["fine-tuned"], rows["embedded base"]
    print(
        f"fine-tuned / base: size {tuned['size_mb'] / base['size_mb']:.2f}x, prompt "
        f"{tuned['prompt_tok_s'] / base['prompt_tok_s']:.2f}x, "
        f"generation {tuned['gen_tok_s'] / base['gen_tok_s']:.2f}x"
    )


if __name__ == "__main__":
    main()
