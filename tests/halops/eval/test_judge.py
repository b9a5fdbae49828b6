"""The optional judge: off by default, YES/NO parsing, errors count as "no"."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from halops.eval.judge import OpenAIFactJudge, judge_from_config


class FakeCompletions:
    def __init__(self, reply: str | Exception) -> None:
        self.reply, self.calls = reply, []

    def create(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        if isinstance(self.reply, Exception):
            raise self.reply
        message = SimpleNamespace(content=self.reply)
        return SimpleNamespace(choices=[SimpleNamespace(message=message)])


def judge(reply: str | Exception) -> tuple[OpenAIFactJudge, FakeCompletions]:
    completions = FakeCompletions(reply)
    client = SimpleNamespace(chat=SimpleNamespace(completions=completions))
    return OpenAIFactJudge(client, "grader"), completions


def test_off_unless_a_base_url_is_configured() -> None:
    assert judge_from_config({"base_url": None, "model": "j", "timeout_s": 5}) is None
    assert judge_from_config({}) is None


def test_yes_holds_no_and_errors_do_not() -> None:
    yes, completions = judge(" yes.")
    assert yes.holds("Is tank ok?", "The pool is degraded.", "tank is degraded")
    sent = completions.calls[0]
    assert (sent["model"], sent["temperature"], sent["max_tokens"]) == ("grader", 0.0, 3)
    assert "Fact: tank is degraded" in sent["messages"][1]["content"]
    assert not judge("NO")[0].holds("q", "a", "f")
    assert not judge(RuntimeError("connection refused"))[0].holds("q", "a", "f")
