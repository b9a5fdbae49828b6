from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack

from bot.listeners.events.common import start_conversation, tell_failure
from bot.slack.deps import BotDeps

log = logging.getLogger(__name__)


def is_plain_direct_message(event: dict[str, Any]) -> bool:
    """A person's new message in a DM: no edits, joins, bot posts (our own included)."""
    return event.get("channel_type") == "im" and "subtype" not in event and "bot_id" not in event


def direct_message_listener(deps: BotDeps) -> Callable[..., None]:
    def handle_message(ack: Ack, body: dict[str, Any], event: dict[str, Any]) -> None:
        ack()
        if not is_plain_direct_message(event):
            return
        try:
            start_conversation(deps, event, body.get("event_id"))
        except Exception:
            log.exception("message.im %s could not start", body.get("event_id"))
            tell_failure(deps, event)

    return handle_message
