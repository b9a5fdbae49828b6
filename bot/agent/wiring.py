"""Build the agent's dependencies from config: policy, tools (with the transport libraries),
rate limit, caps, audit. Model and retrieval come from `bot.agent.factories` (re-exported here
for `halops ask`).

`halops ask` and the Slack bot both call `build_deps`; the CLI passes a `Confirmer` that asks
at the terminal, the bot none (it drives `Agent.turn` and parks at approvals itself).
"""

from __future__ import annotations

import logging

from bot.agent.config import AgentConfig, simulated_lab
from bot.agent.confirm import Confirmer, DenyAll
from bot.agent.factories import chat_model, model_endpoint, runbook_retriever, runbook_search
from bot.agent.loop import AgentCaps, AgentDeps, Retriever
from bot.agent.model import ChatModel
from bot.agent.ratelimit import SlidingWindowLimiter
from bot.safety.audit import AuditLog
from bot.safety.inventory import Inventory
from bot.safety.policy import CommandPolicy, load_policy_settings
from bot.tools.base import HostEntry, ToolExecutor
from bot.tools.registry import ToolsConfig, build_tools
from bot.tools.runbooks import RunbookSearchExecutor

log = logging.getLogger(__name__)

DEFAULT_PORTS = {"ssh": 22, "ipmi": 623}


def host_entries(inventory: Inventory, transport: str) -> dict[str, HostEntry]:
    """Inventory hosts that allow `transport`, as the executors want them (by name)."""
    entries = {}
    for host in inventory.hosts:
        if host.allows(transport):
            raw = {"address": host.address, **host.settings.get(transport, {})}
            entries[host.name] = HostEntry.from_mapping(host.name, raw, DEFAULT_PORTS[transport])
    return entries


def build_tool_set(
    cfg: AgentConfig, inventory: Inventory, search: Retriever | None = None
) -> dict[str, ToolExecutor]:
    """The transports from config (simulated ones for a simulated inventory), plus
    search_runbooks when an index exists."""
    extra = [RunbookSearchExecutor(search)] if search is not None else []
    return build_tools(
        ToolsConfig.from_mapping(cfg.tools),
        ssh_hosts=host_entries(inventory, "ssh"),
        bmc_hosts=host_entries(inventory, "ipmi"),
        extra=extra,
        simulated=simulated_lab(cfg),
    )


def build_deps(
    cfg: AgentConfig,
    model: ChatModel,
    confirmer: Confirmer | None = None,
    limiter: SlidingWindowLimiter | None = None,
    audit: AuditLog | None = None,
    retriever: Retriever | None = None,
    search: Retriever | None = None,
) -> AgentDeps:
    """`retriever` fills the system prompt; `search` backs the search_runbooks tool."""
    inventory = Inventory.from_yaml(cfg.inventory)
    caps = cfg.caps
    return AgentDeps(
        model=model,
        tools=build_tool_set(cfg, inventory, search),
        policy=CommandPolicy(load_policy_settings(cfg.policy), inventory),
        confirmer=confirmer or DenyAll(),
        limiter=limiter or SlidingWindowLimiter(caps["max_commands"], caps["window_s"]),
        audit=audit,
        retriever=retriever,
        base_prompt=cfg.base_prompt,
        caps=AgentCaps(caps["max_iterations"], float(caps["tool_timeout_s"])),
    )


__all__ = [
    "build_deps",
    "build_tool_set",
    "chat_model",
    "host_entries",
    "model_endpoint",
    "runbook_retriever",
    "runbook_search",
]
