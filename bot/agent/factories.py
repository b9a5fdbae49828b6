"""The model and retrieval the agent is built with, for every caller: `halops ask`, the Slack bot
(`bot.app`) and the evaluation (`halops.eval`).

Kept apart from `bot.agent.wiring`, which builds the tool set: importing this module pulls in
no transport library (paramiko, pyghmi), so the evaluation, whose tools are replays, does not
install them.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.agent.config import AgentConfig
from bot.agent.grammar import agent_grammar
from bot.agent.loop import Retriever
from bot.agent.model import ChatModel, OpenAIChatModel

log = logging.getLogger(__name__)


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


@contextlib.contextmanager
def model_endpoint(
    base_url: str | None,
    model: str | None,
    serve_config: Path | None = None,
    stop_grace_s: float | None = None,
) -> Iterator[str]:
    """The given endpoint, or a llama.cpp server child (`serve_config`, config/serve.yaml by
    default) for the caller's lifetime; `stop_grace_s` shortens how long it may take to stop,
    e.g. for the bot's SIGTERM."""
    if base_url:
        yield base_url
        return
    from bot.serve import DEFAULT_CONFIG, LlamaServer, load_serve_config

    config = load_serve_config(serve_config or DEFAULT_CONFIG, model=model)
    if stop_grace_s is not None:
        config = replace(config, stop_grace_s=min(config.stop_grace_s, stop_grace_s))
    with LlamaServer(config) as server:
        yield server.base_url
