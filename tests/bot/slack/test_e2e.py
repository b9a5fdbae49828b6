"""End to end: the real agent (`build_deps`), llama.cpp's server with the embedded model, a
reboot that needs approval, approved through a signed block_actions request.

The 135M base model does not reliably emit a tool call, so its first turn is scripted (the
`<tool_call>` it would have written); every later turn is the real model's.
"""

from __future__ import annotations

import dataclasses
import socket
import threading
from pathlib import Path
from typing import Any

import pytest

from bot.agent.config import load_agent_config
from bot.agent.loop import Agent
from bot.agent.model import ChatModel, ModelReply
from bot.agent.wiring import build_deps, chat_model
from bot.app import build_app, build_bot_deps, http_server, slack_client
from bot.devtools.slack_standin import SlackAPIStandIn
from bot.safety.audit import AuditLog
from bot.serve import LlamaServer
from bot.slack.blocks import build_answer_messages, fallback_text
from bot.tools.ssh import SSH_SPEC
from halops.contract.toolcall import format_tool_call, parse_tool_calls
from tests.bot.slack.conftest import ASKER, ONCALL, SECRET, Bot, RecordingExecutor, bot_config
from tests.conftest import REPO, llama_serve_config

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


class FirstTurnScripted:
    """Turn one: the scripted tool call. Later turns: the real model, replies recorded."""

    def __init__(self, real: ChatModel, first: str) -> None:
        self.real, self.first = real, first
        self.real_replies: list[ModelReply] = []
        self._lock = threading.Lock()

    def complete(self, messages: list[dict[str, Any]]) -> ModelReply:
        with self._lock:
            if self.first:
                first, self.first = self.first, ""
                return ModelReply(first)
        reply = self.real.complete(messages)
        self.real_replies.append(reply)
        return reply


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_reboot_approved_in_slack_runs_once_and_the_real_model_answers(
    tmp_path: Path, monkeypatch
) -> None:
    cfg = load_agent_config(REPO / "config" / "agent.yaml")
    cfg = dataclasses.replace(
        cfg,
        audit_db=tmp_path / "audit.sqlite",
        generation={**cfg.generation, "max_tokens": 48},  # a short answer keeps the test short
        caps={**cfg.caps, "max_iterations": 3},
        # Never the recordings an earlier pipeline run left in results/lab/.
        simulated_lab={"recordings": []},
    )
    # The embedded model always: never a GGUF an earlier pipeline run left in results/.
    serve = llama_serve_config()
    with (
        LlamaServer(serve) as server,
        SlackAPIStandIn() as slack,
        AuditLog(cfg.audit_db) as audit,
    ):
        monkeypatch.setenv("SLACK_API_URL", slack.api_url)
        reboot = format_tool_call("ssh", {"host": "pve01", "command": "reboot"})
        model = FirstTurnScripted(chat_model(cfg, server.base_url), reboot)
        ssh = RecordingExecutor(SSH_SPEC)

        agent_deps = build_deps(cfg, model, audit=audit)
        # pve01 is not reachable from a test: its SSH executor records instead.
        agent = Agent(dataclasses.replace(agent_deps, tools={**agent_deps.tools, "ssh": ssh}))
        # A short timeout: should the model ask for a second approval, it expires quickly.
        bot_cfg = bot_config(timeout_s=20)
        deps = build_bot_deps(bot_cfg, slack_client("xoxb-test"), agent, cfg.audit_db, audit)
        app = build_app(deps, SECRET, token_verification_enabled=False)
        with http_server(app, deps, SECRET, "127.0.0.1", 0) as http:
            bot = Bot(slack, deps, http, audit, {"ssh": ssh}, model)  # type: ignore[arg-type]
            thread = bot.mention("please reboot pve01")
            [post] = bot.approval_messages(thread)
            assert "reboot on pve01" in post.args["text"]
            assert bot.click(1, ONCALL) == 200
            answer = bot.answer(thread, timeout=240)
            assert deps.approvals.store.get(1).state == "executed"
            # Newest first: the approved one is the oldest (the real model may propose again,
            # and that second request expires unapproved).
            entry = [e for e in audit.recent(10) if e.command == "reboot"][-1]
            kinds = [(e.kind, e.actor) for e in audit.events(entry.id)]
            deps.close()

    assert ssh.calls == [{"host": "pve01", "command": "reboot"}]
    assert model.real_replies, "the real model was never asked"
    last = parse_tool_calls(model.real_replies[-1].text)
    if last.calls or last.errors:  # the 135M base model kept calling tools up to the cap
        assert answer["text"] == "Stopped after 3 steps without a final answer."
    else:  # it answered: the thread shows exactly its answer
        expected = build_answer_messages(last.content, [], bot_cfg.formatting)[0]
        assert answer["text"] == fallback_text(expected)
    assert kinds == [("proposed", ASKER), ("approved", ONCALL), ("executed", None)]
