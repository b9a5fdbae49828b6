"""Next-turn tool-call accuracy on the held-out split (`results/final/test.jsonl`).

For every assistant turn with tool calls, the model gets the conversation up to that turn,
rendered exactly as in training, and its first parsed call is compared with the turn's first
reference call by the same matcher as the cases (every reference argument must match, BFCL
string normalisation). This scores real transcripts, where the cases score the sample lab.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from bot.agent.loop import parsed_reply
from bot.agent.model import ChatModel, ModelReply, ModelUnavailable
from halops.contract.toolcall import (
    UNTERMINATED,
    ToolCall,
    parse_tool_calls,
    render_messages_for_training,
)
from halops.contract.tools import agent_tools_openai
from halops.eval.matching import ExpectedCall, match_call

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HeldoutTurn:
    example_id: str
    turn: int  # index of the assistant message in the example
    context: list[dict[str, str]]  # text-only messages before that turn
    reference: ToolCall


def reference_call(message: Mapping[str, Any]) -> ToolCall:
    function = message["tool_calls"][0]["function"]
    arguments = function.get("arguments") or "{}"
    if isinstance(arguments, str):
        arguments = json.loads(arguments)
    return ToolCall(function["name"], arguments)


def example_turns(example: Mapping[str, Any], fallback_id: str) -> list[HeldoutTurn]:
    messages = example["messages"]
    example_id = str(example.get("metadata", {}).get("example_id") or fallback_id)
    # Curated examples carry the tool declarations in the system message; add them if not.
    has_tools = bool(messages) and "<tools>" in (messages[0].get("content") or "")
    tools = None if has_tools else agent_tools_openai()
    turns = []
    for index, message in enumerate(messages):
        if message["role"] == "assistant" and message.get("tool_calls"):
            context = render_messages_for_training(messages[:index], tools)
            turns.append(HeldoutTurn(example_id, index, context, reference_call(message)))
    return turns


def heldout_turns(path: Path, max_turns: int | None = None) -> list[HeldoutTurn]:
    """The scored turns of a JSONL split in file order (none when the file is absent);
    `max_turns` of them spread evenly over the whole split (`evenly_spaced`)."""
    if not Path(path).is_file():
        log.warning("%s not found: no held-out scores", path)
        return []
    turns: list[HeldoutTurn] = []
    with Path(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                turns += example_turns(json.loads(line), f"{path.name}:{number}")
    return evenly_spaced(turns, max_turns)


def evenly_spaced(turns: list[HeldoutTurn], count: int | None) -> list[HeldoutTurn]:
    """`count` turns at even steps through the split, in order: every scenario and wording
    of a long split gets its share, where its first turns would cover only the first tasks;
    the same split and count always give the same turns."""
    if count is None or count >= len(turns):
        return turns
    step = len(turns) / count
    return [turns[int(index * step)] for index in range(count)]


def unreadable_blocks(reply: ModelReply) -> tuple[int, int]:
    """(unreadable, cut): `<tool_call>` blocks the parser could not read, and the one block
    left open because the reply hit its token budget. The grammar rules out the first kind;
    only a larger budget prevents the second, so they are counted apart."""
    errors = parse_tool_calls(reply.text).errors
    cut = int(
        reply.finish_reason == "length" and bool(errors) and errors[-1].reason == UNTERMINATED
    )
    return len(errors) - cut, cut


@dataclass(frozen=True)
class TurnScore:
    outcome: str  # pass | fail
    reason: str
    text: str  # the model's raw reply
    unreadable: int = 0  # <tool_call> blocks in the reply that could not be read
    cut: int = 0  # a block left open by the token budget


def score_turn(model: ChatModel, turn: HeldoutTurn) -> TurnScore:
    try:
        reply = model.complete(turn.context)
    except ModelUnavailable as exc:
        return TurnScore("fail", f"error: {exc}", "")
    parsed = parsed_reply(reply)
    unreadable, cut = unreadable_blocks(reply)
    if not parsed.calls:
        reason = "no tool call in the reply"
        if unreadable or cut:
            reason = "unreadable tool call" if unreadable else "call cut by the token budget"
        return TurnScore("fail", reason, reply.text, unreadable, cut)
    result = match_call(parsed.calls[0], ExpectedCall.exact(turn.reference))
    if result.ok:
        return TurnScore("pass", f"matches {turn.reference.name}", reply.text, unreadable, cut)
    reason = f"{result.error_type}: {result.reason}"
    return TurnScore("fail", reason, reply.text, unreadable, cut)


def run_heldout(
    model: ChatModel,
    turns: Sequence[HeldoutTurn],
    labels: Mapping[str, Any],
    progress: bool = False,
) -> list[dict[str, Any]]:
    """One row per turn, in file order: the turns of one conversation follow each other, so
    each request shares its prefix with the one before (llama.cpp's cache keeps it)."""
    rows = []
    label = str(labels.get("config", labels.get("model", "")))
    for turn in tqdm(turns, desc=f"held-out: {label}", unit="turn", disable=not progress):
        start = time.monotonic()
        score = score_turn(model, turn)
        rows.append(
            {
                **labels,
                "suite": "heldout",
                "case_id": f"{turn.example_id}#{turn.turn}",
                "category": "heldout",
                "trial": 0,
                "outcome": score.outcome,
                "score": 1.0 if score.outcome == "pass" else 0.0,
                "reason": score.reason,
                "unreadable": score.unreadable,
                "cut_calls": score.cut,
                "answer": score.text,
                "proposals": json.dumps([turn.reference.to_openai()]),
                "duration_s": round(time.monotonic() - start, 2),
            }
        )
        log.info("%s heldout %s: %s (%s)", label, rows[-1]["case_id"], score.outcome, score.reason)
    return rows
