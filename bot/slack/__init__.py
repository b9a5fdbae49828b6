"""The Slack side of the bot: config, Block Kit, approvals, thread memory, conversations.

Nothing under `bot.agent` imports this package, and this package never imports `bot.app`
(which assembles it): the conversations drive `Agent.turn` and hand it a history list.
"""
