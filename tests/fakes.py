"""Precise fakes shared by the agent, tool and evaluation tests."""

from __future__ import annotations

from typing import Any

from bot.agent.model import ModelReply
from halops.contract.toolcall import format_tool_call


class ScriptedModel:
    """Replies from a script, in order; records the messages of every call."""

    def __init__(self, *replies: str) -> None:
        self.replies = list(replies)
        self.seen: list[list[dict[str, Any]]] = []

    def complete(self, messages: list[dict[str, Any]]) -> ModelReply:
        self.seen.append([dict(m) for m in messages])
        if not self.replies:
            raise AssertionError("the model was asked more often than scripted")
        return ModelReply(self.replies.pop(0))


def call(name: str, **arguments: Any) -> str:
    """One tool call as the model writes it."""
    return format_tool_call(name, arguments)
