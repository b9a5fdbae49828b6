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

from bot.agent.loop import parsed_reply
from bot.agent.model import ChatModel, ModelUnavailable
from halops.contract.toolcall import ToolCall, render_messages_for_training
from halops.contract.tools import agent_tools_openai
from halops.evaluate.matching import ExpectedCall, match_call

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
    """The scored turns of a JSONL split, in file order (none when the file is absent)."""
    if not Path(path).is_file():
        log.warning("%s not found: no held-out scores", path)
        return []
    turns: list[HeldoutTurn] = []
    with Path(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                turns += example_turns(json.loads(line), f"{path.name}:{number}")
    return turns[:max_turns] if max_turns is not None else turns


def score_turn(model: ChatModel, turn: HeldoutTurn) -> tuple[str, str, str]:
    """(outcome pass|fail, reason, the model's raw reply)."""
    try:
        reply = model.complete(turn.context)
    except ModelUnavailable as exc:
        return "fail", f"error: {exc}", ""
    parsed = parsed_reply(reply)
    if not parsed.calls:
        return "fail", "no tool call in the reply", reply.text
    result = match_call(parsed.calls[0], ExpectedCall.exact(turn.reference))
    if result.ok:
        return "pass", f"matches {turn.reference.name}", reply.text
    return "fail", f"{result.error_type}: {result.reason}", reply.text


def run_heldout(
    model: ChatModel, turns: Sequence[HeldoutTurn], labels: Mapping[str, Any]
) -> list[dict[str, Any]]:
    rows = []
    for turn in turns:
        start = time.monotonic()
        outcome, reason, text = score_turn(model, turn)
        rows.append(
            {
                **labels,
                "suite": "heldout",
                "case_id": f"{turn.example_id}#{turn.turn}",
                "category": "heldout",
                "trial": 0,
                "outcome": outcome,
                "score": 1.0 if outcome == "pass" else 0.0,
                "reason": reason,
                "answer": text,
                "proposals": json.dumps([turn.reference.to_openai()]),
                "duration_s": round(time.monotonic() - start, 2),
            }
        )
        log.info("%s heldout %s: %s (%s)", labels, rows[-1]["case_id"], outcome, reason)
    return rows
