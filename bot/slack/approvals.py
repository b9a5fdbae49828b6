"""The confirmation tier in Slack: post the request, park the conversation, apply a click once.

How the pieces meet: a conversation whose turn asks for approval calls `SlackApprovals.propose`
with a `resume` callback. It persists a pending approval (`ApprovalStore`), posts the
Approve/Deny message and returns at once: the conversation parks (no thread waits for the
click). A click arrives on a Bolt listener thread and calls `handle_click`, which checks the
approver and the message, changes the state with a compare-and-set and calls `resume` with
the decision, which carries the approval's id; the conversation continues on a worker and,
once the approved call has run, reports its outcome under that id (`report`). One thread
(`DeadlineWatch`) expires requests nobody decided, which resumes them the same way.

Restart semantics (the chosen behaviour): a waiting conversation lives in process memory, so a
restart loses it. On startup `recover()` marks every pending approval from before the restart
as `expired` when its deadline has passed, otherwise `cancelled` ("the conversation that asked
is gone; ask again"), and updates its message. A click that still reaches such a request
(e.g. the message update failed) is checked against the live waiters and cancelled the same
way. Nothing approved before a restart ever runs after it.
"""

from __future__ import annotations

import heapq
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.agent.confirm import ApprovalDecision, ApprovalRequest, ApprovedRun
from bot.safety.audit import AuditError, AuditLog
from bot.slack.blocks import build_approval_blocks, build_approval_text, cut
from bot.slack.config import ApprovalSettings
from bot.slack.memory import ThreadKey
from bot.slack.store import REQUEST_COLUMNS, Approval, ApprovalStore, now

log = logging.getLogger(__name__)

SYSTEM_ACTOR = "halops"  # the audit actor for expiry and cancellation
MESSAGE_LOCKS = 64  # striped locks serialising the updates of one approval message


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


class DeadlineWatch:
    """Calls `expire(approval_id)` once each deadline has passed. One thread for every pending
    request (a `threading.Timer` each would cost a thread per parked conversation); expiring
    an already decided request changes nothing, so entries are never removed early."""

    def __init__(self, expire: Callable[[int], object], clock: Callable[[], float] = now) -> None:
        self._expire, self._clock = expire, clock
        self._heap: list[tuple[float, int]] = []
        self._cond = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="halops-deadlines", daemon=True)
        self._thread.start()

    def add(self, deadline: float, approval_id: int) -> None:
        with self._cond:
            heapq.heappush(self._heap, (deadline, approval_id))
            self._cond.notify()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()

    def _next_due(self) -> int | None:
        with self._cond:
            while not self._stopped:
                if self._heap and self._heap[0][0] <= self._clock():
                    return heapq.heappop(self._heap)[1]
                self._cond.wait(self._heap[0][0] - self._clock() if self._heap else None)
            return None

    def _run(self) -> None:
        while (approval_id := self._next_due()) is not None:
            try:
                self._expire(approval_id)
            except Exception:  # one failed update must not stop every later expiry
                log.exception("could not expire approval %s", approval_id)


Resume = Callable[[ApprovalDecision], None]


@dataclass(frozen=True)
class Parked:
    """A conversation waiting for a decision on one approval."""

    requester: str
    resume: Resume


