"""skills: the body in the system prompt, the request as user, the guided work as answer."""

from __future__ import annotations

import json

from halops.curate import skill_system_prompt, skills
from halops.curate.common import Session
from halops.curate.config import AgentToolsConfig, CurateConfig
from halops.rows import build_rows, records

# These tests pin the strategies' structure on transcript tool names; the mapping to the
# agent's tools has its own tests (test_curate_agent_tools.py).
RAW_TOOLS = AgentToolsConfig(False, frozenset(), False, False)

CFG = CurateConfig(agent_tools=RAW_TOOLS, system_prompt="SYS", chars_per_token=1)
SKILL_CALL = {"id": "k1", "name": "Skill", "input": {"skill": "zfs-scrub"}}
BASH = {"id": "t1", "name": "Bash", "input": {"command": "zpool scrub tank"}}
BODY = "Base directory for this skill: /home/op/.claude/skills/zfs-scrub\n\n# Scrub\nRun a scrub.\n"

ROWS = [
    {"kind": "user_prompt", "text": "scrub the pool"},
    {"kind": "assistant", "text": "Using the skill.", "tool_calls": [SKILL_CALL]},
    {"kind": "tool_result", "tool_use_id": "k1", "tool_name": "Skill", "text": "Launching skill"},
    {"kind": "skill_body", "text": BODY, "source_tool_use_id": "k1"},
    {"kind": "assistant", "thinking": "follow it", "tool_calls": [BASH]},
    {"kind": "tool_result", "tool_use_id": "t1", "tool_name": "Bash", "text": "scrub started"},
    {"kind": "assistant", "text": "Scrub started."},
    {"kind": "user_prompt", "text": "next request"},
    {"kind": "assistant", "text": "not part of the skill example"},
]


def examples(rows: list[dict], cfg: CurateConfig = CFG) -> list[dict]:
    return skills.build_examples(Session("s1", "p1", "B", records(build_rows(rows))), cfg)


def test_skill_example_shape() -> None:
    (example,) = examples(
        ROWS, CurateConfig(agent_tools=RAW_TOOLS, system_prompt="SYS", include_thinking=True)
    )
    system = skill_system_prompt("SYS", [("zfs-scrub", "# Scrub\nRun a scrub.")])
    arguments = json.dumps(BASH["input"])
    assert json.loads(example["messages"]) == [
        {"role": "system", "content": system},
        {"role": "user", "content": "scrub the pool"},
        {
            "role": "assistant",
            "content": "<think>\nfollow it\n</think>\n",
            "tool_calls": [
                {
                    "id": "t1",
                    "type": "function",
                    "function": {"name": "Bash", "arguments": arguments},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "t1", "name": "Bash", "content": "scrub started"},
        {"role": "assistant", "content": "Scrub started."},
    ]
    assert (example["skill"], example["tier"], example["source"]) == (
        "zfs-scrub",
        "B",
        "p1/s1.jsonl:4",
    )
    assert (example["seq_start"], example["seq_end"]) == (3, 6)


def test_system_prompt_layout() -> None:
    assert skill_system_prompt("Base.\n", [("a", "\nbody A\n"), ("b", "body B")]) == (
        "Base.\n\n# Reference documents\n\n"
        "The following documents apply to this request. Follow their instructions where they fit "
        "the situation, and say so when they do not.\n\n"
        "## a\n\nbody A\n\n## b\n\nbody B"
    )
    assert skill_system_prompt("Base.", []) == "Base."


def test_body_without_known_call_gets_a_generic_title() -> None:
    rows = [dict(row) for row in ROWS]
    rows[3] = {"kind": "skill_body", "text": "Do it carefully.", "source_tool_use_id": None}
    (example,) = examples(rows)
    system = json.loads(example["messages"])[0]["content"]
    assert example["skill"] == "skill"
    assert system.endswith("## skill\n\nDo it carefully.")


def test_skill_from_a_slash_command_has_no_request() -> None:
    rows = [{"kind": "command", "text": "<command-name>/zfs-scrub</command-name>"}, *ROWS[3:7]]
    assert examples(rows) == []


def test_two_skills_in_one_turn_give_two_examples() -> None:
    second_call = {"id": "k2", "name": "Skill", "input": {"skill": "notify"}}
    rows = [
        *ROWS[:7],
        {"kind": "assistant", "tool_calls": [second_call]},
        {"kind": "tool_result", "tool_use_id": "k2", "tool_name": "Skill", "text": "Launching"},
        {"kind": "skill_body", "text": "Post to the channel.", "source_tool_use_id": "k2"},
        {"kind": "assistant", "text": "Posted."},
    ]
    first, second = examples(rows)
    assert (first["skill"], second["skill"]) == ("zfs-scrub", "notify")
    assert first["example_id"] != second["example_id"]
    assert [m["content"] for m in json.loads(second["messages"])[1:]] == [
        "scrub the pool",
        "Posted.",
    ]


def test_skill_with_no_work_after_it_gives_nothing() -> None:
    assert examples(ROWS[:4]) == []
