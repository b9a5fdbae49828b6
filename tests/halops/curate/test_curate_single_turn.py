"""single_turn: one example per real request, ids, and the shared example invariants."""

from __future__ import annotations

import json

from halops.curate import single_turn
from halops.curate.common import Session, example_id, split_turns
from halops.curate.config import AgentToolsConfig, CurateConfig
from halops.rows import build_rows, records

# These tests pin the strategies' structure on transcript tool names; the mapping to the
# agent's tools has its own tests (test_curate_agent_tools.py).
RAW_TOOLS = AgentToolsConfig(False, frozenset(), False, False)

CFG = CurateConfig(
    agent_tools=RAW_TOOLS, system_prompt="SYS", chars_per_token=1, max_tool_result_chars=0
)
BASH = {"id": "t1", "name": "Bash", "input": {"command": "uptime"}}
ARGS = json.dumps({"command": "uptime"})
SESSION_ROWS = [
    {"kind": "assistant", "text": "left over from a resumed session"},  # lead: no request
    {"kind": "user_prompt", "text": "uptime?"},
    {"kind": "assistant", "text": "", "tool_calls": [BASH]},
    {"kind": "tool_result", "tool_use_id": "t1", "tool_name": "Bash", "text": "up 3 days"},
    {"kind": "compact_boundary", "text": "Conversation compacted"},
    {"kind": "compact_summary", "text": "This session is being continued..."},
    {"kind": "assistant", "text": "Up 3 days."},
    {"kind": "command", "text": "<command-name>/review</command-name>"},
    {"kind": "meta", "text": "expanded command prompt"},
    {"kind": "assistant", "text": "reviewing"},  # answers a command: no example
    {"kind": "user_prompt", "text": "thanks"},
    {"kind": "interrupt", "text": "[Request interrupted by user]"},  # never answered
    {"kind": "user_prompt", "text": "bye"},
    {"kind": "assistant", "text": "Bye!", "agent_id": "a1"},  # a subagent's row, not main
    {"kind": "assistant", "text": "Bye."},
]


def session(tier: str = "A") -> Session:
    return Session("s1", "p1", tier, records(build_rows(SESSION_ROWS)))


def test_one_example_per_answered_request() -> None:
    examples = single_turn.build_examples(session(), CFG)
    assert [json.loads(e["messages"]) for e in examples] == [
        [
            {"role": "system", "content": "SYS"},
            {"role": "user", "content": "uptime?"},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    {
                        "id": "t1",
                        "type": "function",
                        "function": {"name": "Bash", "arguments": ARGS},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "t1", "name": "Bash", "content": "up 3 days"},
            {"role": "assistant", "content": "Up 3 days."},
        ],
        [
            {"role": "system", "content": "SYS"},
            {"role": "user", "content": "bye"},
            {"role": "assistant", "content": "Bye."},
        ],
    ]
    first, second = examples
    assert (first["seq_start"], first["seq_end"], first["n_messages"]) == (1, 6, 5)
    assert (second["seq_start"], second["seq_end"]) == (12, 14)
    assert first["source"] == "p1/s1.jsonl:2"
    assert first["approx_tokens"] == len("SYSuptime?Bash" + ARGS + "up 3 daysUp 3 days.")
    assert (first["strategy"], first["session_id"], first["project"], first["tier"]) == (
        "single_turn",
        "s1",
        "p1",
        "A",
    )


def test_example_ids_are_stable_and_distinct() -> None:
    ids = [e["example_id"] for e in single_turn.build_examples(session(), CFG)]
    assert ids == [e["example_id"] for e in single_turn.build_examples(session("B"), CFG)]
    assert ids[0] == example_id("single_turn", "s1", "p1/s1.jsonl:2", "p1/s1.jsonl:7")
    assert len(set(ids)) == 2 and all(len(i) == 16 for i in ids)
    assert example_id("multi_turn", "s1", "p1/s1.jsonl:2", "p1/s1.jsonl:7") != ids[0]


def test_split_turns_marks_lead_and_actions() -> None:
    turns = split_turns(records(build_rows(SESSION_ROWS)))
    assert [(t.kind, len(t.rows)) for t in turns] == [
        ("lead", 1),
        ("user_prompt", 6),
        ("command", 3),
        ("user_prompt", 2),
        ("user_prompt", 3),
    ]


def test_meta_only_session_gives_nothing() -> None:
    rows = records(build_rows([{"kind": "meta", "text": "x"}, {"kind": "system", "text": "y"}]))
    assert single_turn.build_examples(Session("s", "p", "A", rows), CFG) == []
