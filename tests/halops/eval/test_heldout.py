"""Next-turn tool-call accuracy on held-out transcripts."""

from __future__ import annotations

import json
from pathlib import Path

from halops.eval.heldout import heldout_turns, run_heldout
from tests.halops.eval.helpers import ScriptedModel, call


def tool_call(name: str, **arguments: object) -> dict:
    function = {"name": name, "arguments": json.dumps(arguments)}
    return {"id": "t1", "type": "function", "function": function}


EXAMPLE = {
    "messages": [
        {"role": "system", "content": "You are HAL."},
        {"role": "user", "content": "Check the pool on nas01."},
        {"role": "assistant", "content": "", "tool_calls": [
            tool_call("ssh", host="nas01", command="zpool status -x"),
            tool_call("ssh", host="nas01", command="zfs list"),
        ]},
        {"role": "tool", "tool_call_id": "t1", "content": "all pools are healthy"},
        {"role": "tool", "tool_call_id": "t2", "content": "tank 1T"},
        {"role": "assistant", "content": "", "tool_calls": [
            tool_call("http", url="http://mon01:9093/api/v2/alerts"),
        ]},
        {"role": "tool", "tool_call_id": "t3", "content": "[]"},
        {"role": "assistant", "content": "Healthy, no alerts."},
    ],
    "metadata": {"example_id": "ex1"},
}  # fmt: skip


def write_split(path: Path) -> Path:
    path.write_text(json.dumps(EXAMPLE) + "\n\n", encoding="utf-8")
    return path


def test_one_turn_per_assistant_message_with_calls(tmp_path: Path) -> None:
    turns = heldout_turns(write_split(tmp_path / "test.jsonl"))
    assert [(t.example_id, t.turn, t.reference.name) for t in turns] == [
        ("ex1", 2, "ssh"),
        ("ex1", 5, "http"),
    ]
    # The context is what training rendered: tools added to the system message, tool results
    # as one user message of <tool_response> blocks, and nothing from the scored turn on.
    first, second = turns
    assert [m["role"] for m in first.context] == ["system", "user"]
    assert "<tools>" in first.context[0]["content"]
    assert [m["role"] for m in second.context] == ["system", "user", "assistant", "user"]
    assert second.context[-1]["content"].count("<tool_response>") == 2
    assert heldout_turns(tmp_path / "absent.jsonl") == []
    assert len(heldout_turns(tmp_path / "test.jsonl", max_turns=1)) == 1


def test_first_parsed_call_is_matched_against_the_first_reference(tmp_path: Path) -> None:
    turns = heldout_turns(write_split(tmp_path / "test.jsonl"))
    model = ScriptedModel(
        call("ssh", host="NAS01", command="zpool status -x") + call("ssh", host="x", command="y"),
        "I think everything is fine.",
    )
    rows = run_heldout(model, turns, {"config": "fake", "model": "fake", "retrieval": False})
    assert [(r["case_id"], r["outcome"], r["reason"]) for r in rows] == [
        ("ex1#2", "pass", "matches ssh"),
        ("ex1#5", "fail", "no tool call in the reply"),
    ]
    assert rows[0]["suite"] == "heldout" and rows[0]["score"] == 1.0
    assert rows[0]["config"] == "fake" and rows[0]["unreadable"] == 0


def test_an_unreadable_call_is_counted_and_fails_the_turn(tmp_path: Path) -> None:
    turns = heldout_turns(write_split(tmp_path / "test.jsonl"))[:1]
    model = ScriptedModel('<tool_call>\n{"name": "ssh", "arguments": {"host": \n</tool_call>')
    [row] = run_heldout(model, turns, {"config": "fake"})
    assert (row["outcome"], row["reason"], row["unreadable"]) == (
        "fail",
        "unreadable tool call",
        1,
    )


def test_wrong_argument_is_a_failed_turn(tmp_path: Path) -> None:
    turns = heldout_turns(write_split(tmp_path / "test.jsonl"))[:1]
    model = ScriptedModel(call("ssh", host="nas01", command="zpool list"))
    [row] = run_heldout(model, turns, {"model": "fake", "retrieval": False})
    assert row["reason"] == ("value_error: command='zpool list' is not one of ['zpool status -x']")


class Cut:
    """A model whose reply hit its token budget inside a call."""

    def complete(self, messages):
        from bot.agent.model import ModelReply

        return ModelReply('<tool_call>\n{"name": "ssh", "arguments": {"ho', finish_reason="length")


def test_a_call_cut_by_the_token_budget_is_counted_apart(tmp_path: Path) -> None:
    from halops.eval.heldout import unreadable_blocks

    turns = heldout_turns(write_split(tmp_path / "test.jsonl"))[:1]
    [row] = run_heldout(Cut(), turns, {"config": "fake"})
    assert (row["reason"], row["unreadable"], row["cut_calls"]) == (
        "call cut by the token budget",
        0,
        1,
    )
    from bot.agent.model import ModelReply

    # Stopped by itself inside a call: that is unreadable, not cut.
    assert unreadable_blocks(ModelReply('<tool_call>\n{"a', finish_reason="stop")) == (1, 0)


def test_a_turn_budget_spreads_over_the_whole_split(tmp_path: Path) -> None:
    from halops.eval.heldout import evenly_spaced

    path = tmp_path / "test.jsonl"
    examples = [EXAMPLE | {"metadata": {"example_id": f"ex{i}"}} for i in range(5)]
    path.write_text("".join(json.dumps(e) + "\n" for e in examples))
    picked = heldout_turns(path, max_turns=4)  # 10 turns in all
    assert [(t.example_id, t.turn) for t in picked] == [
        ("ex0", 2),
        ("ex1", 2),
        ("ex2", 5),
        ("ex3", 5),
    ]
    assert evenly_spaced(picked, None) == picked and evenly_spaced(picked, 9) == picked
    assert heldout_turns(path, max_turns=4) == picked  # the same turns every time
