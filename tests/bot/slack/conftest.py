"""The bot on loopback: the stand-in Web API, the real Bolt app behind the real HTTP server,
the real agent loop and policy with a scripted model, recording executors."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from bot.agent.loop import Agent, AgentCaps, AgentDeps
from bot.agent.model import ModelReply
from bot.agent.ratelimit import SlidingWindowLimiter
from bot.app import build_app, build_bot_deps, http_server, slack_client
from bot.devtools import slack_standin as standin
from bot.devtools.slack_standin import FORM, JSON, Call, SlackAPIStandIn, signed_post
from bot.safety.audit import AuditLog
from bot.safety.inventory import Inventory
from bot.safety.policy import CommandPolicy, load_policy_settings
from bot.slack.config import BotConfig, load_bot_config
from bot.slack.conversation import WORKING_TEXT as WORKING
from bot.slack.deps import BotDeps
from bot.slack.http import SlackHTTPServer
from bot.tools.base import ToolResult
from bot.tools.http import HTTP_SPEC
from bot.tools.ipmi import IPMI_SPEC
from bot.tools.ssh import SSH_SPEC
from tests.conftest import REPO

SECRET = "test-signing-secret"
CHANNEL = "COPS"
ONCALL = "UONCALL"  # listed approver
GROUP_MEMBER = "UGROUPMEMBER"  # approver through the SONCALL user group
ASKER = "UASKER"
STRANGER = "USTRANGER"

INVENTORY = Inventory.from_yaml(REPO / "config" / "inventory.yaml")
POLICY = CommandPolicy(load_policy_settings(REPO / "config" / "policy.yaml"), INVENTORY)


class RoutedModel:
    """Scripted replies per request: two conversations at once each get their own script.
    The request is the newest user message that is a key of `scripts`."""

    def __init__(self, scripts: dict[str, list[str]]) -> None:
        self.scripts = {k: list(v) for k, v in scripts.items()}
        self.seen: dict[str, list[list[dict[str, Any]]]] = {}
        self._lock = threading.Lock()

    def complete(self, messages: list[dict[str, Any]]) -> ModelReply:
        request = next(
            m["content"]
            for m in reversed(messages)
            if m["role"] == "user" and m["content"] in self.scripts
        )
        with self._lock:
            self.seen.setdefault(request, []).append([dict(m) for m in messages])
            if not self.scripts[request]:
                raise AssertionError(f"model asked more often than scripted for {request!r}")
            return ModelReply(self.scripts[request].pop(0))


@dataclass
class RecordingExecutor:
    """A remote transport that records each call with the time it started."""

    spec: Any
    result: ToolResult = field(default_factory=lambda: ToolResult(True, "rebooting now", 0))
    calls: list[dict[str, Any]] = field(default_factory=list)
    started: list[float] = field(default_factory=list)

    def execute(self, args: dict[str, Any], timeout_s: float) -> ToolResult:
        self.started.append(time.perf_counter())
        self.calls.append(dict(args))
        return self.result


@dataclass
class Bot:
    """One running bot process (in-process) and the handles a test needs."""

    slack: SlackAPIStandIn
    deps: BotDeps
    server: SlackHTTPServer
    audit: AuditLog
    tools: dict[str, RecordingExecutor]
    model: RoutedModel
    _ts: int = 0

    def next_ts(self) -> str:
        self._ts += 1
        return f"1800000000.{self._ts:06d}"

    def post(self, body: str, content_type: str = JSON, **kwargs: Any) -> tuple[int, str]:
        return signed_post(self.server.url, body, SECRET, content_type, **kwargs)

    def mention(self, text: str, user: str = ASKER, channel: str = CHANNEL, **kw: Any) -> str:
        """@halops in `channel`; returns the event's ts (the thread's root unless thread_ts)."""
        ts = self.next_ts()
        event = standin.mention_event(text, user, channel, ts, kw.get("thread_ts"))
        status, _ = self.post(standin.event_body(event, kw.get("event_id") or f"Ev{ts}"))
        assert status == 200
        return ts

    def click(self, approval_id: int, user: str, approve: bool = True) -> int:
        """A click on the approval's own message (once the bot has stored its ts)."""
        action = "halops_approve" if approve else "halops_deny"
        message_ts = self.message_ts(approval_id)
        body = standin.block_actions_body(
            action, str(approval_id), user, CHANNEL, message_ts, self.slack.response_url
        )
        status, _ = self.post(body, FORM)
        return status

    def message_ts(self, approval_id: int, timeout: float = 10.0) -> str:
        """The approval message's ts as the bot stored it. The stand-in records the post before
        the bot has the answer, so a click right after the post could still find none."""
        store, deadline = self.deps.approvals.store, time.monotonic() + timeout
        while (approval := store.get(approval_id)) is None or approval.message_ts is None:
            if time.monotonic() > deadline:
                raise TimeoutError(f"approval {approval_id} has no stored message")
            time.sleep(0.005)  # polling a condition, not a guess at how long something takes
        return approval.message_ts

    def command(self, text: str, user: str = ASKER) -> int:
        body = standin.slash_command_body(text, user, CHANNEL, self.slack.response_url)
        return self.post(body, FORM)[0]

    def approval_messages(self, thread_ts: str, count: int = 1) -> list[Call]:
        """The approval messages posted into a thread, once `count` of them arrived."""

        def approvals(calls: list[Call]) -> list[Call] | None:
            found = [c for c in calls if is_approval_post(c, thread_ts)]
            return found if len(found) >= count else None

        return self.slack.wait_for(approvals)

    def status_ts(self, thread_ts: str) -> str:
        [status] = self.slack.wait_call("chat.postMessage", thread_ts=thread_ts, text=WORKING)
        return status.result["ts"]

    def answer(self, thread_ts: str, timeout: float = 10.0) -> dict[str, Any]:
        """The arguments of the chat.update that put the answer into the status message."""
        ts = self.status_ts(thread_ts)

        def answered(calls: list[Call]) -> dict[str, Any] | None:
            updates = [c.args for c in calls if c.method == "chat.update" and c.args["ts"] == ts]
            final = [u for u in updates if ":hourglass_flowing_sand:" not in str(u["blocks"])]
            return final[0] if final else None

        return self.slack.wait_for(answered, timeout)


