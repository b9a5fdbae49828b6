"""Command-line options as the programs themselves read them.

An option table is declared as a string of entries, `-a|--all -w|--width=int --color=?`:
aliases joined by `|` (the first is the canonical name), then nothing for a flag, `=KIND` for
a required argument, `=?KIND` for an optional one (attached only: `-cVAL`, `--color=VAL`).
An entry written `!-x|--xx=` is known but forbidden: it takes part in resolving abbreviations
(so `--ou` cannot be mistaken for an allowed `--outline` when the program also has `--output`)
and using it makes the command not read-only. `-#` accepts numeric options (`head -5`).

Resolution follows the programs' own parsers:
- `gnu` (getopt_long, also argparse): options anywhere before `--`; a long option may be
  abbreviated to a unique prefix (an exact match wins; a prefix of several different options is
  ambiguous and refused); short options cluster (`-la`), and a short option's argument may be
  attached (`-n5`) or the next word.
- `posix`: the same, but the first operand ends the options (wrappers, `ssh`, `watch`).
- `pflag` (Go's cobra: kubectl, docker, …): no abbreviations; `--flag=false` is allowed.
- `ordered`: single-dash long options matched by prefix in declaration order, first match
  wins (iproute2's `matches()`: `ip -b` is `-batch`, not `-brief`).
- `exact`: single-dash long options matched exactly (openssl, nvidia-smi, find's tests).

Resolving an abbreviation never makes a command more permissive than the program is: if a
prefix resolves here to an allowed option, the program either means the same option or
rejects the prefix (it cannot mean an option this table does not know, because a table lists
every option that shares a prefix with an allowed one — ordered tables list all of them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

Style = Literal["gnu", "posix", "pflag", "ordered", "exact"]


class OptionError(ValueError):
    """An argument the table does not know, an ambiguous abbreviation, a missing value."""


@dataclass(frozen=True)
class Option:
    canonical: str
    takes: Literal["none", "required", "optional"] = "none"
    kind: str = "any"
    forbidden: bool = False


@dataclass(frozen=True)
class OptionTable:
    spec: str
    options: dict[str, Option]  # every alias → its option
    order: tuple[str, ...]  # aliases in declaration order (for `ordered` resolution)
    numeric: bool = False  # accepts `-5`

    @classmethod
    def parse(cls, spec: str) -> OptionTable:
        options: dict[str, Option] = {}
        order: list[str] = []
        numeric = False
        for entry in spec.split():
            if entry == "-#":
                numeric = True
                continue
            forbidden = entry.startswith("!")
            entry = entry.removeprefix("!")
            names, eq, value = entry.partition("=")
            takes: Literal["none", "required", "optional"] = "none"
            kind = "any"
            if eq:
                takes = "optional" if value.startswith("?") else "required"
                kind = value.removeprefix("?") or "any"
            aliases = names.split("|")
            option = Option(aliases[0], takes, kind, forbidden)
            for alias in aliases:
                options[alias] = option
                order.append(alias)
        return cls(spec, options, tuple(order), numeric)

    def merged(self, other: OptionTable) -> OptionTable:
        return OptionTable.parse(f"{self.spec} {other.spec}" + (" -#" if other.numeric else ""))


@dataclass(frozen=True)
class Given:
    """One option as used on the command line, resolved to its canonical name."""

    option: Option
    value: str | None
    index: int  # position of the (first) word in the arguments
    written: str


@dataclass
class Scanned:
    given: list[Given] = field(default_factory=list)
    operands: list[tuple[int, str]] = field(default_factory=list)  # (index, text)
    first_operand: int = 0  # posix: where the options stopped
    values: dict[str, list[str]] = field(default_factory=dict)  # canonical → values

    def has(self, *names: str) -> bool:
        return any(n in self.values for n in names)


def scan_options(
    args: Sequence[str], table: OptionTable, permute: bool = True, style: Style = "gnu"
) -> Scanned:
    """Split `args` into resolved options and operands; OptionError on anything unknown."""
    scanned = Scanned()
    i = 0
    stop = False
    if style == "posix":
        permute = False
    while i < len(args):
        arg = args[i]
        if stop or arg == "-" or not arg.startswith("-") or arg == "":
            scanned.operands.append((i, arg))
            if not permute and not stop:
                scanned.first_operand = i
                return _rest_operands(scanned, args, i)
            i += 1
            continue
        if arg == "--":
            stop = True
            if not permute:
                scanned.first_operand = i + 1
                return _rest_operands(scanned, args, i + 1)
            i += 1
            continue
        if table.numeric and arg[1:].isdigit():
            _record(scanned, Given(Option("-#"), arg[1:], i, arg))
            i += 1
            continue
        if style == "exact":
            i = _long(args, i, table, "pflag", scanned)
        elif style == "ordered":
            # iproute2 and friends read `--brief` as `-brief`.
            normal = arg[1:] if arg.startswith("--") else arg
            i = _long([*args[:i], normal, *args[i + 1 :]], i, table, style, scanned)
        elif arg.startswith("--"):
            i = _long(args, i, table, style, scanned)
        else:
            i = _short_cluster(args, i, table, scanned)
    scanned.first_operand = len(args) if not scanned.operands else scanned.first_operand
    if permute and scanned.operands:
        scanned.first_operand = scanned.operands[0][0]
    return scanned


def _rest_operands(scanned: Scanned, args: Sequence[str], start: int) -> Scanned:
    scanned.operands = [(j, args[j]) for j in range(start, len(args))]
    return scanned


def _record(scanned: Scanned, given: Given) -> None:
    scanned.given.append(given)
    scanned.values.setdefault(given.option.canonical, []).append(given.value or "")


def _long(args: Sequence[str], i: int, table: OptionTable, style: Style, scanned: Scanned) -> int:
    arg = args[i]
    name, eq, attached = arg.partition("=")
    option = _resolve_long(name, table, style)
    if option.takes == "none":
        if eq and not (style == "pflag" and attached.lower() in ("true", "false")):
            raise OptionError(f"{name} takes no value")
        _record(scanned, Given(option, attached if eq else None, i, arg))
        return i + 1
    if eq:
        _record(scanned, Given(option, attached, i, arg))
        return i + 1
    if option.takes == "optional":
        _record(scanned, Given(option, None, i, arg))
        return i + 1
    if i + 1 >= len(args):
        raise OptionError(f"{name} needs a value")
    _record(scanned, Given(option, args[i + 1], i, arg))
    return i + 2


def _resolve_long(name: str, table: OptionTable, style: Style) -> Option:
    exact = table.options.get(name)
    if exact is not None:
        return exact
    if style == "pflag":
        raise OptionError(f"unknown option {name}")
    long_aliases = [a for a in table.order if a.startswith("--" if style != "ordered" else "-")]
    candidates = [a for a in long_aliases if a.startswith(name) and len(name) > 1]
    if style == "ordered":
        if not candidates:
            raise OptionError(f"unknown option {name}")
        return table.options[candidates[0]]
    distinct = {table.options[a].canonical for a in candidates}
    if len(distinct) == 1:
        return table.options[candidates[0]]
    if not distinct:
        raise OptionError(f"unknown option {name}")
    raise OptionError(f"{name} is ambiguous ({', '.join(sorted(candidates))})")


def _short_cluster(args: Sequence[str], i: int, table: OptionTable, scanned: Scanned) -> int:
    arg = args[i]
    for pos in range(1, len(arg)):
        letter = "-" + arg[pos]
        option = table.options.get(letter)
        if option is None:
            raise OptionError(f"unknown option {letter} (in {arg})")
        rest = arg[pos + 1 :]
        if option.takes == "none":
            _record(scanned, Given(option, None, i, arg))
            continue
        if rest:
            _record(scanned, Given(option, rest, i, arg))
            return i + 1
        if option.takes == "optional":
            _record(scanned, Given(option, None, i, arg))
            return i + 1
        if i + 1 >= len(args):
            raise OptionError(f"{letter} needs a value")
        _record(scanned, Given(option, args[i + 1], i, arg))
        return i + 2
    return i + 1
