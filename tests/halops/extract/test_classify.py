"""User-record classification (transcript-format.md §5, §7, §8): every kind of "user" the CLI
writes."""

from __future__ import annotations

import pytest

from halops.extract.classify import UserItem, classify_user, text_kind


def user(content, **extra) -> dict:
    return {"type": "user", "message": {"role": "user", "content": content}, **extra}


def kinds(obj: dict) -> list[str]:
    return [item.kind for item in classify_user(obj)]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("restart nginx on pve01", "user_prompt"),
        ("[Request interrupted by user]", "interrupt"),
        ("[Request interrupted by user for tool use]", "interrupt"),
        (
            "<command-message>review</command-message>\n<command-name>/review</command-name>",
            "command",
        ),
        ("<command-name>/clear</command-name>\n  <command-message>clear", "command"),
        ("<local-command-stdout>Compacted</local-command-stdout>", "command"),
        ("<local-command-stderr>boom</local-command-stderr>", "command"),
        ("<bash-input>ls</bash-input>", "bash_markup"),
        ("<bash-stdout>a\nb</bash-stdout><bash-stderr></bash-stderr>", "bash_markup"),
        ("<task-notification>\n<task-id>b7</task-id>", "task_notification"),
        ("  \n<bash-input>ls</bash-input>", "bash_markup"),
        ("why does <command-name> appear in my log?", "user_prompt"),
        ("", "user_prompt"),
    ],
)
def test_text_kind(text, kind):
    assert text_kind(text) == kind


def test_string_prompt():
    assert classify_user(user("hello")) == [UserItem("user_prompt", "hello")]


def test_list_prompt_joins_text_blocks_and_skips_images():
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": ""}}
    content = [{"type": "text", "text": "look"}, image, {"type": "text", "text": "here"}]
    assert classify_user(user(content)) == [UserItem("user_prompt", "look\nhere")]


def test_interrupt_marker_in_a_block_list():
    obj = user([{"type": "text", "text": "[Request interrupted by user for tool use]"}])
    assert kinds(obj) == ["interrupt"]


def test_meta_and_skill_body():
    caveat = user("<local-command-caveat>Caveat: ...</local-command-caveat>", isMeta=True)
    assert kinds(caveat) == ["meta"]
    body = user([{"type": "text", "text": "# Review Command"}], isMeta=True, sourceToolUseID="t1")
    assert classify_user(body) == [
        UserItem("skill_body", "# Review Command", source_tool_use_id="t1")
    ]


def test_compaction_summary_wins_over_other_flags():
    obj = user("This session is being continued...", isCompactSummary=True, isMeta=True)
    assert kinds(obj) == ["compact_summary"]


def test_tool_results_one_item_each_then_the_typed_text():
    content = [
        {"type": "tool_result", "tool_use_id": "a", "content": "out", "is_error": False},
        {"type": "tool_result", "tool_use_id": "b", "content": [{"type": "text", "text": "x"}]},
        {"type": "tool_result", "tool_use_id": "c", "content": "no", "is_error": True},
        {"type": "text", "text": "my github user is khaong"},
    ]
    assert classify_user(user(content)) == [
        UserItem("tool_result", "out", tool_use_id="a", is_error=False),
        UserItem("tool_result", "x", tool_use_id="b", is_error=False),
        UserItem("tool_result", "no", tool_use_id="c", is_error=True),
        UserItem("user_prompt", "my github user is khaong"),
    ]


def test_tool_result_then_interrupt_text():
    content = [
        {"type": "tool_result", "tool_use_id": "a", "content": "rejected", "is_error": True},
        {"type": "text", "text": "[Request interrupted by user for tool use]"},
    ]
    assert kinds(user(content)) == ["tool_result", "interrupt"]


def test_tool_result_content_shapes():
    content = [
        {"type": "tool_result", "tool_use_id": "a"},
        {"type": "tool_result", "tool_use_id": "b", "content": None, "is_error": None},
        {"type": "tool_result", "tool_use_id": "c", "content": [{"type": "image"}]},
    ]
    items = classify_user(user(content))
    assert [(i.text, i.is_error) for i in items] == [("", False), ("", False), ("", False)]


def test_empty_and_missing_content_still_give_one_row():
    assert kinds(user([])) == ["user_prompt"]
    assert kinds({"type": "user", "message": {"role": "user"}}) == ["user_prompt"]
