"""The Slack side of the bot: config, Block Kit, approvals, thread memory, conversations.

Nothing under `bot.agent` imports this package; the agent sees only a `Confirmer` and a
history list.
"""
