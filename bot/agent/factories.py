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
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any, TextIO

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


@dataclass(frozen=True)
class Endpoint:
    """Where the model answers, and how it came to (for the person at the terminal)."""

    base_url: str
    how: str  # running server (given) | running halops serve | started for this request
    gguf: Path | None = None  # the file served, when the server was started here

    @cached_property
    def model(self) -> str:
        """The GGUF started here, else what the server says it serves (asked only when wanted)."""
        if self.gguf is not None:
            return str(self.gguf)
        from bot.serve import served_models

        names = served_models(self.base_url)
        return ", ".join(names) if names else "unknown model"


@contextlib.contextmanager
def model_endpoint(
    base_url: str | None,
    model: str | None,
    serve_config: Path | None = None,
    stop_grace_s: float | None = None,
    say: TextIO | None = None,
) -> Iterator[Endpoint]:
    """The model endpoint, first match wins: `base_url` (given), the `halops serve` of
    `serve_config` (config/serve.yaml by default) when it answers and no other `model` is asked
    for, else a llama.cpp server child for the caller's lifetime on a free port (never the
    configured one: that port is `halops serve`'s, and it may start later). `stop_grace_s`
    shortens how long the child may take to stop, e.g. for the bot's SIGTERM; `say` hears that
    a server is starting."""
    from bot.serve import (
        DEFAULT_CONFIG,
        LlamaServer,
        free_port,
        health_check,
        load_serve_config,
        normalise_base_url,
    )

    if base_url:
        yield Endpoint(normalise_base_url(base_url), "running server")
        return
    config = load_serve_config(serve_config or DEFAULT_CONFIG, model=model)
    if model is None and health_check(config.base_url):
        yield Endpoint(config.base_url, "running halops serve")
        return
    if stop_grace_s is not None:
        config = replace(config, stop_grace_s=min(config.stop_grace_s, stop_grace_s))
    if say is not None:
        say.write(f"starting llama.cpp with {config.model_path.name} ...\n")
    with LlamaServer(replace(config, port=free_port(config.host))) as server:
        yield Endpoint(server.base_url, "started for this request", config.model_path)
