"""What every shell analyzer gets and returns."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bot.safety.inventory import Inventory
from bot.safety.options import OptionError, OptionTable, Scanned, scan_options
from bot.safety.programs import READ_ONLY, Accepted, Rejected, accept
from bot.safety.settings import RuleSettings
from bot.safety.shell.command import SimpleCommand
from bot.safety.verdict import Decision, RuleFinding


@dataclass
class Context:
    """Settings and what is known about the whole command (shared by every analyzer)."""

    settings: RuleSettings
    inventory: Inventory | None = None
    commands: Sequence[SimpleCommand] = ()
    _accepted: dict[int, Accepted | Rejected | None] = field(default_factory=dict)

    def accepted(self, command: SimpleCommand) -> Accepted | Rejected | None:
        """The read-only spec's reading of a command: typed words, the reason it is not
        read-only, or None when the program has no spec (computed once per command)."""
        key = id(command)
        if key not in self._accepted:
            spec = READ_ONLY.get(command.name)
            if spec is None or not command.fields:
                self._accepted[key] = None
            else:
                try:
                    self._accepted[key] = accept(spec, command.fields[1:])
                except Rejected as exc:
                    self._accepted[key] = exc
        return self._accepted[key]


ShellAnalyzer = Callable[[SimpleCommand, Context], list[RuleFinding]]


def finding(
    rule_id: str, decision: Decision, reason: str, command: SimpleCommand, generic: bool = False
) -> list[RuleFinding]:
    return [RuleFinding(rule_id, decision, reason, command.text(), generic)]


def operands(args: Sequence[str]) -> list[str]:
    """Arguments that are not options (everything after `--` counts as an operand)."""
    out: list[str] = []
    after_dashes = False
    for arg in args:
        if arg == "--" and not after_dashes:
            after_dashes = True
        elif after_dashes or not arg.startswith("-") or arg == "-":
            out.append(arg)
    return out


def options(args: Sequence[str]) -> list[str]:
    out = []
    for arg in args:
        if arg == "--":
            break
        if arg.startswith("-") and arg != "-":
            out.append(arg)
    return out


def has_short_flag(args: Sequence[str], letter: str) -> bool:
    return any(
        a.startswith("-") and not a.startswith("--") and letter in a[1:] for a in options(args)
    )


def scan(args: Sequence[str], table: OptionTable) -> Scanned | None:
    """Best-effort scan for detection: None when the arguments do not fit the table."""
    try:
        return scan_options(args, table)
    except OptionError:
        return None


def words(*texts: str) -> frozenset[str]:
    return frozenset(w for text in texts for w in text.split())
