"""Differential test: for every catalogue command, the simple commands the policy judges are
the ones real bash would run (see `bash_trace` for the harness and its limits).

Two directions:
- nothing bash runs escapes the policy: every argv bash reaches is one the policy listed (the
  same words, literally), or the policy listed that command as only known at run time (which
  it never allows);
- nothing the policy invents: every literal command the policy lists as certainly running
  (unconditional, in this shell, not redirected away) is one bash reaches in a pass.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.safety import BudgetExceeded, ParseError, SimpleCommand, parse_command
from tests.bot.safety import bash_trace

CATALOGUES = Path(__file__).with_name("catalogue")
pytestmark = [
    pytest.mark.skipif(bash_trace.BASH is None, reason="bash is not installed"),
    pytest.mark.slow,  # every catalogue command through bash twice: about a minute
]
# Contexts the traced shell itself runs (others are scripts of another program).
SAME_SHELL = {
    "substitution",
    "process substitution",
    "subshell",
    "function",
    "coproc",
    "arithmetic",
}


def _entries() -> list[tuple[str, str]]:
    out = []
    for name in ("hostile", "benign"):
        for entry in yaml.safe_load((CATALOGUES / f"{name}.yaml").read_text()):
            if entry.get("transport", "ssh" if entry.get("host") else "shell") in ("shell", "ssh"):
                out.append((f"{name}:{entry['class']}", entry["command"]))
    return out


ENTRIES = _entries()


@pytest.fixture(scope="module")
def harness() -> None:
    bash_trace.probe()


def _in_this_shell(command: SimpleCommand) -> bool:
    return command.nested == 0 and set(command.context) <= SAME_SHELL and not command.variant


def _policy_words(command: SimpleCommand) -> list[tuple[str, bool]]:
    """(text, is a pattern) per word; the policy keeps `~` and globs, bash expands them."""
    words = []
    for field in command.written:
        text, glob = field.text, field.glob
        if field.tilde and (text == "~" or text.startswith("~/")):
            text = bash_trace.HOME + text[1:]
        elif field.tilde and text.startswith("~root"):
            text = "/root" + text[5:]
        elif field.tilde and text.startswith("~+"):
            text, glob = "*" + text[2:], True  # the harness's own working directory
        words.append((text, glob))
    return words


def _matches(bash_argv: tuple[str, ...], command: SimpleCommand) -> bool:
    return _match_words(list(bash_argv), _policy_words(command))


def _match_words(got: list[str], words: list[tuple[str, bool]]) -> bool:
    """A glob word stands for one or more matching names, or for itself when none match."""
    if not words:
        return not got
    (word, glob), rest = words[0], words[1:]
    if not got:
        return False
    if not glob:
        return got[0] == word and _match_words(got[1:], rest)
    if got[0] == word and _match_words(got[1:], rest):
        return True
    count = 0
    while count < len(got) and fnmatch.fnmatchcase(got[count], word):
        count += 1
        if _match_words(got[count:], rest):
            return True
    return False


def _accounted(bash_argv: tuple[str, ...], commands: list[SimpleCommand]) -> bool:
    for command in commands:
        if not command.written:
            continue
        if command.literal and _matches(bash_argv, command):
            return True
        if not all(f.literal for f in command.written):
            first = command.written[0]
            if not first.literal or first.text == bash_argv[0]:
                return True  # judged as "only known at run time": never allowed
    return False


def _certain(command: SimpleCommand) -> bool:
    """A command the policy says runs whatever happens, and the harness can observe."""
    return (
        _in_this_shell(command)
        and command.literal
        and bool(command.written)
        and not command.conditional
        and not command.function
        and not command.background
        and not command.calls_function
        and command.written[0].text not in bash_trace.ENABLED
        and not any(r.writes or r.reads_file for r in command.redirects)
        and not any(f.glob for f in command.written)
        and "process substitution" not in command.context
    )


@pytest.mark.parametrize(
    ("source", "command"), ENTRIES, ids=[f"{s}:{c[:50]!r}" for s, c in ENTRIES]
)
def test_policy_and_bash_agree_on_what_runs(harness: None, source: str, command: str) -> None:
    try:
        commands = parse_command(command)
    except (ParseError, BudgetExceeded):
        return  # refused (blocked): nothing of it runs
    traced = bash_trace.trace(command)
    mine = [c for c in commands if _in_this_shell(c)]
    escaped = [argv for argv in traced.argvs if argv and not _accounted(argv, mine)]
    assert not escaped, f"bash runs commands the policy did not judge: {escaped}"
    if traced.syntax_error or traced.capped or any(c.name == "exit" for c in commands):
        return
    seen = set(traced.argvs)
    invented = [c.argv for c in commands if _certain(c) and not any(_matches(a, c) for a in seen)]
    assert not invented, f"the policy judged commands bash does not run: {invented}"


def test_the_harness_sees_what_a_parser_bug_would_hide(harness: None) -> None:
    """The comparison can fail: a quoted here-document ends where bash says, and the harness
    reports the command after it."""
    traced = bash_trace.trace('cat <<E"O"F\nbody\nEOF\nrm -rf /nonexistent/x')
    assert ("rm", "-rf", "/nonexistent/x") in traced.argvs
    assert ("cat",) in traced.argvs
    fake = [SimpleCommand((), written=())]
    assert not _accounted(("rm", "-rf", "/nonexistent/x"), fake)


def test_the_harness_runs_nothing(harness: None, tmp_path: Path) -> None:
    target = tmp_path / "victim"
    target.mkdir()
    traced = bash_trace.trace(f"rm -rf {target}; /bin/rm -rf {target}; echo x > {target}/y")
    assert target.is_dir() and not (target / "y").exists()
    assert ("rm", "-rf", str(target)) in traced.argvs


_STRUCTURE = [
    "a", "b", "c", "x=1", ";", "&&", "||", "|", "&", "(", ")", "{", "}", "\n", "#", "\\",
    "'", '"', "\\\n", "<<E", "<<'E'", '<<"E"', "<<-E", "E", "\tE", "$(", "`", "if", "then",
    "else", "fi", "case", "in", "a)", ";;", "esac", "for", "do", "done", "while", "!", "[[",
    "]]", "((", "))", "$((", "<(", ">(", "2>&1", ">/dev/null", "<<<", "$x", "${x:-", "eval",
    "time", "coproc", "function", "f()",
]  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_STRUCTURE), min_size=1, max_size=16).map(" ".join))
def test_random_structure_agrees_with_bash(command: str) -> None:
    """Token soups of shell structure: whatever the parser accepts, bash runs nothing it
    did not list (here-documents, comments, continuations, nesting found two parser bugs)."""
    bash_trace.probe()
    try:
        commands = parse_command(command)
    except (ParseError, BudgetExceeded):
        return
    traced = bash_trace.trace(command)
    mine = [c for c in commands if _in_this_shell(c)]
    escaped = [argv for argv in traced.argvs if argv and not _accounted(argv, mine)]
    assert not escaped, (command, escaped)
