"""Differential test: for static words, the parser's argv is exactly what bash passes on.

If the policy and bash disagree about a word, the policy judges a different command than the
one that runs. bashlex's own quote removal gets some mixes wrong (`'a'"'"'b'`), which is why
the parser unquotes by itself; this test holds it to bash.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.safety import ParseError, parse_command

BASH = shutil.which("bash")
pytestmark = pytest.mark.skipif(BASH is None, reason="bash is not installed")

# No `$`, backquotes, operators or `~`: those are expansions or structure, not quoting.
_ALPHABET = [*"ab -=/'\"\\{},.*#", "\\'", '\\"', "'a b'", '"a b"', "{a,b}", "\\\n"]


def _bash_argv(words: str) -> list[str] | None:
    script = f"set -f; printf '%s\\0' {words}"  # -f: no globbing, so `*` stays as typed
    proc = subprocess.run(
        [BASH, "--norc", "--noprofile", "-c", script], capture_output=True, timeout=10
    )
    if proc.returncode != 0:
        return None  # a syntax error in bash: nothing runs, nothing to compare
    out = proc.stdout.decode("utf-8", "surrogateescape")
    return out.split("\0")[:-1] if out else [""]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_ALPHABET), min_size=1, max_size=12).map("".join))
def test_static_words_match_bash(words: str) -> None:
    expected = _bash_argv(words)
    try:
        commands = parse_command(f"printf '%s\\0' {words}")
    except ParseError:
        return  # refused: the policy blocks what it cannot parse
    if expected is None or len(commands) != 1 or not commands[0].literal:
        return  # non-literal words are never allowed, so they need not match
    got = list(commands[0].argv[2:])
    if not got and expected == [""]:
        return  # printf with no arguments prints one empty field
    assert got == expected, words


@pytest.mark.parametrize(
    ("words", "argv"),
    [
        ("'a'\"'\"'b'", ["a'b"]),
        ("'bash -c '\"'\"'rm -rf /'\"'\"''", ["bash -c 'rm -rf /'"]),
        ('"a\\"b" c\\ d', ['a"b', "c d"]),
        ("'\\'", ["\\"]),
        ('"\\x"', ["\\x"]),
        ("/{etc,usr}", ["/etc", "/usr"]),
    ],
)
def test_known_quoting_cases(words: str, argv: list[str]) -> None:
    assert _bash_argv(words) == argv
    [command] = parse_command(f"printf '%s\\0' {words}")
    assert list(command.argv[2:]) == argv
