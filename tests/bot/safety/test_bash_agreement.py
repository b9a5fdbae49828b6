"""Differential test: for static words, the parser's argv is exactly what bash passes on.

If the policy and bash disagree about a word, the policy judges a different command than the
one that runs. The parser removes quotes, decodes ANSI-C quoting and expands braces itself
(mvdan/sh gives the typed parts); this test holds every mix of them to bash's own `printf`.
No `$(`, backquote or operator is in the alphabet, so nothing but printf can run.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.safety import BudgetExceeded, ParseError, parse_command

BASH = shutil.which("bash")
pytestmark = pytest.mark.skipif(BASH is None, reason="bash is not installed")

# Quoting, escapes, ANSI-C and locale quoting, braces, tildes, an unset variable; no
# substitution, backquote or operator (structure is the other differential test's job).
_ALPHABET = [
    *"ab -=/'\"\\{},.*#~",
    "\\'",
    '\\"',
    "'a b'",
    '"a b"',
    "{a,b}",
    "{1..3}",
    "{a..c}",
    "\\\n",
    "$'\\x41'",
    "$'\\101'",
    "$'a b'",
    "$'\\''",
    '$"q"',
    '"$unset"',
    "$unset",
    "~/x",
]
HOME = "/halops-home"


def _run_bash(script: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [BASH, "--norc", "--noprofile", "-c", script],
        capture_output=True,
        timeout=10,
        env={"HOME": HOME, "PATH": "/usr/bin:/bin"},
    )


def _printf_args(script: str) -> tuple[str, ...]:
    """What the parser says the script's printf prints (after its format)."""
    [printf] = [c for c in parse_command(script) if c.argv[:1] == ("printf",) and not c.variant]
    assert printf.literal, printf
    return printf.argv[2:]


def _bash_argv(words: str) -> list[str] | None:
    # -f: no globbing, so `*` stays as typed. The final newline keeps a trailing backslash
    # from meeting the end of input, where bash is inconsistent (it keeps `\\` alone but drops
    # it after a quoted newline); scripts from the agent are judged as they are either way.
    proc = _run_bash(f"set -f; printf '%s\\0' {words}\n")
    if proc.returncode != 0:
        return None  # a syntax error in bash: nothing runs, nothing to compare
    out = proc.stdout.decode("utf-8", "surrogateescape")
    return out.split("\0")[:-1] if out else [""]


# Found by mutation testing: bash reads `$\<newline>{a,b}` as `${a,b}` (a parameter, empty here),
# the parser read a literal `$` and `{a,b}`.
@example("$\\\n{a,b}")
@example("~=~")  # found by hypothesis: bash ends a tilde-prefix at "=~" too (`~=~` → $HOME=~)
@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_ALPHABET), min_size=1, max_size=12).map("".join))
def test_static_words_match_bash(words: str) -> None:
    expected = _bash_argv(words)
    try:
        commands = parse_command(f"printf '%s\\0' {words}\n")
    except (ParseError, BudgetExceeded):
        return  # refused: the policy blocks what it cannot parse
    if expected is None or len(commands) != 1 or not commands[0].literal:
        return  # non-literal words are never allowed, so they need not match
    got = [_home(f.text, f.tildes) for f in commands[0].fields[2:]]
    if not got and expected == [""]:
        return  # printf with no arguments prints one empty field
    assert got == expected, words


def _home(text: str, tildes: tuple[int, ...]) -> str:
    """bash's tilde expansion where the parser marked one: `~` then `/`, `:`, `=~` (bash's
    extra tilde suffixes outside POSIX mode) or the end (a `~user` of no such user stays)."""
    for position in sorted(tildes, reverse=True):
        following = text[position + 1 : position + 2]
        if following in ("", "/", ":") or text[position + 1 : position + 3] == "=~":
            text = text[:position] + HOME + text[position + 1 :]
    return text


