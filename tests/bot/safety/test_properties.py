"""Property tests: the parser fails only with ParseError or BudgetExceeded, nothing unknown is
ever allowed (program, option, operand, run-time word), and an analysis never exceeds its
budget."""

from __future__ import annotations

import contextlib
import shlex
from collections import Counter

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bot.safety import Budget, BudgetExceeded, CommandPolicy, ParseError, parse_command
from bot.safety.programs import READ_ONLY
from bot.safety.shell import SHELLS, WRAPPERS

TOKENS = [
    "rm", "-rf", "/", "ls", "sudo", "env", "bash", "-c", "sh", "xargs", "timeout", "5", "|",
    ";", "&&", "||", "&", "(", ")", "{", "}", "$(", "`", "'", '"', "\\", "$x", "${IFS}", "x=rm",
    "<", ">", ">>", "<<<", "<<EOF", "<<'EOF'", '<<E"O"F', "EOF", "\n", "/dev/sda", "*", "~",
    "eval", "find", "-exec", "{}", "\\;", "$'\\x72'", "<(", ">(", "!", "#", "=", "if", "then",
    "fi", "for", "in", "do", "done", "function", "f()", "case", "esac", "[[", "]]", "$((", "))",
    "time", "-", "--", "coproc", "select", "{1..3}", "cat", "/etc/shadow", "ping", "evil.example",
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
def test_parser_raises_nothing_but_parse_error_or_budget(command: str) -> None:
    with contextlib.suppress(ParseError, BudgetExceeded):
        parse_command(command)


# Programs whose bare invocation is read-only (`uptime`, `zpool`, `lsblk`): the building blocks
# of commands that *should* be allowed, so the properties below judge mostly allowed commands
# and every example reaches its assertion (a soup of random tokens is almost never allowed, so
# an "if allowed then …" property over it checks next to nothing).
_ALLOWED_ALONE = sorted(
    name
    for name in READ_ONLY
    if name not in SHELLS and name not in WRAPPERS and name != "eval"
    and _POLICY.evaluate(name).decision == "allow"
)  # fmt: skip
_HARMLESS_REDIRECTS = [
    "", "2>/dev/null", "> /dev/null", ">/dev/stderr", "2>&1", ">&2", "1>/dev/null 2>&1",
    "</etc/hostname", "&>/dev/null", ">>/dev/null",
]  # fmt: skip
_WRITING_REDIRECTS = [
    "> /tmp/out", ">>/var/log/x", "2>/tmp/err", "&> out", "1>o", "3>o", ">| o", "<> o",
    "2>>e", "&>>o", ">/etc/passwd", "> /dev/sda",
]  # fmt: skip
_JOINERS = [" | ", "; ", " && ", " || ", " |& ", "\n"]
_ENCLOSERS = [
    lambda c: c,
    lambda c: f"( {c} )",
    lambda c: f"{{ {c}; }}",
    lambda c: f"sudo {c}" if "|" not in c and ";" not in c and "&" not in c else c,
    lambda c: f"bash -c {shlex.quote(c)}",
    lambda c: f"if {c}; then uptime; fi",
]


@st.composite
def _read_only_commands(draw: st.DrawFn) -> tuple[str, bool]:
    """A composition of read-only programs, each with a redirect; and whether any redirect
    writes to a file (then the whole command must not be allowed)."""
    parts, writes = [], False
    for _ in range(draw(st.integers(1, 3))):
        program = draw(st.sampled_from(_ALLOWED_ALONE))
        writing = draw(st.integers(0, 3)) == 0  # about one part in four writes
        pool = _WRITING_REDIRECTS if writing else _HARMLESS_REDIRECTS
        parts.append(f"{program} {draw(st.sampled_from(pool))}".strip())
        writes |= writing
    command = parts[0]
    for part in parts[1:]:
        command += draw(st.sampled_from(_JOINERS)) + part
    return draw(st.sampled_from(_ENCLOSERS))(command), writes


_SINKS = {"/dev/null", "/dev/stdout", "/dev/stderr"}  # writing there changes no file


def _assert_literal_and_read_only(command: str) -> None:
    commands = [c for c in parse_command(command) if not c.variant]
    assert commands, command
    for simple in commands:
        if not simple.fields:
            continue  # an assignment or a construct, judged as such
        carrier = simple.name in SHELLS or simple.name == "eval"
        assert simple.name in READ_ONLY or carrier, command
        assert simple.literal or READ_ONLY[simple.name].any_args, command
        assert not any(r.writes and r.target not in _SINKS for r in simple.redirects), command


def test_read_only_compositions_are_allowed_and_any_file_write_is_not() -> None:
    """Every example asserts its exact decision: a composition of read-only programs with
    harmless redirects is allowed (and parses as literal read-only commands); one write to a
    file anywhere in it makes the whole command not allowed. The counts prove both sides ran."""
    decided: Counter[tuple[bool, str]] = Counter()

    @_RELAXED
    @given(_read_only_commands())
    def composed(example: tuple[str, bool]) -> None:
        command, writes = example
        verdict = _POLICY.evaluate(command)
        decided[writes, verdict.decision] += 1
        event(f"writes={writes} decision={verdict.decision}")
        if writes:
            assert verdict.decision != "allow", command
            found = {finding.rule_id for finding in verdict.findings}
            assert "shell.write_redirect" in found, (command, found)
        else:
            assert verdict.decision == "allow", (command, verdict.rule_id, verdict.reason)
            _assert_literal_and_read_only(command)

    composed()
    assert decided[False, "allow"] >= 100, decided
    assert sum(n for (writes, _), n in decided.items() if writes) >= 30, decided


_SEE_THROUGH = WRAPPERS | SHELLS | {"eval", "watch", "ssh", "su", "runuser"}
_UNKNOWN_PROGRAM = st.from_regex(r"\A[a-z][a-z0-9_-]{0,10}\Z").filter(
    lambda name: name not in READ_ONLY and name not in _SEE_THROUGH
)
_ARG = st.from_regex(r"\A[-a-zA-Z0-9_./=:]{1,12}\Z")


@_RELAXED
@given(_UNKNOWN_PROGRAM, st.lists(_ARG, max_size=5))
def test_unknown_programs_are_never_allowed(program: str, args: list[str]) -> None:
    command = shlex.join([program, *args])
    assert _POLICY.evaluate(command).decision != "allow", command


_CHECKED = sorted(
    name for name, spec in READ_ONLY.items() if not spec.any_args and spec.raw is None
)


def _unknown_option(name: str, suffix: str) -> str:
    """A long option no declared option of `name` starts with."""
    return f"--zq{suffix}"


@_RELAXED
@given(st.sampled_from(_CHECKED), st.from_regex(r"\A[a-z]{1,6}\Z"), st.booleans())
def test_an_unknown_option_is_never_allowed(program: str, suffix: str, before: bool) -> None:
    option = _unknown_option(program, suffix)
    command = f"{program} {option} x" if before else f"{program} x {option}"
    assert _POLICY.evaluate(command).decision != "allow", command


@_RELAXED
@given(st.sampled_from(sorted(n for n in _CHECKED if READ_ONLY[n].subcommands)),
       st.from_regex(r"\A[a-z]{3,8}\Z"))  # fmt: skip
def test_an_unknown_subcommand_is_never_allowed(program: str, verb: str) -> None:
    spec = READ_ONLY[program]
    assert spec.subcommands is not None
    command = f"{program} {verb}-halops"  # the suffix makes every verb one no tool declares
    assert f"{verb}-halops" not in spec.subcommands
    assert _POLICY.evaluate(command).decision != "allow", command


@_RELAXED
@given(
    st.sampled_from(
        sorted(
            n
            for n in _CHECKED
            if READ_ONLY[n].operands == "" and n not in WRAPPERS and not READ_ONLY[n].subcommands
        )
    ),
    st.from_regex(r"\A[a-z/][a-z0-9/._]{0,10}\Z"),
)
def test_an_operand_where_none_is_read_only_is_never_allowed(program: str, operand: str) -> None:
    command = f"{program} {operand}"
    assert _POLICY.evaluate(command).decision != "allow", command


@_RELAXED
@given(
    st.sampled_from(sorted(n for n in READ_ONLY if not READ_ONLY[n].any_args)),
    # (`<(id)` is no run-time word: a /dev/fd pipe from a command judged on its own)
    st.sampled_from(["$x", "${x}", "$(id)", "`id`", '"$x"', "$1$x", "${x:-y}", "$((x))"]),
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
    "command", "exec", "busybox", "setsid", "/usr/bin/time -p", "xargs -0", "chrt 10",
    "taskset 1", "flock /tmp/l", "unshare -m", "systemd-run", "strace -f",
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
    lambda c: f"echo $( {c} )",
    lambda c: f"ls | {c}",
    lambda c: f"ssh pve01 {shlex.quote(c)}",
    lambda c: f"cat <<'EOF'\nx\nEOF\n{c}",
    lambda c: f"[[ -d / ]] && {c}",
    lambda c: f"case a in a) {c};; esac",
    lambda c: f"for i in 1 2; do {c}; done",
    lambda c: f"f() {{ {c}; }}; f",
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
    assert verdict.decision == "block", command
    assert verdict.rule_id in ("fs.rm_recursive_system", "analysis.budget_exceeded"), command


# --- the budget -----------------------------------------------------------------------------


class StepClock:
    """A clock that moves one second per reading: the deadline falls after `limit` readings."""

    def __init__(self) -> None:
        self.now = 0.0
        self.reads_after_deadline = 0
        self.deadline: float | None = None

    def __call__(self) -> float:
        self.now += 1.0
        if self.deadline is not None and self.now > self.deadline:
            self.reads_after_deadline += 1
        return self.now


_HEAVY = st.one_of(
    _token_soup(),
    st.integers(1, 400).map(lambda n: "; ".join(["ls"] * n)),
    st.integers(1, 60).map(lambda n: "echo " + "{a,b}" * n),
    st.integers(1, 30).map(lambda n: "echo " + " ".join(["{-999999..999999}"] * n)),
    st.integers(1, 12).map(lambda n: "eval " * n + "ls"),
    st.integers(1, 100).map(lambda n: "for i in " + " ".join(map(str, range(n))) + "; do ls; done"),
)


@_RELAXED
@given(_HEAVY, st.integers(1, 50))
def test_an_analysis_never_exceeds_its_budget(command: str, limit: int) -> None:
    """Sizes never pass their caps, and once the deadline has passed the check stops at the
    very next look at the clock, whatever the input."""
    clock = StepClock()
    budgets: list[Budget] = []

    def new_budget() -> Budget:
        budget = Budget(time_s=float(limit), max_commands=64, max_fields=512, clock=clock)
        clock.deadline = budget.deadline
        budgets.append(budget)
        return budget

    verdict = CommandPolicy(budget=new_budget).evaluate(command)
    [budget] = budgets
    assert budget.commands <= budget.max_commands + 1
    assert budget.fields <= budget.max_fields + MAX_ONE_WORD
    assert clock.reads_after_deadline <= 1
    if clock.reads_after_deadline:
        assert (verdict.decision, verdict.rule_id) == ("block", "analysis.budget_exceeded")


MAX_ONE_WORD = 256  # one word's brace expansion is counted before it is added
