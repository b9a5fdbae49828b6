"""One conversation turn in a thread: status message, agent run, answer blocks, memory.

Conversations run on this module's own thread pool, not on Bolt's listener executor: a
conversation can block for up to the approval timeout inside `confirm()`, and Bolt's executor
(5 threads by default) also runs the click listeners that would wake it. Sharing it would let
five waiting conversations starve the very clicks they wait for.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.agent.confirm import ApprovalRequest
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

log = logging.getLogger(__name__)

WORKING_TEXT = "Working on it…"
MODEL_DOWN_TEXT = (
    "The model server did not answer, so I could not finish. Try again in a minute; "
    "`/halops status` shows whether it is up."
)
FAILED_TEXT = "Something went wrong on my side and I could not finish; the bot's log has details."
SEEN_EVENTS = 1000  # event ids remembered to drop Slack's retried deliveries


class AgentRunner(Protocol):
    def turn(
        self,
        request: str,
        history: list[dict[str, str]] | None = None,
        requester: str = "terminal",
        conversation_id: str | None = None,
    ) -> Turn: ...


class RecentEvents:
    """Event ids already accepted. Slack redelivers an event it thinks was not acknowledged;
    a second delivery must not start a second conversation."""

    def __init__(self, size: int = SEEN_EVENTS) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._size, self._lock = size, threading.Lock()

    def first_time(self, event_id: str | None) -> bool:
        if not event_id:
            return True
        with self._lock:
            if event_id in self._ids:
                return False
            self._ids[event_id] = None
            if len(self._ids) > self._size:
                self._ids.popitem(last=False)
            return True


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
        self.pool = ThreadPoolExecutor(config.workers, thread_name_prefix="halops-conversation")
        self._thread_locks: dict[ThreadKey, threading.Lock] = {}
        self._status: dict[str, str] = {}  # conversation id -> ts of its status message
        self._guard = threading.Lock()

    def submit(self, key: ThreadKey, text: str, user: str) -> Future[None]:
        return self.pool.submit(self._converse_logged, key, text, user)

    def _converse_logged(self, key: ThreadKey, text: str, user: str) -> None:
        # A pool thread's exception would vanish into an unread Future; log it instead.
        try:
            self.converse(key, text, user)
        except Exception:
            log.exception("conversation %s: could not talk to Slack", key.conversation_id)
            raise

    def shutdown(self) -> None:
        self.approvals.shutdown()
        self.pool.shutdown(wait=True, cancel_futures=True)

    def converse(self, key: ThreadKey, text: str, user: str) -> None:
        """One turn. Turns of one thread run one after another, so memory stays in order."""
        with self._lock_for(key):
            status_ts = self._post(key, build_status_blocks(WORKING_TEXT), WORKING_TEXT)
            self._status[key.conversation_id] = status_ts
            try:
                result = self._run_agent(key, text, user)
            finally:
                self._status.pop(key.conversation_id, None)
                self.approvals.finish_conversation(key.conversation_id)
            if isinstance(result, str):
                return self._replace(key, status_ts, [build_error_blocks(result)])
            self.memory.append(key, "user", text)
            self.memory.append(key, "assistant", result.answer)
            messages = build_answer_messages(result.answer, result.steps, self.config.formatting)
            self._replace(key, status_ts, messages)

    def _run_agent(self, key: ThreadKey, text: str, user: str) -> AgentResult | str:
        """The agent's result, or the text to tell the person when it failed."""
        history = self.memory.load(key, self.config.history_messages)
        turn = self.agent.turn(
            text, history=history, requester=user, conversation_id=key.conversation_id
        )
        try:
            return self._drive(turn)
        except ModelUnavailable:
            log.exception("model server unavailable in %s", key.conversation_id)
            return MODEL_DOWN_TEXT
        except Exception:  # any bug must reach the person as a message, not a silent thread
            log.exception("conversation %s failed", key.conversation_id)
            return FAILED_TEXT

    def _drive(self, turn: Turn) -> AgentResult:
        """Approval requests go to the Slack approvals; approved runs are reported there."""
        try:
            interaction = next(turn)
            while True:
                if isinstance(interaction, ApprovalRequest):
                    interaction = turn.send(self.approvals.confirm(interaction))
                else:
                    self.approvals.report(interaction)
                    interaction = turn.send(None)
        except StopIteration as done:
            return done.value

    def show_status(self, conversation_id: str, text: str) -> None:
        """Status hook for the approvals: the status message says what it waits for."""
        status_ts = self._status.get(conversation_id)
        if status_ts is not None:
            key = ThreadKey.parse(conversation_id)
            self._update(key, status_ts, build_status_blocks(text), text)

    # --- Slack calls ---------------------------------------------------------------------------

    def _lock_for(self, key: ThreadKey) -> threading.Lock:
        with self._guard:
            return self._thread_locks.setdefault(key, threading.Lock())

    def _post(self, key: ThreadKey, blocks: list[dict[str, Any]], text: str) -> str:
        response = self.client.chat_postMessage(
            channel=key.channel, thread_ts=key.thread_ts, blocks=blocks, text=text
        )
        return str(response["ts"])

    def _update(self, key: ThreadKey, ts: str, blocks: list[dict[str, Any]], text: str) -> None:
        try:
            self.client.chat_update(channel=key.channel, ts=ts, blocks=blocks, text=text)
        except SlackApiError as exc:
            log.error("cannot update message %s in %s: %s", ts, key.conversation_id, exc)

    def _replace(self, key: ThreadKey, status_ts: str, messages: list[list[dict[str, Any]]]):
        """The first message replaces the status message; the rest follow in the thread."""
        first, *rest = messages
        self._update(key, status_ts, first, fallback_text(first))
        for blocks in rest:
            self._post(key, blocks, fallback_text(blocks))