@pytest.mark.parametrize(
    ("words", "argv"),
    [
        ("'a'\"'\"'b'", ["a'b"]),
        ("'bash -c '\"'\"'rm -rf /'\"'\"''", ["bash -c 'rm -rf /'"]),
        ('"a\\"b" c\\ d', ['a"b', "c d"]),
        ("'\\'", ["\\"]),
        ('"\\x"', ["\\x"]),
        ("/{etc,usr}", ["/etc", "/usr"]),
        ("$'\\x72\\x6d'", ["rm"]),
        ("$'a\\tb'", ["a\tb"]),
        ("{01..10..3}", ["01", "04", "07", "10"]),
        ("a{b,{c,d}}e", ["abe", "ace", "ade"]),
        ("'{a,b}'{c,d}", ["{a,b}c", "{a,b}d"]),
        ("$/{etc,usr}", ["$/etc", "$/usr"]),  # a lone `$` first: the braces still expand
        ("$,{a,b}", ["$,a", "$,b"]),
    ],
)
def test_known_quoting_cases(words: str, argv: list[str]) -> None:
    assert _bash_argv(words) == argv
    [command] = parse_command(f"printf '%s\\0' {words}")
    assert list(command.argv[2:]) == argv


@pytest.mark.parametrize(
    "words",
    ["~", "~/x", "~''", "~''/x", '~""/x', "~'/'x", '~"root"', "a=~:~/b", "a=~'':~", "x~"],
)
def test_tilde_prefixes_expand_as_in_bash(words: str) -> None:
    """A tilde-prefix with any quoted part (even an empty '') is not expanded (hypothesis
    found `~''`)."""
    [command] = parse_command(f"printf '%s\\0' {words}")
    got = [_home(f.text, f.tildes) for f in command.fields[2:]]
    assert got == _bash_argv(words)


# Every form of appending to a variable, as a shell assignment and as `export`'s argument, one
# after another and mixed; bash runs each (only `export` and `printf`, both builtins) and the
# parser must know the same value. `declare`/`typeset` are opaque to the parser (`-n`, `-i`):
# it never claims to know what they leave, so they have no row here.
APPENDS = [
    "x=a; x+=b",
    "x=a; x+=b x+=c",
    "x=/; x+=' e'\"t\"c",
    "x=a; x+=",
    "export x=a; export x+=b",
    "export x=/; export x+=etc",
    "x=a; export x+=b",
    "export x=a; x+=b",
    "export x=a; export x+=b x+=c",
    "export y=b x=a; export x+=$y",
]


@pytest.mark.parametrize("assignments", APPENDS)
def test_append_assignments_match_bash(assignments: str) -> None:
    script = f"{assignments}; printf '%s\\0' \"$x\"\n"
    proc = _run_bash(script)
    proc.check_returncode()
    [bash_value] = proc.stdout.decode().split("\0")[:-1]
    assert _printf_args(script) == (bash_value,)


# A readonly variable keeps its value whatever follows: bash refuses `export x+=…` and a second
# `readonly x=…` and goes on, and stops the script at a plain `x=…`. Where bash goes on, the
# parser must know bash's value; where it stops, the value it was made readonly with (the
# script's later commands never run, so judging them by it is safe).
READONLY = [
    ("readonly x=/", "export x+=tmp"),
    ("readonly x=/", "readonly x+=tmp"),
    ("readonly x=/", "readonly x=/tmp"),
    ("readonly x=/", "export x=/tmp"),
    ("declare -r x=/", "export x+=tmp"),
    ("typeset -rx x=/", "export x=/tmp"),
    ("x=/; readonly x", "export x=/tmp"),
    ("readonly x=/", "x=/tmp"),
    ("declare -r x=/", "x+=tmp"),
    ("readonly x=/", "for x in /tmp; do :; done"),
]


@pytest.mark.parametrize(("made_readonly", "change"), READONLY)
def test_a_readonly_variable_keeps_its_value_as_in_bash(made_readonly: str, change: str) -> None:
    script = f"{made_readonly}; {change}; printf '%s\\0' \"$x\"\n"
    proc = _run_bash(script)
    assert b"readonly variable" in proc.stderr  # bash did refuse the change
    printed = proc.stdout.decode().split("\0")[:-1]
    assert _printf_args(script) == tuple(printed or ["/"])
