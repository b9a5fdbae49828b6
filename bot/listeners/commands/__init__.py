from __future__ import annotations

from slack_bolt import App

from bot.listeners.commands.halops_command import halops_command_listener
from bot.slack.deps import BotDeps


def register(app: App, deps: BotDeps) -> None:
    app.command("/halops")(halops_command_listener(deps))
