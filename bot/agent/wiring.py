"""Build the agent's dependencies from config: policy, tools, retrieval, model, audit.

The CLI and the Slack bot both call `build_deps`; they differ only in the `Confirmer` they
pass and in who the requester is.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from bot.agent.config import AgentConfig, simulated_lab
from bot.agent.confirm import Confirmer
from bot.agent.grammar import agent_grammar
from bot.agent.loop import AgentCaps, AgentDeps, Retriever
from bot.agent.model import ChatModel, OpenAIChatModel
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


def runbook_search(cfg: AgentConfig, k: int | None = None) -> Retriever | None:
    """Top passages from the rag_index collection, or None when the index is not built."""
    db_dir = cfg.retrieval["db_dir"]
    if not db_dir.exists():
        log.warning("no runbook index at %s (run the rag_index rule); retrieval off", db_dir)
        return None
    from bot.retrieval.index import open_collection, query_collection
    from bot.retrieval.prompt import passages_to_documents

    collection = open_collection(db_dir, cfg.retrieval["collection"])
    top_k = k if k is not None else max(1, int(cfg.retrieval["top_k"]))

    def retrieve(request: str) -> list[tuple[str, str]]:
        return passages_to_documents(query_collection(collection, request, top_k))

    return retrieve


def runbook_retriever(cfg: AgentConfig) -> Retriever | None:
    """Passages for the system prompt; None when retrieval is off (top_k 0) or unbuilt."""
    if int(cfg.retrieval["top_k"]) == 0:
        return None
    return runbook_search(cfg)


def chat_model(cfg: AgentConfig, base_url: str) -> ChatModel:
    """The model client, with the tool-call grammar when `tool_call_grammar` is on."""
    from bot.serve import openai_client

    gen: Mapping[str, Any] = cfg.generation
    return OpenAIChatModel(
        openai_client(base_url),
        cfg.model,
        temperature=float(gen["temperature"]),
        seed=gen["seed"],
        max_tokens=int(gen["max_tokens"]),
        timeout_s=float(gen["timeout_s"]),
        grammar=agent_grammar(cfg),
    )


def build_deps(
    cfg: AgentConfig,
    model: ChatModel,
    confirmer: Confirmer,
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
        confirmer=confirmer,
        limiter=limiter or SlidingWindowLimiter(caps["max_commands"], caps["window_s"]),
        audit=audit,
        retriever=retriever,
        base_prompt=cfg.base_prompt,
        caps=AgentCaps(caps["max_iterations"], float(caps["tool_timeout_s"])),
    )
