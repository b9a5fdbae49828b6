"""`/halops ask <question>` | `status` | `audit`: answers are ephemeral, except `ask`, which
starts a visible thread (the conversation, and its approvals, belong in the channel)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, Respond

from bot.slack.blocks import (
    HELP_TEXT,
    build_audit_blocks,
    build_server_status_blocks,
    escape,
)
from bot.slack.conversation import FAILED_TEXT
from bot.slack.deps import BotDeps
from bot.slack.memory import ThreadKey

log = logging.getLogger(__name__)

STATUS_ENTRIES = 5  # recent actions under /halops status
AUDIT_ENTRIES = 15  # decisions under /halops audit
AUDIT_REFUSED = (
    "Only approvers (approvals.approvers and approver_groups in config/bot.yaml) can read the "
    "audit log."
)


def halops_command_listener(deps: BotDeps) -> Callable[..., None]:
    def handle_halops(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        ack()
        sub, _, rest = (command.get("text") or "").strip().partition(" ")
        try:
            if sub == "ask" and rest.strip():
                ask(deps, command, rest.strip(), respond)
            elif sub == "status":
                status(deps, command["user_id"], respond)
            elif sub == "audit":
                audit(deps, command["user_id"], respond)
            else:
                respond(text=HELP_TEXT, response_type="ephemeral")
        except Exception:
            log.exception("/halops %s failed", sub)
            respond(text=FAILED_TEXT, response_type="ephemeral")

    return handle_halops


def ask(deps: BotDeps, command: dict[str, Any], question: str, respond: Respond) -> None:
    channel, user = command["channel_id"], command["user_id"]
    if not deps.config.serves(channel, None):
        respond(text="I do not answer in this channel.", response_type="ephemeral")
        return
    # The question becomes the thread's root, so the answer and approvals have a home.
    posted = deps.client.chat_postMessage(
        channel=channel, text=f"<@{user}> asked: {escape(question)}"
    )
    deps.conversations.submit(ThreadKey(channel, str(posted["ts"])), question, user)


def status(deps: BotDeps, user: str, respond: Respond) -> None:
    """Anyone sees whether the model is up and how many requests wait; only approvers see
    the recent actions (who asked for which command)."""
    may_read = deps.audit is not None and deps.approvals.policy.is_approver(user)
    entries = deps.audit.recent(STATUS_ENTRIES) if may_read and deps.audit else []
    pending = len(deps.approvals.store.in_state("pending"))
    blocks = build_server_status_blocks(deps.health(), deps.model_url, pending, entries)
    respond(blocks=blocks, text="HALops status", response_type="ephemeral")


def audit(deps: BotDeps, user: str, respond: Respond) -> None:
    """The audit trail names requesters and commands: approvers only (config/bot.yaml)."""
    if not deps.approvals.policy.is_approver(user):
        log.info("/halops audit refused to non-approver %s", user[:40])
        respond(text=AUDIT_REFUSED, response_type="ephemeral")
        return
    entries = deps.audit.recent(AUDIT_ENTRIES) if deps.audit else []
    respond(blocks=build_audit_blocks(entries), text="HALops audit", response_type="ephemeral")
