"""Bolt listeners, one module per Slack surface; each acks first, then hands work on."""

from __future__ import annotations

from slack_bolt import App

from bot.listeners import actions, commands, events
from bot.slack.deps import BotDeps


def register_listeners(app: App, deps: BotDeps) -> None:
    events.register(app, deps)
    actions.register(app, deps)
    commands.register(app, deps)
