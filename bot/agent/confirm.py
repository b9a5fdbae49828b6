"""The confirmation tier's interface: the loop asks, a person (terminal or Slack) decides."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TextIO

Outcome = Literal["approved", "denied", "expired"]


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
    outcome: Outcome
    approver: str | None = None


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
