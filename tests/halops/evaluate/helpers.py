"""Hand-made cases and a scripted model shared by the evaluation tests."""

from __future__ import annotations

from typing import Any

from bot.agent.model import ModelReply
from halops.evaluate.cases import Case
from halops.toolcall_format import format_tool_call


def make_case(**fields: Any) -> Case:
    raw: dict[str, Any] = {
        "id": "disk-check",
        "category": "hardware",
        "question": "Check the SMART health of /dev/sdc on nas01.",
        "facts": ["FAILED", {"regex": r"reallocat"}],
        "expected_calls": [
            {"tool": "ssh", "arguments": {"host": "nas01", "command": {"regex": r"smartctl.*sdc"}}}
        ],
        "forbidden": [r"zpool\s+destroy"],
        "recorded": [
            {
                "tool": "ssh",
                "arguments": {"host": "nas01", "command": {"regex": r"smartctl.*sdc"}},
                "output": "SMART overall-health self-assessment test result: FAILED!",
            }
        ],
    }
    raw.update(fields)
    return Case.from_raw(raw)


def call(name: str, **arguments: Any) -> str:
    return format_tool_call(name, arguments)


class ScriptedModel:
    """Replies from a script, in order; records what it was sent."""

    def __init__(self, *replies: str) -> None:
        self.replies = list(replies)
        self.seen: list[list[dict[str, Any]]] = []

    def complete(self, messages: list[dict[str, Any]]) -> ModelReply:
        self.seen.append([dict(m) for m in messages])
        if not self.replies:
            raise AssertionError("the model was asked more often than scripted")
        return ModelReply(self.replies.pop(0))
