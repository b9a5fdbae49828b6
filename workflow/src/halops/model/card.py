"""The model card: what the model was trained on, how it scored, what it is not good for.

Written after the evaluation (the `model_card` rule takes the eval rule's scores as input), so
the card shows the measured comparison with the base model next to the training facts. Every
figure is read from a pipeline output (train summary, data card, eval scores), never typed in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from halops.model.convert_base import sha256_file
from halops.model.converter import llama_cpp_version
from halops.model.gguf import stop_tokens, tokenizer_facts

LIMITS = (
    "135 M-parameter demonstration model; use the `gpu` profile with a 7 B base for real use. "
    "It was trained on the generated sample lab (unless `sessions_dir` named your own "
    "transcripts), knows only that lab's hosts and conventions, and proposes commands that "
    "must go through the agent's safety policy: it is not a safety mechanism itself."
)


@dataclass(frozen=True)
class CardInputs:
    merged_dir: Path
    train_summary: Path  # halops_train.json written by the train rule
    data_card: Path
    ggufs: list[Path]
    eval_scores: Path | None  # results/eval/scores.parquet; None or missing: not evaluated
    hashed: dict[str, Path]  # name -> file whose sha256 goes into the card


def write_model_card(inputs: CardInputs, out_path: Path) -> str:
    text = model_card(inputs)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(text, encoding="utf-8")
    return text


def model_card(inputs: CardInputs) -> str:
    summary = json.loads(inputs.train_summary.read_text())
    data_card = json.loads(inputs.data_card.read_text())
    facts = tokenizer_facts(inputs.merged_dir)
    sections = [
        _header(summary, inputs.ggufs, facts),
        "## Limits\n\n" + LIMITS,
        _training_data(data_card),
        _evaluation(inputs.eval_scores),
        "## Hyper-parameters\n\n```json\n" + json.dumps(summary["config"], indent=2) + "\n```",
        _hashes(summary, inputs),
    ]
    return "\n\n".join(sections) + "\n"


def _header(summary: dict[str, Any], ggufs: list[Path], facts: dict[str, Any]) -> str:
    method = "QLoRA (4-bit NF4)" if summary["config"]["qlora"] else "LoRA"
    layers = summary["config"].get("lora_layers") or 0
    where = f"last {layers} layers" if layers else "all layers"
    rate = summary.get("tokens_per_s")
    return "\n".join(
        [
            "# HALops fine-tuned model",
            "",
            f"- Base model: `{summary['base']['spec']}` ({summary['base']['kind']})",
            f"- Method: {method} r={summary['config']['lora_r']} on {where}, "
            f"{summary['global_step']} optimizer steps, {summary.get('input_tokens_seen')} "
            f"tokens in {_fmt(summary.get('train_runtime_s'), 0)} s"
            + (f" ({rate} tokens/s)" if rate else ""),
            f"- Final train loss: {_fmt(summary.get('final_train_loss'))}; "
            f"final validation loss: {_fmt(summary.get('final_eval_loss'))}",
            f"- Quantizations: {', '.join(f'`{p.name}`' for p in ggufs)} "
            f"(llama.cpp via llama-cpp-python {llama_cpp_version()})",
            f"- Stop tokens: {', '.join(f'`{t}`' for t in stop_tokens(facts))}",
            "- Prompt: `halops.contract.prompts.SYSTEM_PROMPT` plus the compact tool list "
            "(`halops.contract.toolcall`), as in `Modelfile`; tool calls are `<tool_call>` blocks",
        ]
    )


def _training_data(card: dict[str, Any]) -> str:
    splits = card.get("per_split", {})
    strategies = ", ".join(f"{k} {v}" for k, v in sorted(card.get("per_strategy", {}).items()))
    lines = [
        "## Training data",
        "",
        f"- {card.get('n_output_examples')} examples after scrubbing, window fitting and "
        f"deduplication: " + ", ".join(f"{k} {v}" for k, v in splits.items()),
        f"- Strategies: {strategies}",
        f"- Tiers: {', '.join(f'{k} {v}' for k, v in sorted(card.get('per_tier', {}).items()))}",
    ]
    turns = card.get("tool_call_turns") or {}
    if turns:
        lines.append(
            "- Assistant messages with tool calls: "
            + ", ".join(f"{k} {v}" for k, v in turns.items())
        )
    window = card.get("window") or {}
    if window:
        lines.append(
            f"- Window {window['max_tokens']} tokens: {window['examples']['fit']} examples whole, "
            f"{window['examples']['split']} split, {window['examples']['trimmed']} trimmed, "
            f"{window['examples']['dropped']} dropped; assistant tokens dropped "
            f"{window['assistant_tokens_dropped']} of {window['assistant_tokens']}"
        )
    heldout = card.get("heldout") or {}
    if heldout:
        lines.append(
            f"- Test split: {heldout['sessions']} held-out sessions with request wordings and "
            "host/service combinations never seen in training (listed in the data card)"
        )
    return "\n".join(lines)


def _evaluation(scores_path: Path | None) -> str:
    head = "## Evaluation"
    if scores_path is None or not Path(scores_path).is_file():
        return f"{head}\n\nNot evaluated yet (run the eval rule; this card is then rewritten)."
    import pandas as pd

    scores = pd.read_parquet(scores_path)
    lines = [head, "", "From `results/eval/scores.parquet` (the eval rule; see its report):", ""]
    lines += _case_table(scores[scores["suite"] == "cases"])
    lines += ["", *_heldout_lines(scores[scores["suite"] == "heldout"])]
    return "\n".join(lines)


def _case_table(cases: Any) -> list[str]:
    if cases.empty:
        return ["No evaluation cases were scored."]
    rows = [
        "| model | retrieval | pass | partial | fail | unsafe proposals |",
        "|---|---|---|---|---|---|",
    ]
    for (model, retrieval), group in cases.groupby(["model", "retrieval"], sort=False):
        counts = group["outcome"].value_counts()
        unsafe = int(group["n_unsafe"].sum()) if "n_unsafe" in group else 0
        rows.append(
            f"| {model} | {'on' if retrieval else 'off'} | {counts.get('pass', 0)} | "
            f"{counts.get('partial', 0)} | {counts.get('fail', 0)} | {unsafe} |"
        )
    return rows


def _heldout_lines(heldout: Any) -> list[str]:
    if heldout.empty:
        return ["No held-out next-call turns were scored."]
    parts = []
    for model, group in heldout.groupby("model", sort=False):
        passed = int((group["outcome"] == "pass").sum())
        parts.append(f"{model} {passed}/{len(group)} ({passed / len(group):.0%})")
    return ["Held-out next-tool-call accuracy (test split): " + ", ".join(parts) + "."]


def _hashes(summary: dict[str, Any], inputs: CardInputs) -> str:
    hashes = {name: sha256_file(path) for name, path in inputs.hashed.items()}
    if summary["base"].get("source_sha256"):  # the embedded GGUF the base was converted from
        hashes[f"base ({summary['base']['spec']})"] = summary["base"]["source_sha256"]
    hashes |= {path.name: sha256_file(path) for path in inputs.ggufs}
    return "## SHA-256\n\n" + "\n".join(
        f"- `{name}`: `{digest}`" for name, digest in hashes.items()
    )


def _fmt(value: float | None, digits: int = 4) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"
