"""What app_mention and message.im share: validate the event, pick the thread, start a turn."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from bot.slack.conversation import FAILED_TEXT
from bot.slack.deps import BotDeps
from bot.slack.memory import ThreadKey

log = logging.getLogger(__name__)

MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
EMPTY_TEXT = "Ask me something after the mention, e.g. `@halops is pve01 healthy?`"


def request_text(text: str) -> str:
    """The question without the bot's mention."""
    return MENTION.sub("", text, count=1).strip()


def start_conversation(deps: BotDeps, event: Mapping[str, Any], event_id: str | None) -> None:
    if event_id and not deps.seen.first_time(f"event:{event_id}"):
        log.info("dropping a redelivered event %s", event_id)
        return
    channel, user = event.get("channel"), event.get("user")
    if not channel or not user or "ts" not in event:
        log.warning("event without channel, user or ts ignored: %s", event.get("type"))
        return
    if not deps.config.serves(channel, event.get("channel_type")):
        log.info("not serving channel %s", channel)
        return
    key = ThreadKey(channel, event.get("thread_ts") or event["ts"])
    text = request_text(event.get("text") or "")
    if not text:
        deps.client.chat_postMessage(channel=channel, thread_ts=key.thread_ts, text=EMPTY_TEXT)
        return
    deps.conversations.submit(key, text, user)


def tell_failure(deps: BotDeps, event: Mapping[str, Any]) -> None:
    """Best effort: the person should not wait for an answer that will never come."""
    try:
        deps.client.chat_postMessage(
            channel=event["channel"],
            thread_ts=event.get("thread_ts") or event["ts"],
            text=FAILED_TEXT,
        )
    except Exception:
        log.exception("could not tell the user that the request failed")
