"""Rows -> OpenAI messages: noise, thinking, truncation, interrupts and tool-call pairing."""

from __future__ import annotations

import json

import pytest

from halops.curate.config import AgentToolsConfig, CurateConfig
from halops.curate.messages import (
    assistant_content,
    estimate_tokens,
    rows_to_messages,
    truncate_middle,
)
from halops.rows import build_rows, records

# These tests pin the strategies' structure on transcript tool names; the mapping to the
# agent's tools has its own tests (test_curate_agent_tools.py).
RAW_TOOLS = AgentToolsConfig(False, frozenset(), False, False)

CFG = CurateConfig(agent_tools=RAW_TOOLS, system_prompt="SYS", max_tool_result_chars=0)


def rows(*items: dict) -> list[dict]:
    return records(build_rows(items))


def call(call_id: str, command: str, name: str = "Bash") -> dict:
    return {"id": call_id, "name": name, "input": {"command": command}}


def result(call_id: str, text: str, error: bool = False, name: str | None = "Bash") -> dict:
    return {"kind": "tool_result", "tool_use_id": call_id, "tool_name": name, "text": text} | {
        "is_error": error
    }


def openai_call(call_id: str, command: str, name: str = "Bash") -> dict:
    arguments = json.dumps({"command": command})
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def tool(call_id: str, text: str, name: str = "Bash") -> dict:
    return {"role": "tool", "tool_call_id": call_id, "name": name, "content": text}


def test_conversation_rows_become_openai_messages() -> None:
    messages = rows_to_messages(
        rows(
            {"kind": "user_prompt", "text": "uptime of pve01?"},
            {
                "kind": "assistant",
                "text": "Checking.",
                "tool_calls": [call("t1", "ssh pve01 uptime")],
            },
            result("t1", "up 3 days"),
            {"kind": "assistant", "text": "Up 3 days."},
        ),
        CFG,
    )
    assert messages == [
        {"role": "user", "content": "uptime of pve01?"},
        {
            "role": "assistant",
            "content": "Checking.",
            "tool_calls": [openai_call("t1", "ssh pve01 uptime")],
        },
        tool("t1", "up 3 days"),
        {"role": "assistant", "content": "Up 3 days."},
    ]


def test_harness_noise_is_dropped() -> None:
    noise = [
        {"kind": kind, "text": kind}
        for kind in (
            "meta",
            "command",
            "bash_markup",
            "system",
            "summary",
            "compact_boundary",
            "compact_summary",
            "task_notification",
            "skill_body",
            "other",
        )
    ]
    messages = rows_to_messages(
        rows(
            {"kind": "user_prompt", "text": "hi"},
            *noise,
            {"kind": "assistant", "text": "API Error: 529 overloaded", "model": "<synthetic>"},
            {"kind": "assistant", "text": "Hello."},
            {"kind": "user_prompt", "text": "   "},
        ),
        CFG,
    )
    assert messages == [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "Hello."},
    ]


@pytest.mark.parametrize(
    ("include", "expected"),
    [(True, "<think>\nplan it\n</think>\nAnswer"), (False, "Answer")],
)
def test_thinking_prefix(include: bool, expected: str) -> None:
    assert assistant_content("Answer", "plan it", include) == expected
    cfg = CurateConfig(agent_tools=RAW_TOOLS, include_thinking=include)
    thinking_only = rows(
        {"kind": "user_prompt", "text": "q"},
        {"kind": "assistant", "thinking": "plan it", "text": "Answer"},
        {"kind": "assistant", "thinking": "just thinking"},
    )
    contents = [m["content"] for m in rows_to_messages(thinking_only, cfg)]
    tail = ["<think>\njust thinking\n</think>\n"] if include else []
    assert contents == ["q", expected, *tail]


def test_no_thinking_means_no_prefix() -> None:
    assert assistant_content("A", "  ", True) == "A"


