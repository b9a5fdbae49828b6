"""The confirmation tier in Slack: post the request, wait for an authorised click, apply it once.

How the pieces meet: the agent's conversation thread calls `SlackApprovals.confirm`, which
persists a pending approval (`ApprovalStore`), posts the Approve/Deny message and blocks on a
`threading.Event`. A click arrives on a Bolt listener thread and calls `handle_click`, which
checks the approver, changes the state with a compare-and-set and sets the event. The waiting
thread wakes, reads the decided state and hands the agent its decision, which carries the
approval's id; once the approved call has run, the conversation reports its outcome under that
id (`report`) and the message shows it.

Restart semantics (the chosen behaviour): a waiting conversation lives in process memory, so a
restart loses it. On startup `recover()` marks every pending approval from before the restart
as `expired` when its deadline has passed, otherwise `cancelled` ("the conversation that asked
is gone; ask again"), and updates its message. A click that still reaches such a request
(e.g. the message update failed) is checked against the live waiters and cancelled the same
way. Nothing approved before a restart ever runs after it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.agent.confirm import ApprovalDecision, ApprovalRequest, ApprovedRun
from bot.safety.audit import AuditError, AuditLog
from bot.slack.blocks import build_approval_blocks, build_approval_text, cut
from bot.slack.config import ApprovalSettings
from bot.slack.memory import ThreadKey
from bot.slack.store import Approval, ApprovalStore, now

log = logging.getLogger(__name__)

SYSTEM_ACTOR = "halops"  # the audit actor for expiry and cancellation
MESSAGE_LOCKS = 64  # striped locks serialising the updates of one approval message

StatusHook = Callable[[str, str], None]


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds")


class ApproverPolicy:
    """Who may decide: listed user ids, members of listed user groups, never the requester
    unless `allow_self_approval`. A group lookup that fails grants nothing (fail closed)."""

    def __init__(
        self, settings: ApprovalSettings, client: WebClient, clock: Callable[[], float] = now
    ) -> None:
        self.settings, self.client, self.clock = settings, client, clock
        self._groups: dict[str, tuple[float, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def refusal(self, user: str, requester: str) -> str | None:
        """None when `user` may decide; else the reason shown to them."""
        if user == requester and not self.settings.allow_self_approval:
            return "You asked for this command, so someone else has to approve it."
        if not self.is_approver(user):
            return "You are not an approver for HALops commands; ask the on-call."
        return None

    def is_approver(self, user: str) -> bool:
        if user in self.settings.approvers:
            return True
        return any(user in self.group_members(g) for g in self.settings.approver_groups)

    def group_members(self, group: str) -> frozenset[str]:
        with self._lock:
            cached = self._groups.get(group)
            if cached and self.clock() - cached[0] < self.settings.group_cache_s:
                return cached[1]
        try:
            response = self.client.usergroups_users_list(usergroup=group)
        except SlackApiError as exc:
            log.warning("cannot list members of user group %s: %s", group, exc)
            return frozenset()
        members = frozenset(response.get("users") or [])
        with self._lock:
            self._groups[group] = (self.clock(), members)
        return members


class SlackApprovals:
    """A `Confirmer` for the agent plus the click, expiry and restart handling around it."""

    def __init__(
        self,
        store: ApprovalStore,
        client: WebClient,
        policy: ApproverPolicy,
        audit: AuditLog | None,
        settings: ApprovalSettings,
        result_chars: int = 1500,
        clock: Callable[[], float] = now,
    ) -> None:
        self.store, self.client, self.policy, self.audit = store, client, policy, audit
        self.timeout_s, self.result_chars, self.clock = settings.timeout_s, result_chars, clock
        self.channel = settings.channel  # None: in the conversation's thread
        self.on_status: StatusHook | None = None
        self._waiters: dict[int, threading.Event] = {}
        self._waiters_lock = threading.Lock()
        self._message_locks = [threading.Lock() for _ in range(MESSAGE_LOCKS)]
        self._closing = False

    # --- the agent's side: propose and wait -------------------------------------------------

    def confirm(self, request: ApprovalRequest) -> ApprovalDecision:
        key = ThreadKey.parse(request.conversation_id)
        approval = self._create(request, key)
        event = threading.Event()
        with self._waiters_lock:
            self._waiters[approval.id] = event  # before posting: a fast click must find it
        try:
            self._audit(approval, "proposed", request.requester, expires_at=iso(approval.deadline))
            if not self._post(approval):
                self.cancel(approval.id, "the approval message could not be posted")
            else:
                self._status(request.conversation_id, "Waiting for an approver…")
            decided = self._wait(approval, event)
        finally:
            with self._waiters_lock:
                self._waiters.pop(approval.id, None)
        if decided.state != "approved":  # when approved, report() says so after the run
            self._status(request.conversation_id, "Working on it…")
        return self._decision(decided, request)

    def _create(self, request: ApprovalRequest, key: ThreadKey) -> Approval:
        created = self.clock()
        channel = self.channel or key.channel
        return self.store.create(
            verdict_id=request.verdict_id,
            conversation_id=request.conversation_id,
            channel=channel,
            # Elsewhere than the conversation, the request is a top-level message ("").
            thread_ts=key.thread_ts if channel == key.channel else "",
            requester=request.requester,
            tool=request.tool,
            transport=request.transport,
            host=request.host,
            command=request.command,
            rule_id=request.rule_id,
            reason=request.reason,
            created_at=created,
            deadline=created + self.timeout_s,
        )

    def _post(self, approval: Approval) -> bool:
        try:
            response = self.client.chat_postMessage(
                channel=approval.channel,
                thread_ts=approval.thread_ts or None,  # None: a top-level message
                blocks=build_approval_blocks(approval),
                text=build_approval_text(approval),
            )
        except SlackApiError as exc:
            log.error("cannot post approval %s: %s", approval.id, exc)
            return False
        self.store.set_message(approval.id, str(response["ts"]))
        return True

    def _wait(self, approval: Approval, event: threading.Event) -> Approval:
        """Until decided, expired or shut down; the deadline is enforced here as well as on
        clicks, so an unanswered request expires even if nobody ever clicks."""
        while not event.is_set() and not self._closing:
            remaining = approval.deadline - self.clock()
            if remaining <= 0:
                self.expire(approval.id)
                break
            event.wait(remaining)
        current = self.store.get(approval.id)
        assert current is not None
        if current.state == "pending":  # woken by shutdown: nobody will decide now
            self.cancel(approval.id, "the bot is shutting down")
            current = self.store.get(approval.id)
            assert current is not None
        return current

    def _decision(self, approval: Approval, request: ApprovalRequest) -> ApprovalDecision:
        if approval.state == "approved":
            return ApprovalDecision("approved", approval.decided_by, approval.id)
        if approval.state == "rejected":
            return ApprovalDecision("denied", approval.decided_by, approval.id)
        # Expired, or cancelled (shutdown, unpostable message): nobody decided, nothing runs.
        return ApprovalDecision("expired", None, approval.id)

    # --- the approver's side: clicks ---------------------------------------------------------

    def handle_click(self, approval_id: int, user: str, approve: bool) -> str | None:
        """Apply a click once. None when applied; else the text of an ephemeral reply."""
        approval = self.store.get(approval_id)
        if approval is None:
            return "I do not know this approval request."
        refusal = self.policy.refusal(user, approval.requester)
        if refusal is not None:
            log.warning("refused click by %s on approval %s", user, approval_id)
            return refusal
        if approval.state != "pending":
            return f"This request is already {approval.state}; nothing more happens."
        if self.clock() >= approval.deadline:
            self.expire(approval_id)  # fail closed: a late click never runs anything
            return "This request has expired; nothing ran. Ask again if it is still needed."
        with self._waiters_lock:
            waiter = self._waiters.get(approval_id)
        if waiter is None:
            self.cancel(approval_id, "no conversation is waiting (the bot restarted)")
            return "The bot restarted and this conversation is gone; nothing ran. Ask again."
        return self._decide(approval, user, approve, waiter)

    def _decide(
        self, approval: Approval, user: str, approve: bool, waiter: threading.Event
    ) -> str | None:
        state = "approved" if approve else "rejected"
        if not self.store.transition(
            approval.id, "pending", state, decided_by=user, decided_at=self.clock()
        ):
            return "Someone else decided this request first; nothing more happens."
        self._audit(approval, state, user)
        waiter.set()  # wake the conversation first: the message update is not on the path
        self.refresh(approval.id)
        return None

    # --- expiry, cancellation, restart --------------------------------------------------------

    def expire(self, approval_id: int) -> bool:
        if not self.store.transition(approval_id, "pending", "expired"):
            return False
        self._audit_id(approval_id, "expired", SYSTEM_ACTOR)
        self._wake(approval_id)
        self.refresh(approval_id)
        return True

    def cancel(self, approval_id: int, reason: str) -> bool:
        if not self.store.transition(approval_id, "pending", "cancelled"):
            return False
        self._audit_id(approval_id, "cancelled", SYSTEM_ACTOR, {"reason": reason})
        self._wake(approval_id)
        self.refresh(approval_id)
        return True

    def _wake(self, approval_id: int) -> None:
        with self._waiters_lock:
            waiter = self._waiters.get(approval_id)
        if waiter is not None:
            waiter.set()

    def recover(self) -> list[int]:
        """At startup: no pending approval from before survives as executable (module doc)."""
        changed = []
        for approval in self.store.in_state("pending"):
            if self.clock() >= approval.deadline:
                done = self.expire(approval.id)
            else:
                done = self.cancel(approval.id, "the bot restarted; the conversation is gone")
            changed += [approval.id] if done else []
        for approval in self.store.in_state("approved"):
            # Approved, but the result never came back: it may or may not have run.
            if self.store.transition(approval.id, "approved", "interrupted"):
                self.refresh(approval.id)
                changed.append(approval.id)
        return changed

    def shutdown(self) -> None:
        """Wake every waiting conversation; their requests are cancelled, nothing runs."""
        self._closing = True
        with self._waiters_lock:
            waiters = list(self._waiters.values())
        for event in waiters:
            event.set()

    # --- execution results -------------------------------------------------------------------

    def report(self, run: ApprovedRun) -> None:
        """The approved call's outcome on its message (the output arrives scrubbed)."""
        approval_id = run.decision.approval_id
        if approval_id is None:
            return
        output = cut(run.output.strip(), self.result_chars)
        self.store.transition(
            approval_id, "approved", run.outcome, exit_status=run.exit_status, result=output
        )
        self.refresh(approval_id)
        approval = self.store.get(approval_id)
        if approval is not None:
            self._status(approval.conversation_id, "Working on it…")

    def finish_conversation(self, conversation_id: str) -> None:
        """Approved but never reported (the turn crashed): say so on the message."""
        for approval in self.store.in_state("approved", conversation_id):
            if self.store.transition(approval.id, "approved", "not_run"):
                self.refresh(approval.id)

    def _status(self, conversation_id: str, text: str) -> None:
        if self.on_status is not None:
            self.on_status(conversation_id, text)

    # --- the message and the audit log -------------------------------------------------------

    def refresh(self, approval_id: int) -> None:
        """Re-render the message from the stored state. Under a per-message lock, so that
        updates from the click thread and the conversation thread land in state order."""
        with self._message_locks[approval_id % MESSAGE_LOCKS]:
            approval = self.store.get(approval_id)
            if approval is None or approval.message_ts is None:
                return
            try:
                self.client.chat_update(
                    channel=approval.channel,
                    ts=approval.message_ts,
                    blocks=build_approval_blocks(approval),
                    text=build_approval_text(approval),
                )
            except SlackApiError as exc:
                log.error("cannot update approval message %s: %s", approval_id, exc)

    def _audit_id(
        self, approval_id: int, kind: str, actor: str, detail: dict[str, Any] | None = None
    ) -> None:
        approval = self.store.get(approval_id)
        if approval is not None:
            self._audit(approval, kind, actor, detail=detail)

    def _audit(
        self,
        approval: Approval,
        kind: str,
        actor: str,
        expires_at: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        if self.audit is None or not approval.verdict_id:
            return
        where = {"approval_id": approval.id, "channel": approval.channel}
        try:
            self.audit.record_event(
                approval.verdict_id,
                kind,
                actor=actor,
                expires_at=expires_at,
                detail={**where, **(detail or {})},
            )
        except AuditError as exc:
            log.error("audit event %s for approval %s refused: %s", kind, approval.id, exc)
