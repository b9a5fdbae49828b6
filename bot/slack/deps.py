"""What the listeners are given: a small dependencies object, built once per process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from slack_sdk import WebClient

from bot.agent.loop import Agent, AgentDeps
from bot.safety.audit import AuditLog
from bot.slack.approvals import ApproverPolicy, SlackApprovals
from bot.slack.config import BotConfig
from bot.slack.conversation import AgentRunner, ConversationRunner, RecentEvents
from bot.slack.memory import ThreadMemory
from bot.slack.store import ApprovalStore


@dataclass
class BotDeps:
    config: BotConfig
    client: WebClient
    conversations: ConversationRunner
    approvals: SlackApprovals
    audit: AuditLog | None = None
    health: Callable[[], bool] = lambda: True  # is the model server answering?
    model_url: str = ""
    events: RecentEvents = field(default_factory=RecentEvents)

    def close(self) -> None:
        self.conversations.shutdown()
        self.approvals.store.close()
        self.conversations.memory.close()


def build_bot_deps(
    config: BotConfig,
    client: WebClient,
    make_agent: Callable[[SlackApprovals], AgentRunner],
    db_path: Path,
    audit: AuditLog | None = None,
) -> BotDeps:
    """Wire approvals, the agent and the conversations; recover approvals left by a restart."""
    approvals = SlackApprovals(
        ApprovalStore(db_path),
        client,
        ApproverPolicy(config.approvals, client),
        audit,
        config.approvals,
        result_chars=config.formatting.result_chars,
    )
    approvals.recover()
    agent = make_agent(approvals)
    conversations = ConversationRunner(client, agent, ThreadMemory(db_path), approvals, config)
    return BotDeps(config, client, conversations, approvals, audit)


def hosted_agent(deps: AgentDeps, approvals: SlackApprovals) -> Agent:
    """The agent as the bot runs it: Slack approvals, results reported on the messages."""
    deps.confirmer = approvals
    return Agent(deps)
