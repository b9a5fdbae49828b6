"""The agent's safety layer: detection → decision, kept apart from execution.

- `shell` (detection): a command string → the simple commands bash would run (one parser:
  mvdan/sh), with their words expanded as far as they are known;
- `programs`: allow-lists of options and operands that keep each program read-only;
- `analyzers` (detection): findings with a stable rule id, a decision and a reason;
- `paths`, `http`, `transports`: credential files, HTTP endpoints, IPMI and local tools;
- `policy` (decision): `CommandPolicy.evaluate(...)` → `Verdict` (allow / confirm / block);
- `settings`, `inventory`: `config/policy.yaml` and the hosts the agent may reach;
- `audit`: the append-only SQLite log of verdicts and what followed them.
Nothing here executes a command.
"""

from bot.safety.audit import AuditEntry, AuditEvent, AuditLog
from bot.safety.budget import Budget, BudgetExceeded
from bot.safety.inventory import Host, Inventory, InventoryError
from bot.safety.policy import TRANSPORTS, CommandPolicy
from bot.safety.settings import PolicyConfigError, RuleSettings, load_policy_settings
from bot.safety.shell import ParseError, SimpleCommand, parse_command
from bot.safety.verdict import Decision, RuleFinding, Verdict, decide

__all__ = [
    "TRANSPORTS",
    "AuditEntry",
    "AuditEvent",
    "AuditLog",
    "Budget",
    "BudgetExceeded",
    "CommandPolicy",
    "Decision",
    "Host",
    "Inventory",
    "InventoryError",
    "ParseError",
    "PolicyConfigError",
    "RuleFinding",
    "RuleSettings",
    "SimpleCommand",
    "Verdict",
    "decide",
    "load_policy_settings",
    "parse_command",
]
