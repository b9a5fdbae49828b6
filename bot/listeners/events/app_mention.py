from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack

from bot.listeners.events.common import start_conversation, tell_failure
from bot.slack.deps import BotDeps

log = logging.getLogger(__name__)


def app_mention_listener(deps: BotDeps) -> Callable[..., None]:
    """`@halops ...` in a channel: answer in the mention's thread."""

    def handle_app_mention(ack: Ack, body: dict[str, Any], event: dict[str, Any]) -> None:
        ack()
        try:
            start_conversation(deps, event, body.get("event_id"))
        except Exception:
            log.exception("app_mention %s could not start", body.get("event_id"))
            tell_failure(deps, event)

    return handle_app_mention
