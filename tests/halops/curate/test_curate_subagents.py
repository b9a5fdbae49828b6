"""subagents: the Task prompt as request, the subagent transcript as the work."""

from __future__ import annotations

import json

from halops.curate import subagents
from halops.curate.common import Session
from halops.curate.config import AgentToolsConfig, CurateConfig
from halops.rows import build_rows, records

# These tests pin the strategies' structure on transcript tool names; the mapping to the
# agent's tools has its own tests (test_curate_agent_tools.py).
RAW_TOOLS = AgentToolsConfig(False, frozenset(), False, False)

CFG = CurateConfig(agent_tools=RAW_TOOLS, system_prompt="SYS", chars_per_token=1)
TASK = {
    "id": "task1",
    "name": "Task",
    "input": {"description": "check disks", "prompt": "Check SMART on nas01", "subagent_type": "x"},
}
SMART = {"id": "t9", "name": "Bash", "input": {"command": "smartctl -a /dev/sda"}}


def sub(agent_id: str, spawn: str | None, *items: dict) -> list[dict]:
    return [item | {"agent_id": agent_id, "spawn_tool_use_id": spawn} for item in items]


MAIN = [
    {"kind": "user_prompt", "text": "are the disks ok?"},
    {"kind": "assistant", "tool_calls": [TASK]},
    {"kind": "tool_result", "tool_use_id": "task1", "tool_name": "Task", "text": "All healthy."},
    {"kind": "assistant", "text": "Disks are fine."},
]
AGENT = sub(
    "a1",
    "task1",
    {"kind": "meta", "text": "<system-reminder>noise</system-reminder>"},
    {"kind": "user_prompt", "text": "Check SMART on nas01 (as the agent saw it)"},
    {"kind": "assistant", "tool_calls": [SMART]},
    {"kind": "tool_result", "tool_use_id": "t9", "tool_name": "Bash", "text": "PASSED"},
    {"kind": "assistant", "text": "All healthy."},
)


def examples(rows: list[dict]) -> list[dict]:
    return subagents.build_examples(Session("s1", "p1", "A", records(build_rows(rows))), CFG)


def test_subagent_is_attached_to_its_task_prompt() -> None:
    (example,) = examples([*MAIN, *AGENT])
    arguments = json.dumps(SMART["input"])
    assert json.loads(example["messages"]) == [
        {"role": "system", "content": "SYS"},
        {"role": "user", "content": "Check SMART on nas01"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "t9",
                    "type": "function",
                    "function": {"name": "Bash", "arguments": arguments},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "t9", "name": "Bash", "content": "PASSED"},
        {"role": "assistant", "content": "All healthy."},
    ]
    assert (example["agent_id"], example["seq_start"], example["seq_end"]) == ("a1", 4, 8)
    assert example["strategy"] == "subagents"


def test_unknown_spawn_falls_back_to_the_agents_own_prompt() -> None:
    orphan = [row | {"spawn_tool_use_id": None} for row in AGENT]
    (example,) = examples(orphan)  # an orphan agent file extracted as its own session
    user = json.loads(example["messages"])[1]
    assert user == {"role": "user", "content": "Check SMART on nas01 (as the agent saw it)"}


def test_compaction_agents_and_warmups_are_skipped() -> None:
    compactor = sub(
        "acompact-e1f845",
        None,
        {"kind": "user_prompt", "text": "Summarise the conversation"},
        {"kind": "assistant", "text": "<summary>...</summary>"},
    )
    warmup = sub(
        "a2",
        None,
        {"kind": "user_prompt", "text": "Warmup"},
        {"kind": "assistant", "text": "Ready"},
    )
    assert [e["agent_id"] for e in examples([*MAIN, *compactor, *warmup, *AGENT])] == ["a1"]


def test_subagent_without_work_gives_nothing() -> None:
    assert examples([*MAIN, *AGENT[:2]]) == []


def test_main_conversation_alone_gives_nothing() -> None:
    assert examples(MAIN) == []
