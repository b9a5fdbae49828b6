"""Property tests: the parser fails only with ParseError, and nothing unknown is allowed."""

from __future__ import annotations

import contextlib
import shlex

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.safety import CommandPolicy, ParseError, parse_command
from bot.safety.programs import READ_ONLY as READ_ONLY_COMMANDS
from bot.safety.shell import SHELLS, WRAPPERS

TOKENS = [
    "rm", "-rf", "/", "ls", "sudo", "env", "bash", "-c", "sh", "xargs", "timeout", "5", "|",
    ";", "&&", "||", "&", "(", ")", "{", "}", "$(", "`", "'", '"', "\\", "$x", "${IFS}", "x=rm",
    "<", ">", ">>", "<<<", "<<EOF", "EOF", "\n", "/dev/sda", "*", "~", "eval", "find", "-exec",
    "{}", "\\;", "$'\\x72'", "<(", ">(", "!", "#", "=", "if", "then", "fi", "for", "in", "do",
    "done", "function", "f()", "case", "esac", "[[", "]]", "$((", "))", "time", "-", "--",
]  # fmt: skip
_POLICY = CommandPolicy()
_RELAXED = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _token_soup() -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(TOKENS), max_size=14).map(" ".join)


def _raw_text() -> st.SearchStrategy[str]:
    alphabet = st.sampled_from(list("abcrm -/|;&()`'\"\\${}<>*~=!#\n\t0123456789x"))
    return st.lists(alphabet, max_size=40).map("".join)


@_RELAXED
@given(st.one_of(_token_soup(), _raw_text(), st.text(max_size=40)))
def test_parser_raises_nothing_but_parse_error(command: str) -> None:
    # Returning normally or raising ParseError are the only two outcomes allowed.
    with contextlib.suppress(ParseError):
        parse_command(command)


@_RELAXED
@given(st.one_of(_token_soup(), _raw_text()))
def test_an_allowed_command_is_plain_literal_and_read_only(command: str) -> None:
    verdict = _POLICY.evaluate(command)
    if verdict.decision != "allow":
        return
    commands = parse_command(command)
    assert commands, command
    for simple in commands:
        assert simple.literal and not simple.variant, command
        assert simple.name in READ_ONLY_COMMANDS, command
        assert not any(r.writes and r.target != "/dev/null" for r in simple.redirects), command


# Wrappers and shells are excluded: `sudo ls` is legitimately allowed.
_SEE_THROUGH = WRAPPERS | SHELLS | {"eval", "watch", "ssh", "su", "runuser"}
_UNKNOWN_PROGRAM = st.from_regex(r"\A[a-z][a-z0-9_-]{0,10}\Z").filter(
    lambda name: name not in READ_ONLY_COMMANDS and name not in _SEE_THROUGH
)
_ARG = st.from_regex(r"\A[-a-zA-Z0-9_./=:]{1,12}\Z")


@_RELAXED
@given(_UNKNOWN_PROGRAM, st.lists(_ARG, max_size=5))
def test_unknown_programs_are_never_allowed(program: str, args: list[str]) -> None:
    command = shlex.join([program, *args])
    assert _POLICY.evaluate(command).decision != "allow", command


@_RELAXED
@given(
    st.sampled_from(sorted(READ_ONLY_COMMANDS)),
    st.sampled_from(["$x", "${x}", "$(id)", "`id`", "<(id)", "$'\\x2f'", '"$x"']),
)
def test_run_time_words_are_never_allowed(program: str, dynamic: str) -> None:
    assert _POLICY.evaluate(f"{program} {dynamic}").decision != "allow"


@_RELAXED
@given(_token_soup())
def test_evaluate_never_raises(command: str) -> None:
    assert _POLICY.evaluate(command).decision in ("allow", "confirm", "block")


_WRAPPER_PREFIXES = [
    "sudo", "sudo -u root", "sudo -E --", "doas", "env", "env -i", "env A=1", "nohup",
    "timeout 5", "timeout -s KILL 5", "nice", "nice -n 5", "ionice -c3", "stdbuf -oL",
    "command", "exec", "busybox", "setsid", "/usr/bin/time -p", "xargs -0",
]  # fmt: skip
_COMPOSERS = [
    lambda c: f"bash -c {shlex.quote(c)}",
    lambda c: f"sh -ec {shlex.quote(c)}",
    lambda c: f"eval {shlex.quote(c)}",
    lambda c: f"ls; {c}",
    lambda c: f"uptime && {c}",
    lambda c: f"false || {c}",
    lambda c: f"( {c} )",
    lambda c: f"{{ {c}; }}",
    lambda c: f"echo $({c})",
    lambda c: f"ls | {c}",
    lambda c: f"ssh pve01 {shlex.quote(c)}",
]


@_RELAXED
@given(
    st.lists(st.sampled_from(_WRAPPER_PREFIXES), max_size=4),
    st.lists(st.sampled_from(_COMPOSERS), max_size=3),
    st.sampled_from(["rm -rf /", "rm -fr /etc", "rm -r -f /usr/*", "rm --recursive ~"]),
)
def test_wrapped_and_nested_rm_of_system_paths_is_always_blocked(
    wrappers: list[str], composers: list, destructive: str
) -> None:
    command = " ".join([*wrappers, destructive])
    for compose in composers:
        command = compose(command)
    verdict = _POLICY.evaluate(command)
    # bashlex cannot parse `&&` inside `$(…)`: such forms are refused as unparseable instead.
    assert verdict.decision == "block", command
    assert verdict.rule_id in ("fs.rm_recursive_system", "shell.unparseable"), command
