"""`halops ask "..."`: one request from the terminal, approvals typed at the prompt.

The model endpoint, first match wins: `--base-url` or `--port` (a server on 127.0.0.1), the
`base_url` of agent.yaml, the `halops serve` configured in serve.yaml when it answers, else
llama.cpp's server started for this one request on a free port. Progress goes to stderr while
the model works; the answer, then which model gave it, go to stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from bot.agent.config import (
    AgentConfig,
    AgentConfigError,
    default_agent_config,
    load_agent_config,
    simulated_lab,
)
from bot.agent.confirm import DenyAll, TerminalConfirmer
from bot.agent.factories import Endpoint, model_endpoint
from bot.agent.loop import Agent, AgentInternalError, AgentResult, describe_steps
from bot.agent.model import ChatModel, ModelReply, ModelUnavailable
from bot.agent.wiring import build_deps, chat_model, runbook_retriever, runbook_search
from bot.paths import add_config_dir_option
from bot.safety.audit import AuditLog
from bot.safety.inventory import InventoryError
from bot.serve import (
    ServeConfigError,
    ServerStartError,
    default_serve_config,
)
from halops.contract.toolcall import parse_tool_calls

TICK_S = 0.5  # how often the progress line's clock is redrawn on a terminal


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="halops ask", description=__doc__)
    parser.add_argument("request", help="what to ask the agent")
    add_config_dir_option(parser)
    parser.add_argument(
        "--config", type=Path, help="agent.yaml to use (default: agent.yaml in the config dir)"
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--base-url", help="a running OpenAI-compatible endpoint (with or without /v1)"
    )
    where.add_argument("--port", type=int, help="a running server on 127.0.0.1 at this port")
    parser.add_argument(
        "--model", help="GGUF to serve for this request (a running halops serve is not reused)"
    )
    parser.add_argument("--yes-to-nothing", action="store_true", help="deny every approval")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    return parser.parse_args(argv)


# --- progress --------------------------------------------------------------------------------


class ProgressModel:
    """The chat model, telling the person on stderr that it works, for how long, and which
    calls it proposed. On a terminal the clock ticks in place; elsewhere one line per step."""

    def __init__(self, inner: ChatModel, stream: TextIO) -> None:
        self.inner, self.stream = inner, stream
        self.interactive = stream.isatty()
        self.steps = 0

    def complete(self, messages: list[dict[str, Any]]) -> ModelReply:
        self.steps += 1
        label = f"step {self.steps}: the model is working"
        start = time.monotonic()
        with self._ticking(label, start):
            reply = self.inner.complete(messages)
        self._line(f"{label} ... done in {time.monotonic() - start:.1f} s")
        for call in parse_tool_calls(reply.text).calls:
            self._line(f"  proposes {call.name} {json.dumps(call.arguments, ensure_ascii=False)}")
        return reply

    @contextlib.contextmanager
    def _ticking(self, label: str, start: float) -> Iterator[None]:
        if not self.interactive:
            self._line(f"{label} ...")
            yield
            return
        done = threading.Event()

        def tick() -> None:
            while not done.wait(TICK_S):
                self.stream.write(f"\r{label} ... {time.monotonic() - start:.0f} s")
                self.stream.flush()

        ticker = threading.Thread(target=tick, daemon=True)
        ticker.start()
        try:
            yield
        finally:
            done.set()
            ticker.join()
            self.stream.write("\r")

    def _line(self, text: str) -> None:
        self.stream.write(f"{text}\n")
        self.stream.flush()


# --- the command -----------------------------------------------------------------------------


def run_request(
    cfg: AgentConfig, args: argparse.Namespace, url: str, audit: AuditLog, progress: TextIO | None
) -> AgentResult:
    search = runbook_search(cfg)
    retriever = runbook_retriever(cfg) if search is not None else None
    model: ChatModel = chat_model(cfg, url)
    if progress is not None:
        model = ProgressModel(model, progress)
    confirmer = DenyAll() if args.yes_to_nothing else TerminalConfirmer()
    deps = build_deps(cfg, model, confirmer, audit=audit, retriever=retriever, search=search)
    return Agent(deps).run(args.request, requester=f"terminal:{getpass.getuser()}")


def lab_line(cfg: AgentConfig) -> str | None:
    """What a person must know about where the tool outputs came from."""
    lab = simulated_lab(cfg)
    if lab is None:
        return None
    return (
        f"simulated lab: {cfg.inventory.name} is marked simulated, so every tool call was "
        f"answered from {len(lab)} recorded outputs; no host was contacted"
    )


def cli_main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        cfg = load_agent_config(args.config or default_agent_config(args.config_dir))
    except AgentConfigError as exc:
        print(f"halops ask: {exc}", file=sys.stderr)
        return 2
    progress = None if args.quiet else sys.stderr
    base_url = args.base_url or (f"127.0.0.1:{args.port}" if args.port else None)
    serve_config = default_serve_config(args.config_dir)
    cfg.audit_db.parent.mkdir(parents=True, exist_ok=True)
    try:
        with (
            AuditLog(cfg.audit_db) as audit,
            model_endpoint(
                base_url or cfg.base_url, args.model, serve_config, say=progress
            ) as found,
        ):
            if progress is not None:
                progress.write(f"model: {found.model} at {found.base_url} ({found.how})\n")
            result = run_request(cfg, args, found.base_url, audit, progress)
    except (AgentInternalError, ModelUnavailable, InventoryError) as exc:
        print(f"halops ask: stopped: {exc}", file=sys.stderr)
        return 1
    except (ServerStartError, ServeConfigError, FileNotFoundError) as exc:
        print(f"halops ask: no model server: {exc}", file=sys.stderr)
        return 1
    print_result(result, found, lab_line(cfg), args.json)
    return 0 if result.status == "answered" else 1


def print_result(result: AgentResult, found: Endpoint, lab: str | None, as_json: bool) -> None:
    if as_json:
        document = {
            "answer": result.answer,
            "status": result.status,
            "steps": describe_steps(result.steps),
            "model": found.model,
            "base_url": found.base_url,
            "simulated_lab": lab,
        }
        print(json.dumps(document, indent=2))
        return
    print(result.answer)
    print(f"\n-- answered by {found.model} ({found.how}, {found.base_url})")
    if lab is not None:
        print(f"-- {lab}")
