"""Replies shared from the run without the grammar to the run with it: only where llama.cpp's
grammar sampler allows the very reply greedy decoding gave without it."""

from __future__ import annotations

from typing import Any

import pytest

from bot.agent.grammar import GrammarAcceptor, tool_call_grammar
from bot.agent.model import ModelReply
from halops.contract.tools import AGENT_TOOL_SPECS
from halops.eval.runner import SharedReplies
from tests.halops.eval.helpers import call

pytest.importorskip("llama_cpp")
GRAMMAR = tool_call_grammar(AGENT_TOOL_SPECS, {"ssh": ["nas01"], "ipmi": ["bmc-pve01"]})
OPTIONS = {"seed": 0, "max_tokens": 64}
MESSAGES = [{"role": "user", "content": "Is tank healthy?"}]


class Replies:
    """A model that answers from a list, with a finish reason, and counts requests."""

    def __init__(self, *replies: tuple[str, str | None]) -> None:
        self.replies = list(replies)
        self.asked = 0

    def complete(self, messages: list[dict[str, Any]]) -> ModelReply:
        self.asked += 1
        text, finish = self.replies.pop(0)
        return ModelReply(text, finish_reason=finish)


@pytest.fixture(scope="module")
def acceptor() -> GrammarAcceptor:
    from bot.serve import embedded_base_gguf

    try:
        return GrammarAcceptor(embedded_base_gguf(), GRAMMAR)
    except FileNotFoundError as exc:
        pytest.skip(str(exc))


def pair(acceptor, free_reply, grammar_reply=("asked", "stop"), options=OPTIONS):
    shared = SharedReplies()
    free, constrained = Replies(free_reply), Replies(grammar_reply)
    shared.keep(free, OPTIONS).complete(MESSAGES)
    reply = shared.reuse(constrained, options, acceptor).complete(MESSAGES)
    return shared, constrained, reply


@pytest.mark.parametrize(
    "free_reply",
    [
        ("tank is ONLINE.", "stop"),
        (call("ssh", host="nas01", command="zpool status tank"), "stop"),
        ('Checking.\n<tool_call>\n{"name": "ssh", "arguments": {"host": "nas01", "com', "length"),
        # Reading stopped after the first call (held-out turns): the grammar allows more.
        (call("ssh", host="nas01", command="zpool status tank"), "until"),
    ],
    ids=["answer", "call", "cut by the token budget", "read until the first call"],
)
def test_a_reply_the_grammar_allows_is_shared(acceptor, free_reply) -> None:
    shared, constrained, reply = pair(acceptor, free_reply)
    assert reply.text == free_reply[0] and constrained.asked == 0
    assert (shared.shared, shared.asked) == (1, 0)


@pytest.mark.parametrize(
    "free_reply",
    [
        (call("ssh", host="nas02", command="zpool status tank"), "stop"),  # not an inventory host
        ('<tool_call>\n{"name": "ssh", "arguments": {"host": "nas01",}}\n</tool_call>', "stop"),
        ('<tool_call>\n{"name": "ssh", "arguments": {"host": "nas01"', "stop"),  # ended early
        ("tank is ONLINE.", None),  # unknown finish: no claim about what decoding did
    ],
    ids=["unknown host", "bad JSON", "stopped inside a call", "no finish reason"],
)
def test_a_reply_the_grammar_would_change_is_asked_again(acceptor, free_reply) -> None:
    shared, constrained, reply = pair(acceptor, free_reply)
    assert reply.text == "asked" and constrained.asked == 1
    assert (shared.shared, shared.asked) == (0, 1)


def test_other_settings_or_messages_are_never_shared(acceptor) -> None:
    _, constrained, reply = pair(acceptor, ("fine", "stop"), options={**OPTIONS, "seed": 1})
    assert reply.text == "asked" and constrained.asked == 1
    shared = SharedReplies()
    shared.keep(Replies(("fine", "stop")), OPTIONS).complete(MESSAGES)
    other = Replies(("asked", "stop"))
    shared.reuse(other, OPTIONS, acceptor).complete([{"role": "user", "content": "other"}])
    assert other.asked == 1
