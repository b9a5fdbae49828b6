"""Check the exported GGUF the way it will be served: llama.cpp, its own chat template, one turn.

The check fails (raises `ModelCheckError`) unless the GGUF metadata carries a chat template and an
EOS token and the model, asked `questions` questions from the validation split, stops by itself
(finish reason "stop") within `max_tokens` on at least one of them. A model that never emits
its end-of-turn token would hang an agent loop until the token limit on every turn; this is the
cheapest place to catch it. One question alone is a coin toss for a 135M model: greedy decoding
can loop on one prompt ("bond_pve02cdfdeffdeff…") while the model stops on every other; the
CI smoke model (6 steps) stops on one question in five. The count that stopped is recorded.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from halops.model.chats import load_conversations

log = logging.getLogger(__name__)

REQUIRED_METADATA = ("tokenizer.chat_template", "tokenizer.ggml.eos_token_id")


class ModelCheckError(RuntimeError):
    """The exported model is not fit to serve."""


@dataclass(frozen=True)
class CheckConfig:
    example_index: int = 0  # which validation conversation supplies the (first) question
    questions: int = 1  # conversations asked, from example_index on; one must stop
    max_tokens: int = 256
    n_ctx: int = 2048
    temperature: float = 0.0  # greedy: the check must be reproducible
    seed: int = 0
    n_threads: int | None = None  # None: llama.cpp's default (all cores)


def check_gguf(gguf_path: Path, val_jsonl: Path, cfg: CheckConfig) -> dict[str, Any]:
    """Run the check and return its record; raises ModelCheckError on any failure."""
    from llama_cpp import Llama

    llm = Llama(
        model_path=str(gguf_path),
        n_ctx=cfg.n_ctx,
        n_threads=cfg.n_threads,
        seed=cfg.seed,
        verbose=False,
    )
    missing = [key for key in REQUIRED_METADATA if key not in llm.metadata]
    if missing:
        raise ModelCheckError(f"{gguf_path}: GGUF metadata lacks {missing}")
    records = []
    for offset in range(cfg.questions):
        prompt = question_from(val_jsonl, cfg.example_index + offset)
        started = time.perf_counter()
        reply = llm.create_chat_completion(
            messages=prompt, max_tokens=cfg.max_tokens, temperature=cfg.temperature, seed=cfg.seed
        )
        seconds = time.perf_counter() - started
        records.append(_record(gguf_path, cfg, prompt, reply, llm.metadata, seconds))
    record = {**records[0], "answers": records[1:]}
    looping = [r for r in records if r["finish_reason"] != "stop"]
    record["stopped"] = len(records) - len(looping)
    if len(looping) == len(records):
        first = looping[0]
        raise ModelCheckError(
            f"{gguf_path}: answer did not end with the stop token in {len(looping)} of "
            f"{len(records)} questions (first: {first['question']!r}, "
            f"finish_reason={first['finish_reason']!r} after {first['completion_tokens']} tokens)"
        )
    for loop in looping:
        log.warning("no stop token within %d tokens for %r", cfg.max_tokens, loop["question"])
    return record


def question_from(val_jsonl: Path, index: int) -> list[dict[str, str]]:
    """The messages of a validation conversation before its first assistant turn."""
    conversations = load_conversations(val_jsonl)
    if not conversations:
        raise ModelCheckError(f"{val_jsonl}: no conversations to ask from")
    messages = conversations[index % len(conversations)]
    first_answer = next(
        (i for i, message in enumerate(messages) if message["role"] == "assistant"), len(messages)
    )
    prompt = messages[:first_answer]
    if not prompt or prompt[-1]["role"] != "user":
        raise ModelCheckError(f"{val_jsonl}: conversation {index} has no user turn to ask")
    return prompt


def write_check(record: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")


def _record(
    gguf_path: Path,
    cfg: CheckConfig,
    prompt: list[dict[str, str]],
    reply: dict[str, Any],
    metadata: dict[str, str],
    seconds: float,
) -> dict[str, Any]:
    choice = reply["choices"][0]
    return {
        "gguf": str(gguf_path),
        "config": asdict(cfg),
        "eos_token_id": int(metadata["tokenizer.ggml.eos_token_id"]),
        "question": prompt[-1]["content"],
        "answer": choice["message"]["content"],
        "finish_reason": choice["finish_reason"],
        "prompt_tokens": reply["usage"]["prompt_tokens"],
        "completion_tokens": reply["usage"]["completion_tokens"],
        "seconds": round(seconds, 3),
    }
