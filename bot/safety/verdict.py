"""Decision: the three outcomes, the findings analyzers report, and how findings decide.

Analyzers (detection) return `RuleFinding`s; `decide` (the policy) keeps the worst. Among
equally bad findings the most specific names the verdict: a rule that recognised the command
(`power.shutdown_reboot` for the `reboot` inside `ssh pve01 reboot`) wins over the generic
"not on the read-only allow-list", so the approver reads what matters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, Literal

DecisionName = Literal["allow", "confirm", "block"]


class Decision(IntEnum):
    """Ordered so that the worst finding is simply the maximum."""

    ALLOW = 0
    CONFIRM = 1
    BLOCK = 2

    @property
    def label(self) -> DecisionName:
        names: dict[Decision, DecisionName] = {
            Decision.ALLOW: "allow",
            Decision.CONFIRM: "confirm",
            Decision.BLOCK: "block",
        }
        return names[self]


@dataclass(frozen=True)
class RuleFinding:
    """What one rule says about one command: a stable rule id, a decision, a reason."""

    rule_id: str
    decision: Decision
    reason: str
    subject: str = ""  # the simple command (or request) the finding is about
    generic: bool = False  # "not known to be read-only": loses the headline to specific rules

    def to_dict(self) -> dict[str, str]:
        return {
            "rule_id": self.rule_id,
            "decision": self.decision.label,
            "reason": self.reason,
            "subject": self.subject,
        }


@dataclass(frozen=True)
class Verdict:
    decision: DecisionName
    rule_id: str
    reason: str
    findings: list[RuleFinding] = field(default_factory=list)
    # The command is one plain simple command (no shell syntax beyond quoting): executors may
    # run it in a restricted shell. False for anything else, and for non-shell requests.
    plain: bool = False

    @property
    def allowed(self) -> bool:
        return self.decision == "allow"

    @property
    def compound(self) -> bool:
        """The command needs a full shell (pipes, lists, redirections, expansions, …)."""
        return not self.plain

    def to_dict(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "rule_id": self.rule_id,
            "reason": self.reason,
            "findings": [f.to_dict() for f in self.findings],
        }


def decide(findings: Sequence[RuleFinding], plain: bool = False) -> Verdict:
    """The worst finding wins; among equals a specific rule beats a generic one, then the
    first (analyzer order) names the verdict."""
    if not findings:
        # No analyzer had an opinion: unknown, so a person decides.
        return Verdict("confirm", "policy.no_finding", "no analyzer recognised the request", [])
    worst = max(f.decision for f in findings)
    equals = [f for f in findings if f.decision == worst]
    first = next((f for f in equals if not f.generic), equals[0])
    reason = first.reason
    if worst == Decision.ALLOW:  # every command was read-only: say so for all of them
        reason = "; ".join(dict.fromkeys(f.reason for f in findings))
    several = len({f.subject for f in findings}) > 1
    subject = f" (in: {first.subject})" if several and worst != Decision.ALLOW else ""
    return Verdict(worst.label, first.rule_id, reason + subject, list(findings), plain)
