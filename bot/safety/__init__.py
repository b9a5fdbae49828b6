"""The agent's safety layer: detection → decision, kept apart from execution.

- `shell_parse` (detection): a command string → the simple commands bash would run.
- `rules` (detection): analyzers → findings with a stable rule id, a risk and a reason.
- `policy` (decision): `CommandPolicy.evaluate(...)` → `Verdict` (allow / confirm / block).
- `audit`: the append-only SQLite log of verdicts and what followed them.
- `inventory`: the hosts the agent may reach.
Nothing here executes a command.
"""

from bot.safety.audit import AuditEntry, AuditEvent, AuditLog
from bot.safety.inventory import Host, Inventory, InventoryError
from bot.safety.policy import (
    CommandPolicy,
    PolicyConfigError,
    Verdict,
    decide,
    load_policy_settings,
)
from bot.safety.rules import Finding, Risk, RuleSettings
from bot.safety.shell_parse import ParseError, SimpleCommand, parse_command

__all__ = [
    "AuditEntry",
    "AuditEvent",
    "AuditLog",
    "CommandPolicy",
    "Finding",
    "Host",
    "Inventory",
    "InventoryError",
    "ParseError",
    "PolicyConfigError",
    "Risk",
    "RuleSettings",
    "SimpleCommand",
    "Verdict",
    "decide",
    "load_policy_settings",
    "parse_command",
]
