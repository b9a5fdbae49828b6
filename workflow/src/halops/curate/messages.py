"""Extracted rows -> OpenAI chat messages (CONTRACTS "Curated"), shared by every strategy.

Only the conversation survives: user prompts, assistant text/thinking/tool calls and tool
results. Harness noise (meta rows, command and bash markup, system rows, compaction rows,
task notifications, skill bodies, CLI-written API errors) is dropped, because the model should
learn the operator's requests and the assistant's work, not the CLI's bookkeeping.
"""

from __future__ import annotations

import json
from typing import Any

from halops.curate.agent_tools import map_tool_call
from halops.curate.config import CurateConfig
from halops.rows import SYNTHETIC_MODEL, Row, is_error, text_of, tool_calls

Message = dict[str, Any]

# Private bookkeeping keys on messages while they are assembled; removed before output.
_ERROR = "_is_error"


def rows_to_messages(rows: list[Row], cfg: CurateConfig) -> list[Message]:
    """Messages for a span of rows, cut before the first interrupt, with tool calls paired.

    At an interrupt the span ends, and the tool call the user stopped goes too: trailing error
    results (the "user doesn't want to proceed" rejection) and then, by pairing, their calls.
    Pairing keeps only tool messages that answer a call of the assistant message right before
    them, and only calls that got an answer, so every example is a valid tool-call exchange.
    """
    messages: list[Message] = []
    for row in rows:
        if row["kind"] == "interrupt":
            while messages and messages[-1]["role"] == "tool" and messages[-1][_ERROR]:
                messages.pop()
            break
        message = row_to_message(row, cfg)
        if message is not None:
            messages.append(message)
    return pair_tool_calls(messages)


def row_to_message(row: Row, cfg: CurateConfig) -> Message | None:
    """One row as a message, or None for noise and empty rows."""
    kind = row["kind"]
    if kind == "user_prompt":
        return user_message(text_of(row)) if text_of(row).strip() else None
    if kind == "assistant":
        return _assistant_message(row, cfg)
    if kind == "tool_result":
        return {
            "role": "tool",
            "tool_call_id": row.get("tool_use_id") or "",
            "name": row.get("tool_name") or "",
            "content": truncate_middle(text_of(row), cfg.max_tool_result_chars),
            _ERROR: is_error(row),
        }
    return None


def user_message(text: str) -> Message:
    return {"role": "user", "content": text}


def _assistant_message(row: Row, cfg: CurateConfig) -> Message | None:
    if row.get("model") == SYNTHETIC_MODEL:
        return None
    content = assistant_content(text_of(row), row.get("thinking") or "", cfg.include_thinking)
    calls = [openai_tool_call(call) for call in tool_calls(row) if call.get("id")]
    if cfg.agent_tools.map_calls:
        # A dropped call loses its result too: pairing keeps only answers to kept calls.
        drop = cfg.agent_tools.drop_tools
        calls = [m for m in (map_tool_call(call, drop) for call in calls) if m is not None]
    if not content and not calls:
        return None
    message: Message = {"role": "assistant", "content": content}
    if calls:
        message["tool_calls"] = calls
    return message


def assistant_content(text: str, thinking: str, include_thinking: bool) -> str:
    """Assistant text, prefixed by `<think>\\n...\\n</think>\\n` when thinking is kept."""
    if include_thinking and thinking.strip():
        return f"<think>\n{thinking}\n</think>\n{text}"
    return text


def openai_tool_call(call: Row) -> Message:
    """{"id","name","input"} -> the OpenAI shape, arguments as a JSON string."""
    arguments = json.dumps(call.get("input") or {}, ensure_ascii=False)
    return {
        "id": call["id"],
        "type": "function",
        "function": {"name": call.get("name") or "", "arguments": arguments},
    }


def truncate_middle(text: str, max_chars: int) -> str:
    """Keep the head and the tail of a long text and mark the cut; 0 means no limit.

    Both ends matter in tool output: the head shows what ran, the tail how it ended (exit codes,
    the last log lines). The marker adds a few characters beyond `max_chars`.
    """
    if max_chars <= 0 or len(text) <= max_chars:
        return text
    head = max_chars - max_chars // 2
    tail = max_chars // 2
    omitted = len(text) - head - tail
    end = text[len(text) - tail :] if tail else ""
    return f"{text[:head]}\n[... {omitted} characters truncated ...]\n{end}"


def pair_tool_calls(messages: list[Message]) -> list[Message]:
    """Drop unpaired tool messages and unanswered calls (see rows_to_messages)."""
    out: list[Message] = []
    owner: int | None = None
    names: dict[str, str] = {}
    answered: list[str] = []
    for message in messages:
        if message["role"] == "tool":
            call_id = message["tool_call_id"]
            if call_id in names and call_id not in answered:
                answered.append(call_id)
                # The call's (possibly mapped) name, not the transcript's tool name.
                out.append(message | {"name": names[call_id]})
            continue
        _close_calls(out, owner, answered)
        out.append(message)
        owner, names, answered = None, {}, []
        if message.get("tool_calls"):
            owner = len(out) - 1
            names = {call["id"]: call["function"]["name"] for call in message["tool_calls"]}
    _close_calls(out, owner, answered)
    return [{key: value for key, value in m.items() if key != _ERROR} for m in out]


def _close_calls(out: list[Message], owner: int | None, answered: list[str]) -> None:
    """Keep only the answered calls of out[owner]; drop the message if nothing is left."""
    if owner is None:
        return
    message = out[owner]
    kept = [call for call in message["tool_calls"] if call["id"] in answered]
    if kept:
        out[owner] = message | {"tool_calls": kept}
        return
    out[owner] = {key: value for key, value in message.items() if key != "tool_calls"}
    if not out[owner]["content"]:
        # Nothing answered means no tool message followed, so owner is the last message.
        out.pop(owner)


def message_chars(message: Message) -> int:
    """Characters a message contributes to the model's context (content, call names, args)."""
    chars = len(message.get("content") or "")
    for call in message.get("tool_calls", []):
        chars += len(call["function"]["name"]) + len(call["function"]["arguments"])
    return chars


def estimate_tokens(messages: list[Message], chars_per_token: float) -> int:
    """Approximate token count: characters / chars_per_token, rounded down."""
    return int(sum(map(message_chars, messages)) / chars_per_token)


def has_assistant(messages: list[Message]) -> bool:
    return any(message["role"] == "assistant" for message in messages)
