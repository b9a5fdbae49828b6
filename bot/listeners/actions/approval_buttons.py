"""Approve / Deny clicks. The decision itself (who may, once only, before the deadline) is
`SlackApprovals.handle_click`; this layer reads the payload and answers the clicker."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.slack.deps import BotDeps

log = logging.getLogger(__name__)

BROKEN_CLICK = "Something went wrong handling your click; nothing ran. Try again or ask again."


def approval_click_listener(deps: BotDeps, approve: bool) -> Callable[..., None]:
    def handle_click(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        ack()
        user = body["user"]["id"]  # the request gate checked it is there
        channel, message_ts = clicked_message(body)
        try:
            value = str(action.get("value") or "")
            reply = deps.approvals.handle_click(value, user, approve, channel, message_ts)
        except Exception:  # fail closed: an error never counts as a decision
            log.exception("click by %s failed", user)
            reply = BROKEN_CLICK
        if reply is not None and channel:
            client.chat_postEphemeral(channel=channel, user=user, text=reply)

    return handle_click


def clicked_message(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """The channel and ts of the message whose button was clicked (None when absent)."""
    container, message, channel_field = (
        value if isinstance(value := body.get(key), dict) else {}
        for key in ("container", "message", "channel")
    )
    channel = container.get("channel_id") or channel_field.get("id")
    message_ts = container.get("message_ts") or message.get("ts")
    return (
        channel if isinstance(channel, str) else None,
        message_ts if isinstance(message_ts, str) else None,
    )
