"""How a read-only program is declared, and how one command line is checked against it.

A `Program` lists the exact options (with their argument kinds) and the operand shapes that
keep the program read-only; subcommand-driven tools nest one `Program` per read-only
subcommand. Checking a command line either accepts it — and then says what every word is:
a path the program reads, a host it contacts, a URL, plain text — or names the first word that
is not known to be read-only. The other analyzers use those typed words: the credential rule
looks at the paths, the inventory rule at the hosts.

Operand shapes are kinds separated by spaces; the last may end in `*` (any number), `+` (one
or more) or `?` (optional): `"text path*"` is grep's pattern then files. Kinds:
- `path`: a file whose content is read (credential table applies);
- `tree`: a directory read recursively (any credential under it counts);
- `meta`: a path whose metadata only is read (ls, stat, du): no credential check;
- `host`, `url`: contacted over the network (inventory check);
- `text`: data only (a pattern, a name); `int`, `unit`, `word`: literal values.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from bot.safety.options import OptionError, OptionTable, Scanned, Style, scan_options
from bot.safety.shell.command import Field

# Reasons a check fails (the reason text follows).
NOT_READ_ONLY = "shell.not_readonly"


@dataclass(frozen=True)
class Typed:
    """One word with what the program does with it."""

    kind: str
    text: str
    field: Field


@dataclass
class Accepted:
    words: list[Typed] = field(default_factory=list)
    option_values: dict[str, list[str]] = field(default_factory=dict)
    path: tuple[str, ...] = ()  # the subcommand path, e.g. ("get",) for kubectl get


class Rejected(Exception):
    """The command line is not known to be read-only; the message says which word."""


Check = Callable[["Invocation"], str | None]  # a reason when not read-only, else None


@dataclass(frozen=True)
class Invocation:
    """What a custom check sees: the scanned command line."""

    args: tuple[Field, ...]
    scanned: Scanned
    operands: tuple[str, ...]
    subcommand: tuple[str, ...]

    def has(self, *options: str) -> bool:
        return self.scanned.has(*options)

    def values(self, option: str) -> list[str]:
        return self.scanned.values.get(option, [])


@dataclass(frozen=True)
class Program:
    options: OptionTable = field(default_factory=lambda: OptionTable.parse(""))
    operands: str | Callable[[Scanned], str] = "path*"
    style: Style = "gnu"
    subcommands: Mapping[str, Program] | None = None
    bare: bool = True  # no subcommand given is read-only (`zpool` alone prints usage)
    check: Check | None = None
    any_args: bool = False  # every word is harmless text (echo, printf, true)
    glob_operands: bool = True  # a glob may stand for operands (no option can hurt)
    cobra: bool = False  # subcommands own their options (kubectl, docker)
    # Programs with a syntax of their own (dig's `@server +short`): a function that types the
    # words itself and names a problem, instead of the option scanner.
    raw: Callable[[Sequence[str]], tuple[list[str], str | None]] | None = None


def prog(
    options: str = "",
    operands: str | Callable[[Scanned], str] = "path*",
    *,
    style: Style = "gnu",
    subcommands: Mapping[str, Program] | None = None,
    bare: bool = True,
    check: Check | None = None,
    cobra: bool = False,
) -> Program:
    """Shorthand: `prog("-a|--all -n|--lines=int", "path*")`."""
    return Program(
        OptionTable.parse(options),
        operands,
        style=style,
        subcommands=subcommands,
        bare=bare,
        check=check,
        cobra=cobra,
    )


def accept(program: Program, args: Sequence[Field]) -> Accepted:
    """The typed words of a read-only command line; raises Rejected otherwise."""
    if program.any_args:
        return Accepted([Typed("text", f.text, f) for f in args])
    if program.raw is not None:
        _no_dynamic_options(program, args)
        hosts, problem = program.raw([f.text for f in args])
        if problem:
            raise Rejected(problem)
        by_text = {f.text: f for f in args}
        fallback = args[0] if args else Field("")
        return Accepted([Typed("host", h, by_text.get(h, fallback)) for h in hosts])
    return _accept(program, list(args), program.options, ())


def _accept(
    program: Program, args: list[Field], inherited: OptionTable, path: tuple[str, ...]
) -> Accepted:
    _no_dynamic_options(program, args)
    if program.subcommands is not None and program.cobra:
        table = inherited if program.options is inherited else inherited.merged(program.options)
        return _accept_cobra(program, args, table, path)
    texts = [f.text for f in args]
    table = _all_options(program) if program.subcommands else program.options
    try:
        scanned = scan_options(texts, table, style=program.style)
    except OptionError as exc:
        raise Rejected(str(exc)) from exc
    accepted = Accepted(path=path)
    _check_options(scanned, args, program, accepted)
    operands = list(scanned.operands)
    node, allowed, checks = program, set(program.options.options), [(program, operands, path)]
    while node.subcommands is not None:
        if not operands:
            if not node.bare:
                raise Rejected("a subcommand is needed")
            break
        verb = operands[0][1]
        node = _subcommand(node, verb)
        operands = operands[1:]
        path = (*path, verb)
        allowed |= set(node.options.options)
        checks.append((node, operands, path))
    for given in scanned.given:
        written = given.written.split("=", 1)[0]
        known = {written, given.option.canonical, "-#"} & allowed or given.option.canonical == "-#"
        if not known:
            raise Rejected(f"option {given.written} is not read-only with {' '.join(path)}")
    accepted.path = path
    if node.subcommands is None or operands:
        accepted.words += _operands(node, [args[i] for i, _ in operands], scanned).words
    for checked, its_operands, _ in checks:
        _custom(checked, args, scanned, its_operands, path)
    return accepted


_ALL_OPTIONS: dict[int, tuple[Program, OptionTable]] = {}


def _all_options(program: Program) -> OptionTable:
    """Every option of a program and its subcommands, for scanning a GNU-style command line
    once (options may come anywhere); each subcommand then checks its own."""
    cached = _ALL_OPTIONS.get(id(program))
    if cached is not None and cached[0] is program:
        return cached[1]
    table = _merge_all(program)
    _ALL_OPTIONS[id(program)] = (program, table)
    return table


def _merge_all(program: Program) -> OptionTable:
    specs = [program.options.spec]
    numeric = program.options.numeric
    for sub in (program.subcommands or {}).values():
        table = _merge_all(sub) if sub.subcommands else sub.options
        specs.append(table.spec)
        numeric = numeric or table.numeric
    return OptionTable.parse(" ".join(specs) + (" -#" if numeric else ""))


def _accept_cobra(
    program: Program, args: list[Field], table: OptionTable, path: tuple[str, ...]
) -> Accepted:
    """Go/cobra tools: global flags, then the subcommand, then its own flags anywhere."""
    texts = [f.text for f in args]
    style: Style = "exact" if program.style == "exact" else "pflag"
    try:
        head = scan_options(texts, table, permute=False, style=style)
    except OptionError as exc:
        raise Rejected(str(exc)) from exc
    accepted = Accepted(path=path)
    _check_options(head, args, program, accepted)
    if head.first_operand >= len(args) or not head.operands:
        if not program.bare:
            raise Rejected("a subcommand is needed")
        return accepted
    verb = texts[head.first_operand]
    sub = _subcommand(program, verb)
    rest = args[head.first_operand + 1 :]
    merged = table.merged(sub.options)
    inner = replace(sub, options=merged)
    if sub.subcommands is not None and sub.cobra:
        deeper = _accept_cobra(inner, rest, merged, (*path, verb))
    else:
        deeper = _accept(replace(inner, style=style), rest, merged, (*path, verb))
    accepted.words += deeper.words
    for key, values in deeper.option_values.items():
        accepted.option_values.setdefault(key, []).extend(values)
    accepted.path = deeper.path
    return accepted


def _subcommand(program: Program, verb: str) -> Program:
    assert program.subcommands is not None
    sub = program.subcommands.get(verb)
    if sub is None:
        raise Rejected(f"subcommand {verb!r} is not known to be read-only")
    return sub


def _no_dynamic_options(program: Program, args: Sequence[Field]) -> None:
    for f in args:
        if f.fd:
            continue  # `diff <(a) <(b)`: a pipe from a command judged on its own
        if not f.literal:
            raise Rejected(f"the word {f.text!r} is only known at run time")
        if f.glob and (f.maybe_option or not program.glob_operands):
            raise Rejected(f"the glob {f.text!r} could expand into options or operands")


def _check_options(
    scanned: Scanned, args: Sequence[Field], program: Program, accepted: Accepted
) -> None:
    for given in scanned.given:
        if given.option.forbidden:
            raise Rejected(f"option {given.written} is not read-only")
        kind = given.option.kind
        accepted.option_values.setdefault(given.option.canonical, []).append(given.value or "")
        if given.value is not None and kind != "any":
            _check_kind(kind, given.value)
            accepted.words.append(Typed(kind, given.value, args[min(given.index, len(args) - 1)]))


def _custom(
    program: Program,
    args: Sequence[Field],
    scanned: Scanned,
    operands: Sequence[tuple[int, str]],
    path: tuple[str, ...],
) -> None:
    if program.check is None:
        return
    invocation = Invocation(tuple(args), scanned, tuple(t for _, t in operands), path)
    reason = program.check(invocation)
    if reason:
        raise Rejected(reason)


def _operands(program: Program, fields: Sequence[Field], scanned: Scanned) -> Accepted:
    shape = program.operands(scanned) if callable(program.operands) else program.operands
    kinds = shape.split()
    accepted = Accepted()
    i = 0
    for position, kind in enumerate(kinds):
        base, quantifier = (kind[:-1], kind[-1]) if kind[-1] in "*+?" else (kind, "")
        last = position == len(kinds) - 1
        if quantifier in ("*", "+"):
            if not last:
                raise ValueError(f"repeated kind {kind} must come last in {shape!r}")
            if quantifier == "+" and i >= len(fields):
                raise Rejected(f"expects at least one {base} operand")
            while i < len(fields):
                accepted.words.append(_typed(base, fields[i]))
                i += 1
            return accepted
        if i >= len(fields):
            if quantifier == "?":
                continue
            raise Rejected(f"expects a {base} operand")
        accepted.words.append(_typed(base, fields[i]))
        i += 1
    if i < len(fields):
        raise Rejected(f"unexpected operand {fields[i].text!r}")
    return accepted


_INT = re.compile(r"^[+-]?\d+$")
_UNIT = re.compile(r"^[A-Za-z0-9@_.:\\-]+$")


def _typed(kind: str, f: Field) -> Typed:
    _check_kind(kind, f.text)
    return Typed(kind, f.text, f)


def _check_kind(kind: str, text: str) -> None:
    if kind == "int" and not _INT.match(text):
        raise Rejected(f"{text!r} is not a number")
    if kind == "unit" and (not _UNIT.match(text) or text.startswith("-")):
        raise Rejected(f"{text!r} is not a unit name")
    if kind.startswith("one:"):
        choices = kind[4:].split(",")
        if text not in choices:
            raise Rejected(f"{text!r} is not one of {', '.join(choices)}")
