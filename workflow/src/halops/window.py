"""Fit examples into the training window, counted with the model's own tokenizer.

Training cuts nothing: an example longer than the window (the train profile's `max_length`) is
split or shortened here, at message boundaries only, and every case is counted for the data card.

1. An example that fits stays whole.
2. A longer one is split at its user requests: each piece is the system prompt plus as many whole
   consecutive requests (each with all its work) as fit, so a piece is what the agent would see
   in a conversation that started there.
3. A single request that does not fit even alone keeps its longest prefix that ends with an
   assistant message (a tool call or an answer) and fits; the assistant messages after it are
   dropped. A request whose first assistant message does not fit is dropped whole.

So no assistant message is ever cut inside: each one is trained on completely or not at all, and
the card says how many assistant messages and tokens were dropped. Tokens are those of the
rendered chat template (`halops.contract.toolcall` text, then the tokenizer's template), which
is exactly what the train rule tokenizes.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from itertools import pairwise
from typing import Any

from halops.contract.toolcall import render_messages_for_training
from halops.model.template import assistant_char_spans

Message = dict[str, Any]
OUTCOMES = ("fit", "split", "trimmed", "dropped")


@dataclass
class WindowStats:
    """What fitting did, over all examples; `truncated_assistant_messages` is 0 by design."""

    max_tokens: int = 0
    examples: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    pieces_from_splits: int = 0
    assistant_messages: int = 0
    assistant_messages_dropped: int = 0
    assistant_tokens: int = 0
    assistant_tokens_dropped: int = 0
    truncated_assistant_messages: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Rendered:
    """One conversation as the model sees it: its token count and, per assistant message (by
    index into the OpenAI messages), its own token count and the tokens up to its end."""

    length: int
    assistant_tokens: dict[int, int]
    assistant_ends: dict[int, int]


class TokenCounter:
    """Token counts of OpenAI-format conversations under a tokenizer's chat template: a
    transformers tokenizer, or `halops.model.chat_tokenizer.ChatTokenizer` (the same counts,
    without importing transformers, memoised by segment)."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer

    def token_starts(self, text: str) -> list[int]:
        """Start offset of every token of the rendered `text` (no special tokens added)."""
        if hasattr(self.tokenizer, "token_starts"):
            return self.tokenizer.token_starts(text)
        encoded = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        return [start for start, _end in encoded["offset_mapping"]]

    def render(self, messages: Sequence[Message]) -> Rendered:
        text_messages = render_messages_for_training(list(messages))
        text, spans = assistant_char_spans(self.tokenizer, text_messages)
        starts = self.token_starts(text)
        ordered = all(a <= b for a, b in pairwise(starts))
        assistant = [i for i, m in enumerate(messages) if m["role"] == "assistant"]
        tokens, ends = {}, {}
        for index, (span_start, span_end) in zip(assistant, spans, strict=True):
            if ordered:  # starts only grow: the tokens inside are one run, found by bisection
                first, stop = bisect_left(starts, span_start), bisect_left(starts, span_end)
                tokens[index], ends[index] = stop - first, (stop if stop > first else 0)
                continue
            inside = [p for p, s in enumerate(starts) if span_start <= s < span_end]
            tokens[index] = len(inside)
            ends[index] = (inside[-1] + 1) if inside else 0
        return Rendered(len(starts), tokens, ends)

    def length(self, messages: Sequence[Message]) -> int:
        text = render_messages_for_training(list(messages))
        rendered = self.tokenizer.apply_chat_template(text, tokenize=False)
        if hasattr(self.tokenizer, "token_count"):
            return self.tokenizer.token_count(rendered)
        return len(self.token_starts(rendered))


def head_of(messages: Sequence[Message]) -> list[int]:
    """The system prompt's index, which every piece repeats (none without a system prompt)."""
    return [0] if messages and messages[0]["role"] == "system" else []


def request_turns(messages: Sequence[Message]) -> list[list[int]]:
    """Indices of the messages after the system prompt, grouped by user request."""
    turns: list[list[int]] = []
    for index in range(len(head_of(messages)), len(messages)):
        if messages[index]["role"] == "user" or not turns:
            turns.append([])
        turns[-1].append(index)
    return turns


def fit_example(
    messages: Sequence[Message], counter: TokenCounter, max_tokens: int, stats: WindowStats
) -> list[list[Message]]:
    """The pieces of one example that fit `max_tokens` (see the module docstring); `stats`
    is updated with the outcome and the assistant messages and tokens kept or dropped."""
    whole = counter.render(messages)
    stats.assistant_messages += len(whole.assistant_tokens)
    stats.assistant_tokens += sum(whole.assistant_tokens.values())
    if whole.length <= max_tokens:
        stats.examples["fit"] += 1
        return [list(messages)]
    pieces = _pieces(messages, counter, max_tokens)
    kept = {index for piece in pieces for index in piece if messages[index]["role"] == "assistant"}
    lost = [i for i in whole.assistant_tokens if i not in kept]
    stats.assistant_messages_dropped += len(lost)
    stats.assistant_tokens_dropped += sum(whole.assistant_tokens[i] for i in lost)
    outcome = "dropped" if not pieces else "trimmed" if lost else "split"
    stats.examples[outcome] += 1
    if outcome == "split":
        stats.pieces_from_splits += len(pieces)
    return [[messages[i] for i in piece] for piece in pieces]


def _pieces(messages: Sequence[Message], counter: TokenCounter, max_tokens: int) -> list[list[int]]:
    """Greedy packing of whole requests into pieces (as message indices, system first)."""
    head = head_of(messages)

    def fits(indices: list[int]) -> bool:
        return counter.length([messages[i] for i in indices]) <= max_tokens

    pieces: list[list[int]] = []
    current: list[int] = []
    for turn in request_turns(messages):
        if current and fits([*head, *current, *turn]):
            current += turn
            continue
        if current:
            pieces.append([*head, *current])
            current = []
        if fits([*head, *turn]):
            current = turn
            continue
        trimmed = _longest_assistant_prefix(messages, [*head, *turn], counter, max_tokens)
        if trimmed:
            pieces.append(trimmed)
    if current:
        pieces.append([*head, *current])
    return pieces


def _longest_assistant_prefix(
    messages: Sequence[Message], indices: list[int], counter: TokenCounter, max_tokens: int
) -> list[int]:
    """The longest prefix of `indices` that ends with an assistant message and fits the
    window (measured as rendered, so the template's own tail is counted too)."""
    ends = [i + 1 for i, index in enumerate(indices) if messages[index]["role"] == "assistant"]
    for end in reversed(ends):
        if counter.length([messages[i] for i in indices[:end]]) <= max_tokens:
            return indices[:end]
    return []


def fit_examples(
    examples: Sequence[Sequence[Message]], tokenizer: Any, max_tokens: int
) -> tuple[list[tuple[int, list[Message]]], WindowStats]:
    """(source example index, piece) for every piece that fits, and the accounting."""
    counter = TokenCounter(tokenizer)
    stats = WindowStats(max_tokens=max_tokens)
    out = []
    for source, messages in enumerate(examples):
        out += [(source, piece) for piece in fit_example(messages, counter, max_tokens, stats)]
    return out, stats


def token_lengths(examples: Sequence[Sequence[Message]], tokenizer: Any) -> list[int]:
    """Rendered length of each example in the model's tokens (for the card's statistics)."""
    counter = TokenCounter(tokenizer)
    return [counter.length(messages) for messages in examples]
