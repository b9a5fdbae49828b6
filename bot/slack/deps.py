"""What the listeners are given: a small dependencies object, assembled once by `bot.app`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk import WebClient

from bot.safety.audit import AuditLog
from bot.slack.approvals import SlackApprovals
from bot.slack.config import BotConfig
from bot.slack.conversation import ConversationRunner
from bot.slack.seen import SeenRequests


@dataclass(frozen=True)
class BotDeps:
    config: BotConfig
    client: WebClient
    conversations: ConversationRunner
    approvals: SlackApprovals
    audit: AuditLog | None
    health: Callable[[], bool]  # is the model server answering?
    model_url: str
    seen: SeenRequests  # event ids and request signatures within the replay window

    def close(self, stop_commands: Callable[[], object] = lambda: None) -> None:
        """Stop conversations (and, through `stop_commands`, the commands they run), then
        close the stores."""
        self.conversations.shutdown(self.config.shutdown_grace_s, stop_commands)
        self.approvals.store.close()
        self.conversations.memory.close()
        self.seen.close()
