"""Fitting examples into the training window (halops.window), with SmolLM2's own tokenizer:
nothing is ever cut inside an assistant message, and every split, trim and drop is counted."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from halops.contract.prompts import SYSTEM_PROMPT
from halops.contract.tools import agent_tools_prompt
from halops.model.data import tokenize_conversation
from halops.window import OUTCOMES, TokenCounter, WindowStats, fit_example, fit_examples

pytest.importorskip("transformers")

SYSTEM = {"role": "system", "content": f"{SYSTEM_PROMPT}\n\n{agent_tools_prompt(False)}"}


def call(i: int, host: str, command: str) -> dict[str, Any]:
    arguments = json.dumps({"host": host, "command": command})
    return {"id": f"c{i}", "type": "function", "function": {"name": "ssh", "arguments": arguments}}


def request(i: int, output_lines: int, host: str = "pve01") -> list[dict[str, Any]]:
    """One request: a tool call, its output, and the answer."""
    output = "\n".join(f"{host} line {n}: ok" for n in range(output_lines))
    return [
        {"role": "user", "content": f"request {i}: how long has {host} been up?"},
        {"role": "assistant", "content": "", "tool_calls": [call(i, host, "uptime")]},
        {"role": "tool", "tool_call_id": f"c{i}", "name": "ssh", "content": output},
        {"role": "assistant", "content": f"{host} has been up for {i} days."},
    ]


def conversation(*output_lines: int) -> list[dict[str, Any]]:
    messages = [SYSTEM]
    for i, lines in enumerate(output_lines):
        messages += request(i, lines)
    return messages


@pytest.fixture(scope="module")
def counter(smollm2_tokenizer: Any) -> TokenCounter:
    return TokenCounter(smollm2_tokenizer)


def test_a_single_turn_example_fits_512_tokens(counter: TokenCounter) -> None:
    """The issue's bound: system prompt with the tools, a request, a call with a dozen lines of
    output and the answer stay within 512 tokens."""
    example = conversation(12)
    assert counter.length(example) <= 512
    assert counter.length([SYSTEM]) <= 256


def test_counts_equal_what_training_tokenizes(counter: TokenCounter, smollm2_tokenizer) -> None:
    from halops.contract.toolcall import render_messages_for_training

    example = conversation(3, 5)
    rendered = counter.render(example)
    tokens = tokenize_conversation(smollm2_tokenizer, render_messages_for_training(example), 4096)
    assert rendered.length == counter.length(example) == len(tokens.input_ids)
    labelled = sum(label != -100 for label in tokens.labels)
    assert sum(rendered.assistant_tokens.values()) == labelled


def test_an_example_that_fits_stays_whole(counter: TokenCounter) -> None:
    example = conversation(2, 2)
    stats = WindowStats(max_tokens=1024)
    assert fit_example(example, counter, 1024, stats) == [example]
    assert stats.examples == {"fit": 1, "split": 0, "trimmed": 0, "dropped": 0}


def test_a_long_conversation_is_split_at_requests(counter: TokenCounter) -> None:
    example = conversation(8, 8, 8, 8)
    limit = counter.length(conversation(8, 8)) + 5
    stats = WindowStats(max_tokens=limit)
    pieces = fit_example(example, counter, limit, stats)
    assert pieces == [[SYSTEM, *example[1:9]], [SYSTEM, *example[9:17]]]
    assert stats.examples["split"] == 1 and stats.pieces_from_splits == 2
    assert stats.assistant_messages_dropped == 0 and stats.assistant_tokens_dropped == 0


def test_a_request_too_long_alone_keeps_its_first_call(counter: TokenCounter) -> None:
    example = conversation(200)
    limit = counter.length(example[:3]) + 3  # the call fits, its 200-line output does not
    stats = WindowStats(max_tokens=limit)
    pieces = fit_example(example, counter, limit, stats)
    assert pieces == [example[:3]]
    assert stats.examples["trimmed"] == 1 and stats.assistant_messages_dropped == 1
    assert stats.assistant_tokens_dropped == counter.render(example).assistant_tokens[4]


def test_a_request_whose_first_call_does_not_fit_is_dropped(counter: TokenCounter) -> None:
    example = conversation(2)
    limit = counter.length(example[:2]) - 1
    stats = WindowStats(max_tokens=limit)
    assert fit_example(example, counter, limit, stats) == []
    assert stats.examples["dropped"] == 1 and stats.assistant_messages_dropped == 2


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    outputs=st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=5),
    limit=st.integers(min_value=120, max_value=1200),
)
def test_no_piece_exceeds_the_window_and_no_assistant_message_is_cut(
    smollm2_tokenizer: Any, outputs: list[int], limit: int
) -> None:
    counter = TokenCounter(smollm2_tokenizer)
    example = conversation(*outputs)
    pieces, stats = fit_examples([example], smollm2_tokenizer, limit)
    originals = [m for m in example if m["role"] == "assistant"]
    kept = []
    for source, piece in pieces:
        assert source == 0 and piece[0] == SYSTEM and piece[1]["role"] == "user"
        assert piece[-1]["role"] in ("assistant", "tool")
        assert counter.length(piece) <= limit
        kept += [m for m in piece if m["role"] == "assistant"]
    # Every kept assistant message is one of the originals, unchanged, and appears once.
    assert all(any(m is o for o in originals) for m in kept)
    assert len({id(m) for m in kept}) == len(kept)
    assert stats.assistant_messages == len(originals)
    assert stats.assistant_messages_dropped == len(originals) - len(kept)
    assert stats.truncated_assistant_messages == 0
    assert sum(stats.examples.values()) == 1 and set(stats.examples) == set(OUTCOMES)
    whole = counter.render(example)
    lost = [i for i, m in enumerate(example) if m["role"] == "assistant" and m not in kept]
    assert stats.assistant_tokens_dropped == sum(whole.assistant_tokens[i] for i in lost)