def test_truncate_keeps_head_and_tail() -> None:
    assert truncate_middle("abcdefghij", 4) == "ab\n[... 6 characters truncated ...]\nij"
    assert truncate_middle("abcdefghij", 5) == "abc\n[... 5 characters truncated ...]\nij"
    assert truncate_middle("abcdefghij", 1) == "a\n[... 9 characters truncated ...]\n"
    assert truncate_middle("abcdefghij", 10) == "abcdefghij"
    assert truncate_middle("abcdefghij", 0) == "abcdefghij"


def test_tool_results_are_truncated_by_config() -> None:
    cfg = CurateConfig(agent_tools=RAW_TOOLS, max_tool_result_chars=4)
    messages = rows_to_messages(
        rows(
            {"kind": "user_prompt", "text": "q"},
            {"kind": "assistant", "tool_calls": [call("t1", "dmesg")]},
            result("t1", "abcdefghij"),
        ),
        cfg,
    )
    assert messages[-1]["content"] == "ab\n[... 6 characters truncated ...]\nij"


def test_unpaired_results_and_unanswered_calls_are_dropped() -> None:
    messages = rows_to_messages(
        rows(
            {"kind": "user_prompt", "text": "q"},
            result("ghost", "from nowhere"),
            {"kind": "assistant", "tool_calls": [call("t1", "a"), call("t2", "b")]},
            result("t2", "B", name=None),  # name comes from the call
            result("t2", "B again"),  # duplicate answer
            {"kind": "assistant", "tool_calls": [call("t3", "c")]},  # never answered
        ),
        CFG,
    )
    assert messages == [
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": "", "tool_calls": [openai_call("t2", "b")]},
        tool("t2", "B"),
    ]


def test_unanswered_call_keeps_the_text() -> None:
    messages = rows_to_messages(
        rows(
            {"kind": "user_prompt", "text": "q"},
            {"kind": "assistant", "text": "I will run it.", "tool_calls": [call("t1", "a")]},
        ),
        CFG,
    )
    assert messages[-1] == {"role": "assistant", "content": "I will run it."}


def test_results_must_follow_their_call() -> None:
    # A result separated from its call by another assistant message is not a valid exchange.
    messages = rows_to_messages(
        rows(
            {"kind": "user_prompt", "text": "q"},
            {"kind": "assistant", "text": "one", "tool_calls": [call("t1", "a")]},
            {"kind": "assistant", "text": "two"},
            result("t1", "A"),
        ),
        CFG,
    )
    assert [m["role"] for m in messages] == ["user", "assistant", "assistant"]
    assert "tool_calls" not in messages[1]


def test_interrupt_cuts_the_turn_and_the_rejected_call() -> None:
    messages = rows_to_messages(
        rows(
            {"kind": "user_prompt", "text": "clean up nas01"},
            {"kind": "assistant", "tool_calls": [call("t1", "df -h")]},
            result("t1", "90% used"),
            {"kind": "assistant", "text": "Deleting.", "tool_calls": [call("t2", "rm -rf /tank")]},
            result("t2", "The user doesn't want to proceed with this tool use.", error=True),
            {"kind": "interrupt", "text": "[Request interrupted by user for tool use]"},
            {"kind": "assistant", "text": "after the interrupt"},
        ),
        CFG,
    )
    assert messages == [
        {"role": "user", "content": "clean up nas01"},
        {"role": "assistant", "content": "", "tool_calls": [openai_call("t1", "df -h")]},
        tool("t1", "90% used"),
        {"role": "assistant", "content": "Deleting."},
    ]


def test_estimate_tokens_counts_content_and_calls() -> None:
    messages = [
        {"role": "user", "content": "abcd"},
        {"role": "assistant", "content": "", "tool_calls": [openai_call("t1", "ls")]},
    ]
    # 4 + len("Bash") + len('{"command": "ls"}') = 4 + 4 + 17 = 25 chars
    assert estimate_tokens(messages, 4) == 6
    assert estimate_tokens(messages, 1) == 25
