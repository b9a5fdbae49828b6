"""Block Kit JSON for every message the bot posts: pure `build_*()` functions, no Slack calls.

Slack's limits shape the splitting: a section's text is at most 3000 characters and a message
holds at most 50 blocks, so a long answer becomes several sections and, past 50 blocks,
several messages. Model output is escaped (`&`, `<`, `>`) so it can neither ping `@channel`
nor forge links.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.slack.config import Formatting
from bot.slack.memory import ThreadKey
from bot.slack.store import Approval

Block = dict[str, Any]

APPROVE_ACTION = "halops_approve"
DENY_ACTION = "halops_deny"
APPROVAL_BLOCK_ID = "halops_approval"
# A fence opens with ``` (and an optional language) and closes with ``` alone on a line.
FENCE = re.compile(r"```([^\n`]*)\n(.*?)(?:^```[ \t]*$|\Z)", re.DOTALL | re.MULTILINE)
CODE_OVERHEAD = len("```\n\n```")
CUT_NOTE = "_(answer cut: it was longer than this thread should hold)_"


@dataclass(frozen=True)
class Segment:
    kind: str  # text | code
    body: str


def escape(text: str) -> str:
    """Slack's three control characters; everything else is literal mrkdwn."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(text: str) -> Block:
    return {"type": "mrkdwn", "text": text}


def section(text: str) -> Block:
    return {"type": "section", "text": mrkdwn(text)}


def context(text: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(text)]}


def code_block(text: str) -> str:
    # A triple backtick inside the body would close the block early.
    return "```\n" + text.replace("```", "`\u200b``") + "\n```"


def slack_date(epoch: float) -> str:
    """A time each reader sees in their own time zone, with a UTC fallback."""
    fallback = datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(epoch)}^{{date_short_pretty}} {{time}}|{fallback}>"


# --- status ------------------------------------------------------------------------------------


def build_status_blocks(text: str) -> list[Block]:
    """The "working…" message, updated in place until the answer replaces it."""
    return [context(f":hourglass_flowing_sand: {escape(text)}")]


def build_error_blocks(text: str) -> list[Block]:
    return [section(f":warning: {escape(text)}")]


# --- answers -----------------------------------------------------------------------------------


def split_segments(answer: str) -> list[Segment]:
    """Prose and fenced code, in order; an unclosed fence runs to the end."""
    segments, position = [], 0
    for match in FENCE.finditer(answer):
        if answer[position : match.start()].strip():
            segments.append(Segment("text", answer[position : match.start()].strip()))
        segments.append(Segment("code", match.group(2).rstrip("\n")))
        position = match.end()
    if answer[position:].strip():
        segments.append(Segment("text", answer[position:].strip()))
    return segments


