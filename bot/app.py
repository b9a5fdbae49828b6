"""The Slack app: build the Bolt `App`, register the listeners, start it.

Two ways in: Socket Mode (default; an outbound WebSocket, no inbound port) and HTTP on
`/slack/events` bound to loopback by our own server (Bolt's `app.start()` binds 0.0.0.0).
The Web API base URL comes from `SLACK_API_URL`, so a local stand-in can replace Slack.
"""

from __future__ import annotations

import os

from slack_bolt import App
from slack_sdk import WebClient

from bot.listeners import register_listeners
from bot.slack.deps import BotDeps


def slack_client(token: str | None) -> WebClient:
    return WebClient(token=token, base_url=os.environ.get("SLACK_API_URL") or WebClient.BASE_URL)


def build_app(deps: BotDeps, signing_secret: str, token_verification_enabled: bool = True) -> App:
    # process_before_response stays off: acks go out at once, work continues on threads.
    app = App(
        name="halops",
        client=deps.client,
        signing_secret=signing_secret,
        token_verification_enabled=token_verification_enabled,
    )
    register_listeners(app, deps)
    return app


def start_socket_mode(app: App, app_token: str) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    SocketModeHandler(app, app_token).start()
