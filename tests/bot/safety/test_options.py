"""Options as the programs read them (issue 10, classes 3 and 4): every forbidden option of
every read-only program, and every abbreviation getopt_long would accept for it, is refused;
allowed options resolve from their abbreviations the way getopt_long does."""

from __future__ import annotations

import pytest

from bot.safety import CommandPolicy
from bot.safety.options import OptionError, OptionTable, scan_options
from bot.safety.programs import READ_ONLY, Program


def _tables(name: str, program: Program, path: tuple[str, ...] = ()):
    yield name, path, program
    for verb, sub in (program.subcommands or {}).items():
        yield from _tables(name, sub, (*path, verb))


def _forbidden() -> list[tuple[str, tuple[str, ...], str, bool]]:
    """(program, subcommand path, option alias, takes a value) of every forbidden option."""
    out = []
    for name, program in sorted(READ_ONLY.items()):
        for _, path, table_owner in _tables(name, program):
            for alias, option in table_owner.options.options.items():
                if option.forbidden:
                    out.append((name, path, alias, option.takes == "required"))
    return sorted(set(out))


FORBIDDEN = _forbidden()


def _prefixes(alias: str, table: OptionTable) -> list[str]:
    """The abbreviations of a long option that resolve to it alone (getopt_long's rule)."""
    if not alias.startswith("--"):
        return []
    out = []
    for end in range(3, len(alias)):
        prefix = alias[:end]
        owners = {table.options[a].canonical for a in table.options if a.startswith(prefix)}
        if owners == {table.options[alias].canonical}:
            out.append(prefix)
    return out


def _command(name: str, path: tuple[str, ...], option: str, value: bool) -> str:
    args = [name, *path, option + ("=1" if value and option.startswith("--") else "")]
    if value and not option.startswith("--"):
        args.append("1")
    return " ".join(args)


@pytest.mark.parametrize(("name", "path", "alias", "value"), FORBIDDEN, ids=lambda v: str(v))
def test_a_forbidden_option_is_never_allowed(
    policy: CommandPolicy, name: str, path: tuple[str, ...], alias: str, value: bool
) -> None:
    command = _command(name, path, alias, value)
    assert policy.evaluate(command).decision != "allow", command


def _table_at(name: str, path: tuple[str, ...]) -> OptionTable:
    program = READ_ONLY[name]
    table = program.options
    for verb in path:
        assert program.subcommands is not None
        program = program.subcommands[verb]
        table = table.merged(program.options)
    return table


ABBREVIATED = [
    (name, path, prefix, value)
    for name, path, alias, value in FORBIDDEN
    if READ_ONLY[name].style == "gnu" and not READ_ONLY[name].cobra
    for prefix in _prefixes(alias, _table_at(name, path))
]


@pytest.mark.parametrize(("name", "path", "prefix", "value"), ABBREVIATED, ids=lambda v: str(v))
def test_an_abbreviated_forbidden_option_is_never_allowed(
    policy: CommandPolicy, name: str, path: tuple[str, ...], prefix: str, value: bool
) -> None:
    command = _command(name, path, prefix, value)
    assert policy.evaluate(command).decision != "allow", command


def test_there_are_enough_cases_to_mean_something() -> None:
    assert len(FORBIDDEN) > 200 and len(ABBREVIATED) > 200


TABLE = OptionTable.parse("-o|--output= --outline -c|--compress-program= --count -n= -#")


@pytest.mark.parametrize(
    ("args", "canonical"),
    [
        (["--output=x"], "-o"),
        (["--outp=x"], "-o"),
        (["--outl"], "--outline"),
        (["--compress-p=x"], "-c"),
        (["--com=x"], "-c"),
        (["-ox"], "-o"),
        (["-o", "x"], "-o"),
        (["-n5"], "-n"),
        (["-5"], "-#"),
    ],
)
def test_getopt_long_resolution(args: list[str], canonical: str) -> None:
    scanned = scan_options([*args, "file"], TABLE)
    assert scanned.given[0].option.canonical == canonical
    assert scanned.operands[-1] == (len(args), "file")


@pytest.mark.parametrize("args", [["--out=x"], ["--co"], ["--zz"], ["-q"], ["--output"], ["-o"]])
def test_ambiguous_unknown_or_incomplete_options_are_errors(args: list[str]) -> None:
    with pytest.raises(OptionError):
        scan_options(args, TABLE)


def test_ordered_resolution_is_iproute2s() -> None:
    table = READ_ONLY["ip"].options
    assert scan_options(["-b", "x"], table, style="ordered").given[0].option.canonical == "-batch"
    assert scan_options(["-br"], table, style="ordered").given[0].option.canonical == "-brief"
    assert scan_options(["--brief"], table, style="ordered").given[0].option.canonical == "-brief"


@pytest.mark.parametrize(
    "command",
    ["sort --outp=/tmp/x f", "journalctl --vacuum-ti=1d", "systemctl --ho=evil status",
     "dmesg --cle", "ss --kil", "hostname --fi=/tmp/h", "sort --compress-p=gzip f",
     "ip -b /tmp/x", "ip -fo -b /tmp/x", "iptables --fl", "smartctl --te=long /dev/sda"],
)  # fmt: skip
def test_issue_abbreviations(policy: CommandPolicy, command: str) -> None:
    assert policy.evaluate(command).decision != "allow", command