class SlackApprovals:
    """The confirmation tier: propose, clicks, expiry, restart recovery, result reports."""

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
        self.max_pending_per_user = settings.max_pending_per_user
        self.channel = settings.channel  # None: in the conversation's thread
        self._parked: dict[int, Parked] = {}
        self._parked_lock = threading.Lock()
        self._message_locks = [threading.Lock() for _ in range(MESSAGE_LOCKS)]
        self._closing = False
        self._deadlines = DeadlineWatch(self.expire)

    # --- the conversation's side: propose, then park ------------------------------------------

    def propose(self, request: ApprovalRequest, resume: Resume) -> ApprovalDecision | None:
        """Post the request. None: a person decides, and `resume` is called exactly once with
        the decision (click, expiry, cancellation, shutdown). Otherwise the decision at once:
        the request was withheld (too many pending for the requester, shutting down) or its
        message could not be posted."""
        with self._parked_lock:
            withheld = self._withheld_reason(request.requester)
            if withheld is None:
                approval = self._create(request, ThreadKey.parse(request.conversation_id))
                # Parked before posting: a fast click must find it.
                self._parked[approval.id] = Parked(request.requester, resume)
        if withheld is not None:
            self._audit_verdict(request.verdict_id, "cancelled", {"reason": withheld})
            return ApprovalDecision("withheld", reason=withheld)
        self._audit(approval, "proposed", request.requester, expires_at=iso(approval.deadline))
        if not self._post(approval):
            with self._parked_lock:
                self._parked.pop(approval.id, None)
            self._transition_to_cancelled(approval.id, "the approval message could not be posted")
            return self._decision(approval.id)
        self._deadlines.add(approval.deadline, approval.id)
        return None

    def _withheld_reason(self, requester: str) -> str | None:
        """Under the parked lock: why no new request of `requester` may be posted now."""
        if self._closing:
            return "the bot is shutting down"
        pending = sum(1 for p in self._parked.values() if p.requester == requester)
        if pending >= self.max_pending_per_user:
            return f"{pending} earlier requests of yours are still waiting for an approver"
        return None

    def _create(self, request: ApprovalRequest, key: ThreadKey) -> Approval:
        created = self.clock()
        channel = self.channel or key.channel
        return self.store.create(
            **{column: getattr(request, column) for column in REQUEST_COLUMNS},
            channel=channel,
            # Elsewhere than the conversation, the request is a top-level message ("").
            thread_ts=key.thread_ts if channel == key.channel else "",
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
        except Exception as exc:  # Slack's error, or no Slack at all: nobody can decide
            log.error("cannot post approval %s: %s: %s", approval.id, type(exc).__name__, exc)
            return False
        self.store.set_message(approval.id, str(response["ts"]))
        return True

    def _decision(self, approval_id: int) -> ApprovalDecision:
        approval = self.store.get(approval_id)
        state = approval.state if approval is not None else "cancelled"
        decided_by = approval.decided_by if approval is not None else None
        if state == "approved":
            return ApprovalDecision("approved", decided_by, approval_id)
        if state == "rejected":
            return ApprovalDecision("denied", decided_by, approval_id)
        # Expired, or cancelled (shutdown, unpostable message): nobody decided, nothing runs.
        return ApprovalDecision("expired", None, approval_id)

    def _resume(self, approval_id: int) -> None:
        """Hand the parked conversation its decision, once."""
        with self._parked_lock:
            parked = self._parked.pop(approval_id, None)
        if parked is not None:
            parked.resume(self._decision(approval_id))

    def is_parked(self, approval_id: int) -> bool:
        with self._parked_lock:
            return approval_id in self._parked

    # --- the approver's side: clicks ---------------------------------------------------------

    def handle_click(
        self, value: str, user: str, approve: bool, channel: str | None, message_ts: str | None
    ) -> str | None:
        """Apply a click once. None when applied; else the text of an ephemeral reply. `value`
        is the button's (the approval id), `channel`/`message_ts` the message it was on: a
        click counts only on the message that was posted for that approval."""
        is_id = value.isascii() and value.isdigit() and len(value) <= 18  # fits SQLite's INTEGER
        approval = self.store.get(int(value)) if is_id else None
        if approval is None:
            return self._refuse(user, None, "I do not know this approval request.", value=value)
        if (channel, message_ts) != (approval.channel, approval.message_ts):
            text = "This button is not on the message of that request; nothing happened."
            return self._refuse(user, approval, text, channel=channel, message_ts=message_ts)
        refusal = self.policy.refusal(user, approval.requester)
        if refusal is not None:
            return self._refuse(user, approval, refusal)
        if approval.state != "pending":
            return f"This request is already {approval.state}; nothing more happens."
        if self.clock() >= approval.deadline:
            self.expire(approval.id)  # fail closed: a late click never runs anything
            return "This request has expired; nothing ran. Ask again if it is still needed."
        if not self.is_parked(approval.id):
            self.cancel(approval.id, "no conversation is waiting (the bot restarted)")
            return "The bot restarted and this conversation is gone; nothing ran. Ask again."
        return self._decide(approval, user, approve)

    def _refuse(self, user: str, approval: Approval | None, text: str, **detail: Any) -> str:
        """Log and audit a refused click (also on an unknown approval); `text` is the reply."""
        where = {"approval_id": approval.id} if approval else {}
        detail = {key: str(v)[:100] for key, v in detail.items() if v is not None}
        log.warning("refused click by %s (%s): %s", user[:40], {**where, **detail}, text)
        if self.audit is not None:
            verdict_id = approval.verdict_id if approval and approval.verdict_id else None
            try:
                self.audit.record_refusal(
                    user, text, verdict_id=verdict_id, detail={**where, **detail}
                )
            except AuditError as exc:
                log.error("audit of a refused click refused: %s", exc)
        return text

    def _decide(self, approval: Approval, user: str, approve: bool) -> str | None:
        state = "approved" if approve else "rejected"
        if not self.store.transition(
            approval.id, "pending", state, decided_by=user, decided_at=self.clock()
        ):
            return "Someone else decided this request first; nothing more happens."
        self._audit(approval, state, user)
        self._resume(approval.id)  # the conversation first: the message update is not on its path
        self.refresh(approval.id)
        return None

    # --- expiry, cancellation, restart --------------------------------------------------------

    def expire(self, approval_id: int) -> bool:
        if not self.store.transition(approval_id, "pending", "expired"):
            return False
        self._audit_id(approval_id, "expired", SYSTEM_ACTOR)
        self._resume(approval_id)
        self.refresh(approval_id)
        return True

    def cancel(self, approval_id: int, reason: str) -> bool:
        if not self._transition_to_cancelled(approval_id, reason):
            return False
        self._resume(approval_id)
        return True

    def _transition_to_cancelled(self, approval_id: int, reason: str) -> bool:
        if not self.store.transition(approval_id, "pending", "cancelled"):
            return False
        self._audit_id(approval_id, "cancelled", SYSTEM_ACTOR, {"reason": reason})
        self.refresh(approval_id)
        return True

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
            if self.interrupted(approval.id):
                changed.append(approval.id)
        return changed

    def shutdown(self) -> None:
        """Cancel every parked request (their conversations are told); nothing runs."""
        with self._parked_lock:
            self._closing = True
            parked = list(self._parked)
        self._deadlines.stop()
        for approval_id in parked:
            self.cancel(approval_id, "the bot is shutting down")
            self._resume(approval_id)  # also when it was no longer pending (another process)

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

    def interrupted(self, approval_id: int) -> bool:
        """Approved, but its outcome never came back (a crash, a restart): it may have run."""
        if not self.store.transition(approval_id, "approved", "interrupted"):
            return False
        self._audit_id(approval_id, "interrupted", SYSTEM_ACTOR)
        self.refresh(approval_id)
        return True

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
            except Exception as exc:  # best effort: the state is in the store, not the message
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
        where = {"approval_id": approval.id, "channel": approval.channel}
        self._audit_verdict(
            approval.verdict_id, kind, {**where, **(detail or {})}, actor, expires_at
        )

    def _audit_verdict(
        self,
        verdict_id: int,
        kind: str,
        detail: dict[str, Any],
        actor: str = SYSTEM_ACTOR,
        expires_at: str | None = None,
    ) -> None:
        if self.audit is None or not verdict_id:
            return
        try:
            self.audit.record_event(
                verdict_id, kind, actor=actor, expires_at=expires_at, detail=detail
            )
        except AuditError as exc:
            log.error("audit event %s for verdict %s refused: %s", kind, verdict_id, exc)
