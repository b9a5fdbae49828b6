"""The model card states training facts, the eval summary and the limits; the Modelfile carries
the trained system prompt."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from halops.contract.prompts import SYSTEM_PROMPT
from halops.contract.tools import agent_tools_prompt
from halops.model.card import LIMITS, CardInputs, model_card
from halops.model.gguf import ollama_modelfile, trained_system_prompt

CHATML = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}"
    "<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


@pytest.fixture
def inputs(tmp_path: Path) -> CardInputs:
    merged = tmp_path / "merged"
    merged.mkdir()
    (merged / "tokenizer_config.json").write_text(json.dumps({"eos_token": "<|im_end|>"}))
    (merged / "chat_template.jinja").write_text(CHATML)
    summary = {
        "config": {"qlora": False, "lora_r": 16, "lora_layers": 8},
        "base": {"spec": "embedded:smollm2-135m", "kind": "embedded", "source_sha256": "ab"},
        "global_step": 240,
        "final_train_loss": 0.1234,
        "final_eval_loss": 0.2345,
        "train_runtime_s": 900.0,
        "input_tokens_seen": 1_000_000,
        "tokens_per_s": 1111.1,
    }
    (tmp_path / "summary.json").write_text(json.dumps(summary))
    card = {
        "n_output_examples": 1084,
        "per_split": {"train": 704, "val": 110, "test": 270},
        "per_strategy": {"multi_turn": 358, "single_turn": 722},
        "per_tier": {"A": 953, "B": 131},
        "tool_call_turns": {"train": 1124, "val": 174, "test": 445},
        "window": {
            "max_tokens": 1024,
            "examples": {"fit": 1237, "split": 93, "trimmed": 30, "dropped": 0},
            "assistant_tokens": 163146,
            "assistant_tokens_dropped": 4848,
        },
        "heldout": {"sessions": 30},
    }
    (tmp_path / "data_card.json").write_text(json.dumps(card))
    gguf = tmp_path / "model.Q4_K_M.gguf"
    gguf.write_bytes(b"GGUF")
    return CardInputs(
        merged_dir=merged,
        train_summary=tmp_path / "summary.json",
        data_card=tmp_path / "data_card.json",
        ggufs=[gguf],
        eval_scores=tmp_path / "scores.parquet",
        hashed={"data_card.json": tmp_path / "data_card.json"},
    )


def scores_frame() -> pd.DataFrame:
    rows = []
    for model, outcomes, unsafe in (("base", "ppff", 0), ("finetuned", "pppf", 1)):
        for outcome in outcomes:
            rows.append(
                {"model": model, "retrieval": False, "suite": "cases", "outcome": outcome}
                | {"n_unsafe": unsafe if outcome == "f" else 0}
            )
    rows = [r | {"outcome": {"p": "pass", "f": "fail"}[r["outcome"]]} for r in rows]
    for model, passed in (("base", 1), ("finetuned", 3)):
        for i in range(4):
            outcome = "pass" if i < passed else "fail"
            rows.append(
                {"model": model, "retrieval": False, "suite": "heldout", "outcome": outcome}
            )
    return pd.DataFrame(rows)


def test_card_states_data_eval_and_limits(inputs: CardInputs) -> None:
    scores_frame().to_parquet(inputs.eval_scores)
    card = model_card(inputs)
    assert LIMITS in card and "use the `gpu` profile with a 7 B base for real use" in card
    assert "1084 examples" in card and "train 704, val 110, test 270" in card
    assert "Window 1024 tokens: 1237 examples whole, 93 split, 30 trimmed, 0 dropped" in card
    assert "30 held-out sessions" in card
    assert "| base | off | 2 | 0 | 2 | 0 |" in card
    assert "| finetuned | off | 3 | 0 | 1 | 1 |" in card
    assert "base 1/4 (25%), finetuned 3/4 (75%)" in card
    assert "LoRA r=16 on last 8 layers, 240 optimizer steps" in card and "1111.1 tokens/s" in card
    assert "- `model.Q4_K_M.gguf`: `" in card and "- `base (embedded:smollm2-135m)`: `ab`" in card


def test_card_without_eval_says_so(inputs: CardInputs) -> None:
    card = model_card(inputs)  # no scores.parquet written
    assert "Not evaluated yet" in card and LIMITS in card


def test_modelfile_carries_the_trained_system_prompt() -> None:
    facts = {"eos_token": "<|im_end|>", "chat_template": CHATML}
    text = ollama_modelfile("model.Q4_K_M.gguf", facts)
    prompt = trained_system_prompt()
    assert prompt == f"{SYSTEM_PROMPT}\n\n{agent_tools_prompt(with_local=False)}"
    assert f'SYSTEM """{prompt}"""' in text
    assert '"""' not in prompt  # the prompt cannot end the Modelfile's quoted block early
    assert 'PARAMETER stop "<|im_end|>"' in text
