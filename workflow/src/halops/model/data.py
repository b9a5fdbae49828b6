"""Training examples: chat jsonl -> token ids with labels on exactly what the assistant wrote.

The loss mask is derived from the model's own chat template without `{% generation %}` markers
(stock templates rarely have them): each assistant turn's character span is found by rendering
conversation prefixes, and tokens whose first character falls inside a span are labelled. A span
runs from the end of the generation prompt (``<|im_start|>assistant\\n``) to the end of the turn,
including the end-of-turn token (``<|im_end|>``) but not the whitespace the template puts after
it; the model thus learns to stop. Templates that are not prefix-preserving (a later turn changes
how an earlier one renders) are refused per example, loudly, rather than mislabelled.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from halops.model.chats import load_conversations
from halops.model.template import assistant_char_spans

log = logging.getLogger(__name__)

IGNORE_INDEX = -100  # the label value torch's cross-entropy skips


@dataclass(frozen=True)
class TokenizedExample:
    input_ids: list[int]
    labels: list[int]


def tokenize_conversation(
    tokenizer: Any, messages: list[dict[str, str]], max_length: int
) -> TokenizedExample | None:
    """Token ids and labels; None when there is nothing to learn. Raises ValueError when the
    conversation is longer than `max_length` (it is skipped, never cut)."""
    text, spans = assistant_char_spans(tokenizer, messages)
    # The template writes the special tokens itself; the tokenizer adding a BOS would double it.
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    ids, offsets = encoded["input_ids"], encoded["offset_mapping"]
    if len(ids) > max_length:
        # Never cut: the validate stage fits examples into the window at message boundaries
        # (halops.window); one that is still too long is a mismatch of windows, left out.
        raise ValueError(f"{len(ids)} tokens exceed max_length {max_length}")
    labels = [
        token if _inside(start, spans) else IGNORE_INDEX
        for token, (start, _end) in zip(ids, offsets, strict=True)
    ]
    if all(label == IGNORE_INDEX for label in labels):
        return None
    return TokenizedExample(input_ids=ids, labels=labels)


def build_dataset(tokenizer: Any, path: Path, max_length: int) -> Any:
    """A `datasets.Dataset` of `input_ids`/`labels`, ready for SFTTrainer (no re-tokenizing)."""
    from datasets import Dataset

    rows, skipped = [], 0
    for number, messages in enumerate(load_conversations(path), start=1):
        try:
            example = tokenize_conversation(tokenizer, messages, max_length)
        except ValueError as exc:
            log.warning("%s example %d skipped: %s", path, number, exc)
            example = None
        if example is None:
            skipped += 1
            continue
        rows.append({"input_ids": example.input_ids, "labels": example.labels})
    log.info("%s: %d examples, %d skipped", path, len(rows), skipped)
    if not rows:
        raise ValueError(f"{path}: no trainable examples (all {skipped} skipped)")
    return Dataset.from_list(rows)


def _inside(position: int, spans: list[tuple[int, int]]) -> bool:
    return any(start <= position < end for start, end in spans)
