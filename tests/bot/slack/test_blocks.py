"""Block Kit builders: pure functions, Slack's limits, every approval state."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.slack.blocks import (
    build_answer_messages,
    build_approval_blocks,
    chunk_text,
    escape,
    split_segments,
)
from bot.slack.config import Formatting
from bot.slack.store import Approval

FMT = Formatting(section_chars=2900, blocks_per_message=50, max_messages=4, result_chars=1500)

APPROVAL = Approval(
    id=7,
    verdict_id=3,
    conversation_id="slack:C1:1.0",
    channel="C1",
    thread_ts="1.0",
    message_ts="1.5",
    requester="UASKER",
    tool="ssh",
    transport="ssh",
    host="pve01",
    command="reboot",
    rule_id="power.shutdown_reboot",
    reason="reboot of the host",
    created_at=1_800_000_000.0,
    deadline=1_800_000_900.0,
    state="pending",
)


def test_model_output_cannot_ping_or_forge_links() -> None:
    assert escape("<!channel> <http://x|y> & co") == "&lt;!channel&gt; &lt;http://x|y&gt; &amp; co"
    [message] = build_answer_messages("hey <!here>", [], FMT)
    assert message == [{"type": "section", "text": {"type": "mrkdwn", "text": "hey &lt;!here&gt;"}}]


def test_segments_keep_prose_and_code_in_order() -> None:
    text = "Check:\n```bash\nzpool status\n```\nThen\n```\nuptime"
    assert [(s.kind, s.body) for s in split_segments(text)] == [
        ("text", "Check:"),
        ("code", "zpool status"),
        ("text", "Then"),
        ("code", "uptime"),
    ]


@pytest.mark.parametrize("limit", [200, 1000, 2900])
def test_chunks_respect_the_limit_and_keep_all_words(limit: int) -> None:
    text = " ".join(f"word{i}" for i in range(3000))
    chunks = chunk_text(text, limit)
    assert all(len(c) <= limit for c in chunks)
    assert " ".join(chunks).split() == text.split()


def test_a_huge_answer_is_split_into_messages_of_at_most_50_blocks_and_cut() -> None:
    answer = "\n\n".join("x" * 2000 for _ in range(300))
    messages = build_answer_messages(answer, [], FMT)
    assert len(messages) == FMT.max_messages
    assert all(len(m) <= 50 for m in messages)
    assert all(len(b["text"]["text"]) <= 3000 for m in messages for b in m if "text" in b)
    assert messages[-1][-1]["type"] == "context" and "answer cut" in str(messages[-1][-1])


def test_a_triple_backtick_inside_code_does_not_close_the_block() -> None:
    [[block]] = build_answer_messages("```\necho ```\n```", [], FMT)
    assert block["text"]["text"].count("```") == 2


@pytest.mark.parametrize(
    ("state", "extra", "line_start"),
    [
        (
            "approved",
            {"decided_by": "UON", "decided_at": 1.8e9},
            ":white_check_mark: Approved by <@UON>",
        ),
        ("rejected", {"decided_by": "UON", "decided_at": 1.8e9}, ":no_entry: Denied by <@UON>"),
        ("expired", {}, ":hourglass: Expired <!date^1800000900^"),
        ("cancelled", {}, ":no_entry_sign: Cancelled: the bot restarted"),
        ("not_run", {"decided_by": "UON"}, ":white_check_mark: Approved by <@UON>, but nothing"),
        ("interrupted", {"decided_by": "UON"}, ":warning: Approved by <@UON>; the bot restarted"),
    ],
)
def test_decided_messages_have_no_buttons_and_say_what_happened(state, extra, line_start) -> None:
    blocks = build_approval_blocks(replace(APPROVAL, state=state, **extra))
    assert [b["type"] for b in blocks] == ["header", "section", "section", "section", "context"]
    assert blocks[-1]["elements"][0]["text"].startswith(line_start)


def test_executed_message_shows_the_result_in_a_code_block() -> None:
    approval = replace(
        APPROVAL,
        state="executed",
        decided_by="UON",
        decided_at=1.8e9,
        exit_status=0,
        result="ok <>",
    )
    blocks = build_approval_blocks(approval)
    assert blocks[-2]["elements"][0]["text"].endswith("; ran (exit 0).")
    assert blocks[-1] == {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "*Result*\n```\nok &lt;&gt;\n```"},
    }


def test_pending_buttons_carry_the_approval_id() -> None:
    actions = build_approval_blocks(APPROVAL)[4]
    assert [(e["action_id"], e["value"]) for e in actions["elements"]] == [
        ("halops_approve", "7"),
        ("halops_deny", "7"),
    ]
