from __future__ import annotations

from slack_bolt import App

from bot.listeners.events.app_mention import app_mention_listener
from bot.listeners.events.direct_message import direct_message_listener
from bot.slack.deps import BotDeps


def register(app: App, deps: BotDeps) -> None:
    app.event("app_mention")(app_mention_listener(deps))
    # Every message event gets a listener (most are ignored inside): an unhandled event is
    # answered 404, and Slack retries it.
    app.event("message")(direct_message_listener(deps))