def chunk_text(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, cut at paragraph, then line, then word breaks."""
    chunks: list[str] = []
    while len(text) > limit:
        cut = next(
            (c for sep in ("\n\n", "\n", " ") if (c := text.rfind(sep, 0, limit + 1)) > limit // 2),
            limit,  # no break in the second half: cut mid-word rather than make tiny pieces
        )
        chunks.append(text[:cut].rstrip())
        text = text[cut:].lstrip("\n ")
    return [*chunks, text] if text else chunks


def segment_blocks(segment: Segment, limit: int) -> list[Block]:
    if segment.kind == "code":
        pieces = chunk_text(escape(segment.body), limit - CODE_OVERHEAD)
        return [section(code_block(piece)) for piece in pieces]
    return [section(piece) for piece in chunk_text(escape(segment.body), limit)]


def build_steps_context(steps: Sequence[Any]) -> Block | None:
    """One line per tool call: what ran where and what became of it (agent `Step`s)."""
    lines = []
    for step in steps:
        target = step.call.arguments.get("host") or step.call.arguments.get("url") or "local"
        what = step.call.arguments.get("command") or step.call.arguments.get("action") or ""
        who = (
            f", approved by <@{step.approver}>"
            if step.approver and step.outcome == "executed"
            else ""
        )
        lines.append(
            f"`{step.call.name}` {escape(str(target))} `{escape(str(what))}`: {step.outcome}{who}"
        )
    return context("\n".join(lines)[:2900]) if lines else None


def build_answer_messages(answer: str, steps: Sequence[Any], fmt: Formatting) -> list[list[Block]]:
    """The answer as one or more messages of at most `blocks_per_message` blocks each."""
    blocks = [b for s in split_segments(answer) for b in segment_blocks(s, fmt.section_chars)]
    blocks = blocks or [section("_(no answer)_")]
    steps_block = build_steps_context(steps)
    if steps_block is not None:
        blocks.append(steps_block)
    size = fmt.blocks_per_message
    messages = [blocks[i : i + size] for i in range(0, len(blocks), size)]
    if len(messages) > fmt.max_messages:
        messages = messages[: fmt.max_messages]
        messages[-1] = [*messages[-1][: size - 1], context(CUT_NOTE)]
    return messages


def fallback_text(blocks: Sequence[Block], limit: int = 300) -> str:
    """The notification text Slack shows where blocks are not rendered."""
    for block in blocks:
        text = block.get("text", {}).get("text") or ""
        if text:
            return text[:limit]
    return "HALops"


# --- approvals ---------------------------------------------------------------------------------


def approval_details(approval: Approval) -> list[Block]:
    """What will run, where, how, why it needs approval, who asked."""
    return [
        {"type": "header", "text": {"type": "plain_text", "text": "Approval needed"}},
        {
            "type": "section",
            "fields": [
                mrkdwn(f"*Host*\n{escape(approval.host or 'local')}"),
                mrkdwn(f"*Transport*\n{escape(approval.transport)}"),
                mrkdwn(f"*Asked by*\n<@{approval.requester}>{asked_in(approval)}"),
                mrkdwn(f"*Tool*\n{escape(approval.tool)}"),
            ],
        },
        section(f"*Command*\n{code_block(escape(approval.command))}"),
        section(
            f"*Why it needs approval* (`{escape(approval.rule_id)}`)\n{escape(approval.reason)}"
        ),
    ]


def asked_in(approval: Approval) -> str:
    """Where the conversation is, when the request is posted somewhere else."""
    conversation = ThreadKey.parse(approval.conversation_id)
    return "" if conversation.channel == approval.channel else f" in <#{conversation.channel}>"


def approval_buttons(approval: Approval) -> Block:
    value = str(approval.id)
    where = f" on {approval.host}" if approval.host else ""
    return {
        "type": "actions",
        "block_id": APPROVAL_BLOCK_ID,
        "elements": [
            {
                "type": "button",
                "action_id": APPROVE_ACTION,
                "text": {"type": "plain_text", "text": "Approve"},
                "style": "primary",
                "value": value,
                # A second tap on a phone at night is cheap; an accidental reboot is not.
                "confirm": {
                    "title": {"type": "plain_text", "text": "Run it?"},
                    "text": {"type": "plain_text", "text": f"{approval.command[:200]}{where}"},
                    "confirm": {"type": "plain_text", "text": "Run"},
                    "deny": {"type": "plain_text", "text": "Cancel"},
                },
            },
            {
                "type": "button",
                "action_id": DENY_ACTION,
                "text": {"type": "plain_text", "text": "Deny"},
                "style": "danger",
                "value": value,
            },
        ],
    }


def decision_line(approval: Approval) -> str:
    """The approval's state in one line, for the updated message."""
    who = f"<@{approval.decided_by}>" if approval.decided_by else "nobody"
    when = f" at {slack_date(approval.decided_at)}" if approval.decided_at else ""
    lines = {
        "pending": f":bell: Waiting for an approver; expires {slack_date(approval.deadline)}.",
        "approved": f":white_check_mark: Approved by {who}{when}; running…",
        "executed": f":white_check_mark: Approved by {who}{when}; ran (exit "
        f"{approval.exit_status}).",
        "failed": f":x: Approved by {who}{when}; the command failed (exit {approval.exit_status}).",
        "not_run": f":white_check_mark: Approved by {who}{when}, but nothing ran (the rate "
        "limit or an error stopped it).",
        "interrupted": f":warning: Approved by {who}{when}; the bot restarted before the "
        "result came back. Check the host before asking again.",
        "rejected": f":no_entry: Denied by {who}{when}; nothing ran.",
        "expired": f":hourglass: Expired {slack_date(approval.deadline)}: nobody decided in "
        "time; nothing ran.",
        "cancelled": ":no_entry_sign: Cancelled: the bot restarted and the conversation that "
        "asked is gone. Nothing ran; ask again if it is still needed.",
    }
    return lines[approval.state]


def build_approval_blocks(approval: Approval) -> list[Block]:
    """The approval message in its current state: buttons only while it is pending."""
    blocks = approval_details(approval)
    if approval.state == "pending":
        return [*blocks, approval_buttons(approval), context(decision_line(approval))]
    blocks.append(context(decision_line(approval)))
    if approval.result is not None and approval.state in {"executed", "failed"}:
        result = approval.result or "(no output)"
        blocks.append(section(f"*Result*\n{code_block(escape(result))}"))
    return blocks


def build_approval_text(approval: Approval) -> str:
    where = f" on {approval.host}" if approval.host else ""
    return escape(f"Approval needed ({approval.state}): {approval.command}{where}")


def cut(text: str, limit: int) -> str:
    """At most `limit` characters, the end kept (the last lines of output matter most)."""
    return text if len(text) <= limit else "…" + text[-(limit - 1) :]


# --- /halops status and audit --------------------------------------------------------------


def audit_line(entry: Any) -> str:
    """One verdict from the audit log (`AuditEntry`): when, who, what, decision, outcome."""
    where = f"{entry.transport}:{entry.host}" if entry.host else entry.transport
    who = f" by <@{entry.approver}>" if entry.approver else ""
    state = f" → {entry.state}{who}" if entry.state else ""
    exit_status = f" (exit {entry.exit_status})" if entry.exit_status is not None else ""
    return (
        f"`{entry.ts[:19]}` <@{entry.requester}> {escape(where)} "
        f"`{escape(entry.command[:120])}`: *{entry.decision}* `{escape(entry.rule_id)}`"
        f"{state}{exit_status}"
    )


def build_audit_blocks(entries: Sequence[Any], title: str = "Recent decisions") -> list[Block]:
    lines = [audit_line(entry) for entry in entries] or ["_(nothing recorded yet)_"]
    return [
        section(f"*{title}*"),
        *[section(chunk) for chunk in chunk_text("\n".join(lines), 2900)],
    ]


def build_server_status_blocks(
    healthy: bool, model_url: str, pending: int, entries: Sequence[Any]
) -> list[Block]:
    state = ":large_green_circle: up" if healthy else ":red_circle: not answering"
    summary = f"*Model server* {escape(model_url or '(not configured)')}: {state}\n"
    summary += f"*Pending approvals*: {pending}"
    return [section(summary), *build_audit_blocks(entries, "Recent actions")]


HELP_TEXT = (
    "Usage: `/halops ask <question>` · `/halops status` (model server, recent actions) · "
    "`/halops audit` (last decisions)"
)
