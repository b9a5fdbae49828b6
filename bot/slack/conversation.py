"""Conversations in threads: status message, the agent's turn, approvals, answer, memory.

A conversation runs on a worker only while it has work (a model call, a command). When its
turn asks for an approval it parks: the turn (a generator, `Agent.turn`) is kept in memory and
the worker is free; the click or the deadline resumes it on a worker with the decision. So
pending approvals never hold workers, and an approver's own question is answered while eight
requests wait for them.

Turns of one Slack thread run one after another (a per-thread queue), so memory stays in
order; a follow-up in a thread whose turn is parked waits for that turn, holding no worker.

The workers are daemon threads (`bot.slack.workers`): a model call in flight must not keep
the bot alive after SIGTERM.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

from slack_sdk import WebClient

from bot.agent.confirm import ApprovalDecision, ApprovedRun
from bot.agent.loop import AgentResult, Turn
from bot.agent.model import ModelUnavailable
from bot.slack.approvals import SlackApprovals
from bot.slack.blocks import (
    build_answer_messages,
    build_error_blocks,
    build_status_blocks,
    fallback_text,
)
from bot.slack.config import BotConfig
from bot.slack.memory import ThreadKey, ThreadMemory
from bot.slack.workers import WorkerPool

log = logging.getLogger(__name__)

WORKING_TEXT = "Working on it…"
WAITING_TEXT = "Waiting for an approver…"
MODEL_DOWN_TEXT = (
    "The model server did not answer, so I could not finish. Try again in a minute; "
    "`/halops status` shows whether it is up."
)
FAILED_TEXT = "Something went wrong on my side and I could not finish; the bot's log has details."
STOPPED_TEXT = "The bot stopped before this request was decided; nothing ran. Ask again later."


class AgentRunner(Protocol):
    def turn(
        self,
        request: str,
        history: list[dict[str, str]] | None = None,
        requester: str = "terminal",
        conversation_id: str | None = None,
    ) -> Turn: ...


@dataclass
class Conversation:
    """One turn in one thread, from the question to the answer (possibly parked meanwhile)."""

    key: ThreadKey
    text: str
    user: str
    status_ts: str | None = None
    turn: Turn | None = None
    approved: int | None = None  # approval id approved but whose outcome is not reported yet
    lock: threading.Lock = field(default_factory=threading.Lock)


class ConversationRunner:
    def __init__(
        self,
        client: WebClient,
        agent: AgentRunner,
        memory: ThreadMemory,
        approvals: SlackApprovals,
        config: BotConfig,
    ) -> None:
        self.client, self.agent, self.memory, self.approvals = client, agent, memory, approvals
        self.config = config
        self.pool = WorkerPool(config.workers, "halops-conversation")
        self._threads: dict[ThreadKey, deque[Conversation]] = {}  # head: the active turn
        self._guard = threading.Lock()
        self._closing = False

    def submit(self, key: ThreadKey, text: str, user: str) -> None:
        """Queue a turn in `key`'s thread; it starts when the thread's earlier turns are done."""
        conversation = Conversation(key, text, user)
        with self._guard:
            waiting = self._threads.setdefault(key, deque())
            waiting.append(conversation)
            first = len(waiting) == 1
        if first:
            self.pool.submit(self._start, conversation)

    def shutdown(
        self, grace_s: float = 3.0, stop_commands: Callable[[], object] = lambda: None
    ) -> None:
        """Cancel parked approvals (their threads are told), stop running commands (their
        approval messages then say `failed`), and let running turns end: all within `grace_s`.
        The cancellations talk to Slack, which may be slow: they run on a daemon thread, and
        whatever is left pending is cancelled by the next start."""
        deadline = time.monotonic() + grace_s
        self._closing = True
        notify = threading.Thread(target=self.approvals.shutdown, name="halops-stop", daemon=True)
        notify.start()
        stop_commands()
        notify.join(grace_s)
        if not self.pool.shutdown(max(0.0, deadline - time.monotonic())):
            log.warning("conversations still running at shutdown are abandoned")

    # --- one turn ------------------------------------------------------------------------------

    def _start(self, conversation: Conversation) -> None:
        try:
            key = conversation.key
            conversation.status_ts = self._post(
                key, build_status_blocks(WORKING_TEXT), WORKING_TEXT
            )
            history = self.memory.load(key, self.config.history_messages)
            conversation.turn = self.agent.turn(
                conversation.text,
                history=history,
                requester=conversation.user,
                conversation_id=key.conversation_id,
            )
        except Exception:
            log.exception("conversation %s could not start", conversation.key.conversation_id)
            self._next_in_thread(conversation)
            raise
        self._advance(conversation, None)

    def _advance(self, conversation: Conversation, answer: ApprovalDecision | None) -> None:
        """Run the turn until it ends or parks at an approval (then return: no thread waits)."""
        with conversation.lock:  # a fast click cannot resume a turn that is still parking
            result: AgentResult | str | None
            try:
                result = self._run_until_parked(conversation, answer)
            except ModelUnavailable:
                log.exception("model server unavailable in %s", conversation.key.conversation_id)
                result = MODEL_DOWN_TEXT
            except Exception:  # any bug must reach the person as a message, not a silent thread
                log.exception("conversation %s failed", conversation.key.conversation_id)
                result = FAILED_TEXT
        if result is not None:
            self._finish(conversation, result)

    def _run_until_parked(
        self, conversation: Conversation, answer: ApprovalDecision | None
    ) -> AgentResult | None:
        """The turn's result, or None once it is parked at an approval."""
        turn = conversation.turn
        assert turn is not None
        try:
            interaction = turn.send(answer)
            while True:
                if isinstance(interaction, ApprovedRun):
                    self.approvals.report(interaction)
                    conversation.approved = None
                    interaction = turn.send(None)
                    continue
                resume = partial(self._resume, conversation)
                decision = self.approvals.propose(interaction, resume)
                if decision is None:
                    self._set_status(conversation, WAITING_TEXT)
                    return None
                interaction = turn.send(decision)
        except StopIteration as done:
            return done.value

    def _resume(self, conversation: Conversation, decision: ApprovalDecision) -> None:
        """Called by the approvals (click, expiry, cancellation) on whichever thread decided."""
        if decision.outcome == "approved":
            conversation.approved = decision.approval_id
        if self._closing or not self.pool.submit(self._continue, conversation, decision):
            self._set_status(conversation, STOPPED_TEXT)

    def _continue(self, conversation: Conversation, decision: ApprovalDecision) -> None:
        self._set_status(conversation, WORKING_TEXT)
        self._advance(conversation, decision)

    def _finish(self, conversation: Conversation, result: AgentResult | str) -> None:
        try:
            if conversation.approved is not None:  # the turn broke between approval and report
                self.approvals.interrupted(conversation.approved)
            self._reply(conversation, result)
        finally:
            self._next_in_thread(conversation)

    def _reply(self, conversation: Conversation, result: AgentResult | str) -> None:
        key, status_ts = conversation.key, conversation.status_ts
        assert status_ts is not None
        if isinstance(result, str):
            return self._replace(key, status_ts, [build_error_blocks(result)])
        self.memory.append(key, "user", conversation.text)
        self.memory.append(key, "assistant", result.answer)
        messages = build_answer_messages(result.answer, result.steps, self.config.formatting)
        self._replace(key, status_ts, messages)

    def _next_in_thread(self, conversation: Conversation) -> None:
        with self._guard:
            waiting = self._threads.get(conversation.key)
            if waiting and waiting[0] is conversation:
                waiting.popleft()
            following = waiting[0] if waiting else None
            if waiting is not None and not waiting:
                del self._threads[conversation.key]
        if following is not None:
            self.pool.submit(self._start, following)

    # --- Slack calls ---------------------------------------------------------------------------

    def _set_status(self, conversation: Conversation, text: str) -> None:
        if conversation.status_ts is not None:
            self._update(conversation.key, conversation.status_ts, build_status_blocks(text), text)

    def _post(self, key: ThreadKey, blocks: list[dict[str, Any]], text: str) -> str:
        response = self.client.chat_postMessage(
            channel=key.channel, thread_ts=key.thread_ts, blocks=blocks, text=text
        )
        return str(response["ts"])

    def _update(self, key: ThreadKey, ts: str, blocks: list[dict[str, Any]], text: str) -> None:
        try:
            self.client.chat_update(channel=key.channel, ts=ts, blocks=blocks, text=text)
        except Exception as exc:  # best effort: a status line must not stop the conversation
            log.error("cannot update message %s in %s: %s", ts, key.conversation_id, exc)

    def _replace(self, key: ThreadKey, status_ts: str, messages: list[list[dict[str, Any]]]):
        """The first message replaces the status message; the rest follow in the thread."""
        first, *rest = messages
        self._update(key, status_ts, first, fallback_text(first))
        for blocks in rest:
            self._post(key, blocks, fallback_text(blocks))
