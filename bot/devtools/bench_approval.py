"""Benchmark: time from an approval click to the approved command starting, on loopback.

Each round asks the bot (a signed app_mention) to reboot pve01; the real agent loop and policy
propose it, the bot posts the approval to the Slack stand-in; then the clock starts, a signed
block_actions "Approve" is POSTed to the bot's HTTP endpoint, and it stops when the recording
executor's `execute` is entered. The path measured: HTTP + signature check, Bolt dispatch,
the approver check, the compare-and-set, the audit event, waking the conversation thread, the
loop's rate limit and the executor wrapper. Clicks are sequential: latency, not throughput.

    .venv/bin/python -m bot.devtools.bench_approval [--rounds 300]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bot.agent.config import load_agent_config
from bot.agent.loop import Agent
from bot.agent.model import ModelReply
from bot.agent.ratelimit import SlidingWindowLimiter
from bot.agent.wiring import build_deps
from bot.app import build_app, build_bot_deps, http_server, slack_client
from bot.devtools import slack_standin as standin
from bot.devtools.slack_standin import FORM, JSON, SlackAPIStandIn, signed_post
from bot.safety.audit import AuditLog
from bot.slack.config import load_bot_config
from bot.slack.store import ApprovalStore
from bot.tools.base import ToolResult
from bot.tools.ssh import SSH_SPEC
from halops.contract.toolcall import format_tool_call

SECRET = "bench-signing-secret"
CHANNEL, ASKER, ONCALL = "CBENCH", "UASKER", "UONCALL"
REBOOT = format_tool_call("ssh", {"host": "pve01", "command": "reboot"})


class RebootModel:
    """Proposes the reboot for every request and answers "Done." once it has run."""

    def complete(self, messages: list[dict[str, Any]]) -> ModelReply:
        done = messages[-1]["content"].startswith("<tool_response>")
        return ModelReply("Done." if done else REBOOT)


class StampingExecutor:
    """pve01's SSH executor replaced by one that notes when each execution starts."""

    spec = SSH_SPEC

    def __init__(self) -> None:
        self.started: list[float] = []
        self.event = threading.Event()

    def execute(self, args: dict[str, Any], timeout_s: float) -> ToolResult:
        self.started.append(time.perf_counter())
        self.event.set()
        return ToolResult(True, "rebooting", 0)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def one_round(
    server_url: str, slack: SlackAPIStandIn, ssh: StampingExecutor, store: ApprovalStore, i: int
) -> float:
    """Ask, wait for the approval message, click; seconds from the click to `execute`."""
    ts = f"1900000000.{i:06d}"
    event = standin.mention_event(f"reboot pve01 (round {i})", ASKER, CHANNEL, ts)
    signed_post(server_url, standin.event_body(event, f"EvBench{i}"), SECRET, JSON)
    post = slack.wait_for(lambda calls: _approval_post(calls, ts), timeout=30)
    approval_id = post.args["blocks"][4]["elements"][0]["value"]
    # A click counts only on the stored message: wait until the bot has the post's ts (the
    # stand-in records the post before its answer reaches the bot). Not on the timed path.
    while (approval := store.get(int(approval_id))) is None or approval.message_ts is None:
        time.sleep(0.001)
    body = standin.block_actions_body(
        "halops_approve", approval_id, ONCALL, CHANNEL, post.result["ts"], slack.response_url
    )
    ssh.event.clear()
    clicked = time.perf_counter()
    status, _ = signed_post(server_url, body, SECRET, FORM)
    if status != 200 or not ssh.event.wait(30):
        raise RuntimeError(f"round {i}: the approved command did not start (HTTP {status})")
    return ssh.started[-1] - clicked


def _approval_post(calls: list[standin.Call], thread_ts: str) -> standin.Call | None:
    for call in calls:
        if (
            call.method == "chat.postMessage"
            and call.args.get("thread_ts") == thread_ts
            and str(call.args.get("text", "")).startswith("Approval needed")
        ):
            return call
    return None


def run(rounds: int, workdir: Path) -> list[float]:
    agent_cfg = load_agent_config()
    agent_cfg = dataclasses.replace(agent_cfg, audit_db=workdir / "audit.sqlite")
    bot_cfg = load_bot_config()
    bot_cfg = dataclasses.replace(
        bot_cfg, approvals=dataclasses.replace(bot_cfg.approvals, approvers=frozenset({ONCALL}))
    )
    ssh = StampingExecutor()
    with SlackAPIStandIn() as slack, AuditLog(agent_cfg.audit_db) as audit:
        os.environ["SLACK_API_URL"] = slack.api_url

        # The per-process rate limit would stop the run after 30 commands; not measured.
        limiter = SlidingWindowLimiter(10 * rounds, 60)
        agent_deps = build_deps(agent_cfg, RebootModel(), limiter=limiter, audit=audit)
        agent = Agent(dataclasses.replace(agent_deps, tools={**agent_deps.tools, "ssh": ssh}))
        deps = build_bot_deps(bot_cfg, slack_client("xoxb-bench"), agent, agent_cfg.audit_db, audit)
        app = build_app(deps, SECRET, token_verification_enabled=False)
        try:
            with http_server(app, deps, SECRET, "127.0.0.1", 0) as server:
                store = deps.approvals.store
                return [one_round(server.url, slack, ssh, store, i) for i in range(rounds)]
        finally:
            deps.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300, help="approvals to time")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="halops-bench-") as workdir:
        latencies = [s * 1000 for s in run(args.rounds, Path(workdir))]
    figures = {
        "rounds": len(latencies),
        "p50_ms": round(statistics.median(latencies), 2),
        "p95_ms": round(percentile(latencies, 0.95), 2),
        "mean_ms": round(statistics.fmean(latencies), 2),
        "max_ms": round(max(latencies), 2),
    }
    if args.json:
        print(json.dumps(figures))
    else:
        print(
            f"approval click -> command start, {figures['rounds']} approvals on loopback: "
            f"p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms "
            f"(mean {figures['mean_ms']} ms, max {figures['max_ms']} ms)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
