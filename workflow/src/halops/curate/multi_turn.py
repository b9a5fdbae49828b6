"""multi_turn: whole conversations, windowed to a token budget and split at compaction.

A compaction boundary ends a segment: after it the model saw a summary instead of the history,
so a window never spans one. Inside a segment, whole turns (a request and its work, see
single_turn) are packed greedily into windows of at most `multi_turn.max_tokens` estimated
tokens, system prompt included. A turn larger than the budget on its own is skipped (single_turn
still covers it); so are turns the assistant never answered. The work that continues right
after a compaction has no request of its own; with `summary_as_user` the compaction summary
becomes that segment's first user message, otherwise that work is left out.
"""

from __future__ import annotations

import logging
from typing import Any

from halops.curate.common import USER_ACTIONS, Session, Turn, make_example, split_turns
from halops.curate.config import CurateConfig
from halops.curate.messages import (
    Message,
    has_assistant,
    message_chars,
    rows_to_messages,
    user_message,
)
from halops.rows import Row, text_of

STRATEGY = "multi_turn"
log = logging.getLogger(__name__)

Piece = tuple[Turn, list[Message]]


def build_examples(session: Session, cfg: CurateConfig) -> list[dict[str, Any]]:
    """Windows of whole turns, per compaction segment of the main conversation."""
    examples = []
    for segment in split_segments(session.main()):
        pieces = [piece for turn in segment if (piece := _piece(turn, cfg)) is not None]
        for window in window_pieces(pieces, cfg):
            span = [row for turn, _ in window for row in turn.rows]
            messages = [message for _, turn_messages in window for message in turn_messages]
            example = make_example(STRATEGY, session, span, messages, cfg)
            if example is not None:
                examples.append(example)
    return examples


def split_segments(rows: list[Row]) -> list[list[Turn]]:
    """Turns per compaction segment; a compact_summary row starts a turn of its own."""
    segments: list[list[Row]] = [[]]
    for row in rows:
        if row["kind"] == "compact_boundary":
            segments.append([])
            continue
        segments[-1].append(row)
    starts = USER_ACTIONS | {"compact_summary"}
    return [split_turns(segment, starts) for segment in segments if segment]


def _piece(turn: Turn, cfg: CurateConfig) -> Piece | None:
    """A turn's messages, or None when the turn holds no answered request."""
    if turn.kind == "compact_summary" and cfg.multi_turn.summary_as_user:
        summary = user_message(text_of(turn.rows[0]))
        messages = [summary, *rows_to_messages(turn.rows[1:], cfg)]
    elif turn.kind == "user_prompt":
        messages = rows_to_messages(turn.rows, cfg)
    else:
        return None
    return (turn, messages) if has_assistant(messages) else None


def window_pieces(pieces: list[Piece], cfg: CurateConfig) -> list[list[Piece]]:
    """Greedy packing of consecutive turns into windows within the token budget."""
    budget_chars = cfg.multi_turn.max_tokens * cfg.chars_per_token - len(cfg.system_prompt)
    windows: list[list[Piece]] = []
    current: list[Piece] = []
    used = 0
    for piece in pieces:
        size = sum(map(message_chars, piece[1]))
        if size > budget_chars:
            log.info("multi_turn: skipping a %d-char turn at %s", size, piece[0].rows[0]["source"])
            continue
        if current and used + size > budget_chars:
            windows.append(current)
            current, used = [], 0
        current.append(piece)
        used += size
    if current:
        windows.append(current)
    return windows
