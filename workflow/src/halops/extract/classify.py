"""Classify `user` records: a human prompt is only one of many things the CLI files as "user".

workflow/docs/transcript-format.md §4, §5, §7, §8: tool results, harness injections
(`isMeta`), skill bodies (the only records with `sourceToolUseID`), slash-command and bash-mode
markup, interrupt markers, compaction summaries and background-task notifications all arrive
as user records. Curating
them as prompts would teach a model to imitate the harness, so each gets its own kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

USER_PROMPT = "user_prompt"
TOOL_RESULT = "tool_result"
SKILL_BODY = "skill_body"
META = "meta"
COMMAND = "command"
BASH_MARKUP = "bash_markup"
INTERRUPT = "interrupt"
COMPACT_SUMMARY = "compact_summary"
TASK_NOTIFICATION = "task_notification"

# Prefixes checked after stripping leading whitespace. Prefixes, not substrings: a human prompt
# that quotes `<command-name>` is still a prompt.
_MARKUP_PREFIXES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("[Request interrupted by user",), INTERRUPT),
    (("<task-notification>",), TASK_NOTIFICATION),
    (("<bash-input>", "<bash-stdout>", "<bash-stderr>"), BASH_MARKUP),
    (
        (
            "<command-name>",
            "<command-message>",
            "<command-args>",
            "<local-command-stdout>",
            "<local-command-stderr>",
        ),
        COMMAND,
    ),
)


@dataclass(slots=True)
class UserItem:
    """One output row derived from a user record."""

    kind: str
    text: str | None = None
    tool_use_id: str | None = None
    is_error: bool | None = None
    source_tool_use_id: str | None = None


def text_kind(text: str) -> str:
    """Kind of a plain user text that carries no flags: markup, interrupt or a real prompt."""
    head = text.lstrip()[:64]
    for prefixes, kind in _MARKUP_PREFIXES:
        if head.startswith(prefixes):
            return kind
    return USER_PROMPT


def blocks_text(blocks: list[Any]) -> str:
    """Text blocks joined by newlines; images and other media carry no text and are skipped."""
    return "\n".join(b["text"] for b in blocks if b.get("type") == "text" and b.get("text"))


def tool_result_text(content: Any) -> str:
    """`tool_result.content` is a string for most tools, a block list for Task and MCP (§5)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return blocks_text(content)
    return ""


def _flagged_kind(obj: dict[str, Any]) -> tuple[str, str | None] | None:
    """Kind decided by record flags alone, with the skill's tool_use id where it applies."""
    if obj.get("isCompactSummary"):
        return COMPACT_SUMMARY, None
    if obj.get("isMeta"):
        source = obj.get("sourceToolUseID")
        return (SKILL_BODY, source) if source else (META, None)
    return None


def classify_user(obj: dict[str, Any]) -> list[UserItem]:
    """Rows for one validated user record: its tool results in order, then its text (if any)."""
    content = obj["message"].get("content")
    items: list[UserItem] = []
    if isinstance(content, list):
        rest = []
        for block in content:
            if block["type"] == "tool_result":
                items.append(_tool_result_item(block))
            else:
                rest.append(block)
        if items and not rest:
            return items  # the common case: a pure tool-result record
        text = blocks_text(rest)
    else:
        text = content if isinstance(content, str) else ""
    flagged = _flagged_kind(obj)
    if flagged is not None:
        items.append(UserItem(flagged[0], text, source_tool_use_id=flagged[1]))
    else:
        items.append(UserItem(text_kind(text), text))
    return items


def _tool_result_item(block: dict[str, Any]) -> UserItem:
    return UserItem(
        TOOL_RESULT,
        tool_result_text(block.get("content")),
        tool_use_id=block["tool_use_id"],
        is_error=bool(block.get("is_error")),  # absent or null means success (§5)
    )