def is_approval_post(call: Call, thread_ts: str) -> bool:
    return (
        call.method == "chat.postMessage"
        and call.args.get("thread_ts") == thread_ts
        and str(call.args.get("text", "")).startswith("Approval needed")
    )


def bot_config(
    workers: int | None = None, channels: frozenset[str] | None = None, **approvals: Any
) -> BotConfig:
    cfg = load_bot_config(REPO / "config" / "bot.yaml")
    settings = replace(
        cfg.approvals,
        **{"approvers": frozenset({ONCALL}), "approver_groups": ("SONCALL",), **approvals},
    )
    return replace(
        cfg,
        approvals=settings,
        workers=workers or cfg.workers,
        channels=cfg.channels if channels is None else channels,
    )


def start_bot(
    slack: SlackAPIStandIn,
    db: Path,
    scripts: dict[str, list[str]],
    monkeypatch: pytest.MonkeyPatch,
    agent: Any = None,
    workers: int | None = None,
    channels: frozenset[str] | None = None,
    **approvals: Any,
) -> Bot:
    monkeypatch.setenv("SLACK_API_URL", slack.api_url)
    client = slack_client("xoxb-test-token")
    model = RoutedModel(scripts)
    tools = {s.name: RecordingExecutor(s) for s in (SSH_SPEC, IPMI_SPEC, HTTP_SPEC)}
    audit = AuditLog(db)

    if agent is None:
        agent = Agent(
            AgentDeps(
                model=model,
                tools=dict(tools),
                policy=POLICY,
                limiter=SlidingWindowLimiter(30, 60),
                audit=audit,
                caps=AgentCaps(max_iterations=4, tool_timeout_s=5),
            )
        )
    deps = build_bot_deps(bot_config(workers, channels, **approvals), client, agent, db, audit)
    app = build_app(deps, SECRET, token_verification_enabled=False)
    server = http_server(app, deps, SECRET, "127.0.0.1", 0).__enter__()
    return Bot(slack, deps, server, audit, tools, model)


def stop_bot(bot: Bot) -> None:
    bot.server.close()
    bot.deps.close()
    bot.audit.close()


@pytest.fixture
def slack() -> Iterator[SlackAPIStandIn]:
    with SlackAPIStandIn(usergroups={"SONCALL": [GROUP_MEMBER]}) as api:
        yield api


@pytest.fixture
def make_bot(slack, tmp_path, monkeypatch) -> Iterator[Any]:
    """make_bot(scripts, **approval settings) -> Bot; every bot is stopped after the test."""
    bots: list[Bot] = []

    def make(
        scripts: dict[str, list[str]],
        agent: Any = None,
        workers: int | None = None,
        **approvals: Any,
    ) -> Bot:
        db = tmp_path / "audit.sqlite"
        bot = start_bot(slack, db, scripts, monkeypatch, agent, workers, **approvals)
        bots.append(bot)
        return bot

    yield make
    for bot in reversed(bots):
        stop_bot(bot)


class LogWatch(logging.Handler):
    """Log records of the bot, with a wait for one to arrive: how a test waits for a listener
    that deliberately does nothing (an ignored event) to have run."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self._cond = threading.Condition()

    def emit(self, record: logging.LogRecord) -> None:
        with self._cond:
            self.records.append(record)
            self._cond.notify_all()

    def messages(self, part: str) -> list[str]:
        with self._cond:
            return [r.getMessage() for r in self.records if part in r.getMessage()]

    def wait_for(self, part: str, count: int = 1, timeout: float = 10.0) -> list[str]:
        with self._cond:
            found = self._cond.wait_for(lambda: len(self.messages(part)) >= count, timeout)
        if not found:
            raise TimeoutError(f"no {count} log records with {part!r}")
        return self.messages(part)


@pytest.fixture
def log_watch() -> Iterator[LogWatch]:
    watch = LogWatch()
    root = logging.getLogger("bot")
    level = root.level
    root.addHandler(watch)
    root.setLevel(logging.DEBUG)
    yield watch
    root.removeHandler(watch)
    root.setLevel(level)


@pytest.fixture(autouse=True)
def no_bot_outlives_its_test() -> Iterator[None]:
    """A bot process a failing test started is killed when the test ends."""
    yield
    from tests.bot.slack.process import kill_leftovers

    kill_leftovers()
