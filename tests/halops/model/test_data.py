"""Loss masks: labels cover exactly what the assistant wrote plus its end-of-turn token."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from halops.model.chats import load_conversations
from halops.model.data import (
    IGNORE_INDEX,
    assistant_char_spans,
    build_dataset,
    tokenize_conversation,
)

pytest.importorskip("transformers")

# A non-ChatML template (Gemma-like roles and turn markers), to show the mask does not depend on
# ChatML or on `{% generation %}` markers.
GEMMA_LIKE = (
    "{% for m in messages %}<start_of_turn>"
    "{{ 'model' if m['role'] == 'assistant' else m['role'] }}\n"
    "{{ m['content'] }}<end_of_turn>\n{% endfor %}"
    "{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
)


def labelled_runs(input_ids: list[int], labels: list[int]) -> list[list[int]]:
    """Maximal runs of consecutive labelled tokens."""
    runs: list[list[int]] = []
    previous = IGNORE_INDEX
    for token, label in zip(input_ids, labels, strict=True):
        if label != IGNORE_INDEX:
            assert label == token, "a label must be its own input token"
            if previous == IGNORE_INDEX:
                runs.append([])
            runs[-1].append(token)
        previous = label
    return runs


def assistant_texts(messages: list[dict[str, str]]) -> list[str]:
    return [m["content"] for m in messages if m["role"] == "assistant"]


def tool_conversation(model_data: Path) -> list[dict[str, str]]:
    return load_conversations(model_data / "train.jsonl")[0]


def test_labels_cover_exactly_assistant_turns_and_im_end(
    smollm2_tokenizer: Any, model_data: Path
) -> None:
    messages = tool_conversation(model_data)
    example = tokenize_conversation(smollm2_tokenizer, messages, max_length=4096)
    assert example is not None
    runs = labelled_runs(example.input_ids, example.labels)
    decoded = [smollm2_tokenizer.decode(run) for run in runs]
    assert decoded == [text + "<|im_end|>" for text in assistant_texts(messages)]
    # Both the tool call turn and the answer are learned; each run ends on the EOS id itself.
    assert len(runs) == 2
    assert all(run[-1] == smollm2_tokenizer.eos_token_id for run in runs)
    # Everything else (system, user, tool responses, the "assistant\n" headers, the newline
    # after <|im_end|>) is masked.
    unlabelled = sum(1 for label in example.labels if label == IGNORE_INDEX)
    assert unlabelled == len(example.input_ids) - sum(len(run) for run in runs)
    assert (
        example.input_ids
        == smollm2_tokenizer.apply_chat_template(messages, tokenize=True, return_dict=True)[
            "input_ids"
        ]
    )


def test_every_fixture_conversation_masks_exactly(smollm2_tokenizer: Any, model_data: Path) -> None:
    for split in ("train.jsonl", "val.jsonl"):
        for messages in load_conversations(model_data / split):
            example = tokenize_conversation(smollm2_tokenizer, messages, max_length=4096)
            assert example is not None
            runs = labelled_runs(example.input_ids, example.labels)
            assert [smollm2_tokenizer.decode(r) for r in runs] == [
                text + "<|im_end|>" for text in assistant_texts(messages)
            ]


def test_mask_follows_any_template(smollm2_tokenizer: Any, model_data: Path) -> None:
    tokenizer = copy.deepcopy(smollm2_tokenizer)
    tokenizer.chat_template = GEMMA_LIKE
    messages = tool_conversation(model_data)
    example = tokenize_conversation(tokenizer, messages, max_length=4096)
    assert example is not None
    decoded = [tokenizer.decode(r) for r in labelled_runs(example.input_ids, example.labels)]
    assert decoded == [text + "<end_of_turn>" for text in assistant_texts(messages)]


def test_spans_are_character_exact(smollm2_tokenizer: Any, model_data: Path) -> None:
    messages = tool_conversation(model_data)
    text, spans = assistant_char_spans(smollm2_tokenizer, messages)
    assert [text[start:end] for start, end in spans] == [
        content + "<|im_end|>" for content in assistant_texts(messages)
    ]


class PrefixBreakingTokenizer:
    """A template that renders earlier turns differently once a later turn exists."""

    def apply_chat_template(
        self, messages: list[dict[str, str]], tokenize: bool, add_generation_prompt: bool
    ) -> str:
        marker = f"[{len(messages)} messages]"
        body = "".join(f"<{m['role']}>{m['content']}" for m in messages)
        return marker + body + ("<assistant>" if add_generation_prompt else "")


def test_non_prefix_preserving_template_is_refused() -> None:
    messages = [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]
    with pytest.raises(ValueError, match="not prefix-preserving at message 1"):
        assistant_char_spans(PrefixBreakingTokenizer(), messages)


def test_an_over_long_conversation_is_refused_never_cut(
    smollm2_tokenizer: Any, model_data: Path
) -> None:
    messages = tool_conversation(model_data)
    whole = tokenize_conversation(smollm2_tokenizer, messages, max_length=4096)
    assert whole is not None
    fits = tokenize_conversation(smollm2_tokenizer, messages, max_length=len(whole.input_ids))
    assert fits == whole
    with pytest.raises(ValueError, match=r"exceed max_length"):
        tokenize_conversation(smollm2_tokenizer, messages, max_length=len(whole.input_ids) - 1)


def test_build_dataset_skips_over_long_examples(
    smollm2_tokenizer: Any, model_data: Path, tmp_path: Path
) -> None:
    lengths = [
        len(tokenize_conversation(smollm2_tokenizer, m, 4096).input_ids)
        for m in load_conversations(model_data / "train.jsonl")
    ]
    limit = sorted(lengths)[len(lengths) // 2]
    dataset = build_dataset(smollm2_tokenizer, model_data / "train.jsonl", max_length=limit)
    assert len(dataset) == sum(n <= limit for n in lengths)
    assert max(len(ids) for ids in dataset["input_ids"]) <= limit


def test_build_dataset_feeds_trl_collator_unchanged(
    smollm2_tokenizer: Any, model_data: Path, tmp_path: Path
) -> None:
    trl = pytest.importorskip("trl")
    dataset = build_dataset(smollm2_tokenizer, model_data / "train.jsonl", max_length=4096)
    assert dataset.column_names == ["input_ids", "labels"]
    assert len(dataset) == 12
    collator = trl.trainer.sft_trainer.DataCollatorForLanguageModeling(
        pad_token_id=smollm2_tokenizer.pad_token_id
    )
    rows = [dataset[0], dataset[7]]
    batch = collator(rows)
    for i, row in enumerate(rows):
        n = len(row["input_ids"])
        assert batch["labels"][i, :n].tolist() == row["labels"]
        assert (batch["labels"][i, n:] == IGNORE_INDEX).all()


def test_build_dataset_names_the_bad_line(smollm2_tokenizer: Any, tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"messages": []}) + "\n" + "{not json\n")
    with pytest.raises(ValueError, match=r"bad.jsonl:2"):
        build_dataset(smollm2_tokenizer, path, max_length=128)
