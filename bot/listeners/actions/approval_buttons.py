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
        user, channel = body["user"]["id"], body["channel"]["id"]
        try:
            reply = deps.approvals.handle_click(int(action["value"]), user, approve)
        except Exception:  # fail closed: an error never counts as a decision
            log.exception("click by %s on %r failed", user, action.get("value"))
            reply = BROKEN_CLICK
        if reply is not None:
            client.chat_postEphemeral(channel=channel, user=user, text=reply)

    return handle_click
