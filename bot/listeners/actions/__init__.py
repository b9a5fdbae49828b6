from __future__ import annotations

from slack_bolt import App

from bot.listeners.actions.approval_buttons import approval_click_listener
from bot.slack.blocks import APPROVE_ACTION, DENY_ACTION
from bot.slack.deps import BotDeps


def register(app: App, deps: BotDeps) -> None:
    app.action(APPROVE_ACTION)(approval_click_listener(deps, approve=True))
    app.action(DENY_ACTION)(approval_click_listener(deps, approve=False))
