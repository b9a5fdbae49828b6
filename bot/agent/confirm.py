"""The confirmation tier's interface: the loop asks, a person (terminal or Slack) decides.

A decision carries the id of the approval it answers, and once the approved call has run the
loop reports what became of it (`ApprovedRun`) under that id: no side channel matches
executions to approvals afterwards.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TextIO

Outcome = Literal["approved", "denied", "expired", "withheld"]
RunOutcome = Literal["executed", "failed", "not_run"]


@dataclass(frozen=True)
class ApprovalRequest:
    """Everything an approver must see: what runs, where, how, why it needs approval, who asked."""

    verdict_id: int
    tool: str
    transport: str
    host: str | None
    command: str
    rule_id: str
    reason: str
    requester: str
    conversation_id: str
    arguments: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ApprovalDecision:
    """`approved`/`denied` by a person, `expired` when nobody decided in time (or the request
    was cancelled), `withheld` when it was never put to a person (`reason` says why)."""

    outcome: Outcome
    approver: str | None = None
    approval_id: int | None = None  # the confirmer's own id of the request, if it has one
    reason: str = ""


@dataclass(frozen=True)
class ApprovedRun:
    """What became of an approved call, reported under its decision's approval id. `output` is
    already scrubbed: the loop scrubs a tool's output once, for the model and the approver."""

    decision: ApprovalDecision
    outcome: RunOutcome
    exit_status: int | None = None
    output: str = ""


class Confirmer(Protocol):
    def confirm(self, request: ApprovalRequest) -> ApprovalDecision: ...


class DenyAll:
    """For unattended runs (evaluation, scripts): nothing in the confirmation tier runs."""

    def confirm(self, request: ApprovalRequest) -> ApprovalDecision:
        return ApprovalDecision("denied", approver="policy:unattended")


class TerminalConfirmer:
    """`halops ask`: the person at the terminal approves by typing "yes" (anything else denies)."""

    def __init__(self, stdin: TextIO | None = None, stdout: TextIO | None = None) -> None:
        self.stdin, self.stdout = stdin or sys.stdin, stdout or sys.stderr

    def confirm(self, request: ApprovalRequest) -> ApprovalDecision:
        where = f" on {request.host}" if request.host else ""
        self.stdout.write(
            f"\nApproval needed [{request.rule_id}]: {request.reason}\n"
            f"  {request.transport}{where}: {request.command}\n"
            "Run it? Type 'yes' to approve: "
        )
        self.stdout.flush()
        answer = self.stdin.readline()
        if not answer:  # no terminal (stdin closed): fail closed
            return ApprovalDecision("denied", approver="terminal:eof")
        approved = answer.strip().lower() == "yes"
        return ApprovalDecision("approved" if approved else "denied", approver="terminal")
