"""`halops ask "..."`: one request from the terminal, approvals typed at the prompt.

Uses the endpoint in config/agent.yaml, or starts llama.cpp's server (config/serve.yaml) for
the duration of the request when none is configured.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from bot.agent.config import DEFAULT_AGENT_CONFIG, AgentConfigError, load_agent_config
from bot.agent.confirm import DenyAll, TerminalConfirmer
from bot.agent.loop import Agent, AgentInternalError, describe_steps
from bot.agent.model import ModelUnavailable
from bot.agent.wiring import build_deps, chat_model, runbook_retriever, runbook_search
from bot.safety.audit import AuditLog


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="halops ask", description=__doc__)
    parser.add_argument("request", help="what to ask the agent")
    parser.add_argument("--config", type=Path, default=DEFAULT_AGENT_CONFIG)
    parser.add_argument("--base-url", help="a running OpenAI-compatible endpoint")
    parser.add_argument("--model", help="GGUF to serve when no endpoint is given")
    parser.add_argument("--yes-to-nothing", action="store_true", help="deny every approval")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    return parser.parse_args(argv)


@contextlib.contextmanager
def endpoint(base_url: str | None, model: str | None) -> Iterator[str]:
    """The given endpoint, or a llama.cpp server started for this request."""
    if base_url:
        yield base_url
        return
    from bot.serve import DEFAULT_CONFIG, LlamaServer, load_serve_config

    with LlamaServer(load_serve_config(DEFAULT_CONFIG, model=model)) as server:
        yield server.base_url


def cli_main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        cfg = load_agent_config(args.config)
    except AgentConfigError as exc:
        print(f"halops ask: {exc}", file=sys.stderr)
        return 2
    confirmer = DenyAll() if args.yes_to_nothing else TerminalConfirmer()
    cfg.audit_db.parent.mkdir(parents=True, exist_ok=True)
    try:
        with (
            AuditLog(cfg.audit_db) as audit,
            endpoint(args.base_url or cfg.base_url, args.model) as url,
        ):
            search = runbook_search(cfg)
            retriever = runbook_retriever(cfg) if search is not None else None
            model = chat_model(cfg, url)
            deps = build_deps(
                cfg, model, confirmer, audit=audit, retriever=retriever, search=search
            )
            result = Agent(deps).run(args.request, requester=f"terminal:{getpass.getuser()}")
    except (AgentInternalError, ModelUnavailable) as exc:
        print(f"halops ask: stopped: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(
            json.dumps(
                {
                    "answer": result.answer,
                    "status": result.status,
                    "steps": describe_steps(result.steps),
                },
                indent=2,
            )
        )
    else:
        print(result.answer)
    return 0 if result.status == "answered" else 1
