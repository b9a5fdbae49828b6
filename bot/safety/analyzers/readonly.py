"""The allow side: a command is allowed only when it is positively known to be read-only.

Exactly one finding per simple command: `shell.readonly` (allow) when the program is on the
read-only allow-list with only declared options and operand shapes, its words are known
before run time, it writes no file, and nothing in its environment can change what runs;
otherwise a confirming finding that says which of these failed.
"""

from __future__ import annotations

import posixpath
import re

from bot.safety.analyzers.base import Context, finding
from bot.safety.programs import Accepted, Rejected
from bot.safety.shell.command import SimpleCommand
from bot.safety.shell.inline import POSIX_SHELLS, nested_scripts
from bot.safety.verdict import Decision, RuleFinding

ALLOW, CONFIRM = Decision.ALLOW, Decision.CONFIRM
SYSTEM_BIN_DIRS = frozenset(
    [
        "/bin",
        "/sbin",
        "/usr/bin",
        "/usr/sbin",
        "/usr/local/bin",
        "/usr/local/sbin",
        "/usr/lib/zfs-linux",
        "/usr/lib/nvidia",
    ]
)
# Environment given to a program that cannot change which program runs or what it loads.
SAFE_ENV = re.compile(
    r"^(LC_[A-Z]+|LANG|LANGUAGE|TZ|COLUMNS|LINES|NO_COLOR|TERM|TIME_STYLE|SYSTEMD_COLORS|"
    r"SYSTEMD_LOG_LEVEL|TMOUT)$"
)
# Shell variables whose value changes what later commands run, load or reach.
DANGEROUS_VARIABLE = re.compile(
    r"^(PATH|CDPATH|GLOBIGNORE|BASH_ENV|ENV|PS4|PROMPT_COMMAND|SHELLOPTS|BASHOPTS|HOME|"
    r"HISTFILE|BASH_XTRACEFD|BASH_LOADABLES_PATH|EXECIGNORE|FUNCNEST|TMPDIR|SHELL|PAGER|"
    r"MANPAGER|SYSTEMD_PAGER|EDITOR|VISUAL|BROWSER|LESSOPEN|LESSCLOSE|HOSTALIASES|"
    r"LOCALDOMAIN|RES_OPTIONS|KUBECONFIG|DOCKER_HOST|DOCKER_CONFIG|CEPH_ARGS|"
    r"LIBVIRT_DEFAULT_URI|VIRSH_DEFAULT_CONNECT_URI|GCONV_PATH|NLSPATH|"
    r"(LD|DYLD|PYTHON|PERL5?|RUBY|NODE|GIT|SSH|SSL|CURL|WGET|GNUPG)_?[A-Z_]*|"
    r"[A-Za-z_]*(PROXY|proxy))$"
)
_HARMLESS_SINKS = frozenset({"/dev/null", "/dev/stdout", "/dev/stderr"})


def check_read_only(command: SimpleCommand, context: Context) -> list[RuleFinding]:
    if command.variant:
        return []  # a guessed reading adds blocks, never allows
    if command.keyword:
        return finding("shell.readonly", ALLOW, f"shell construct {command.keyword}", command)
    problem = _problem(command, context)
    if problem is None:
        what = command.name or "assignment"
        return finding("shell.readonly", ALLOW, f"read-only {what}", command)
    rule_id, reason = problem
    return finding(rule_id, CONFIRM, reason, command, generic=True)


def _problem(command: SimpleCommand, context: Context) -> tuple[str, str] | None:
    writes = [r.target for r in command.redirects if r.writes and r.target not in _HARMLESS_SINKS]
    writes += list(command.wrapper_writes)
    if writes:
        return "shell.write_redirect", f"writes to {writes[0]}"
    if any(not r.literal for r in command.redirects):
        return "shell.dynamic_word", "a redirection target only known at run time"
    if not command.fields:
        return _assignment_problem(command)
    if command.calls_function:
        return "shell.function_call", f"{command.name} is a function defined in the command"
    if command.unpeeled:
        wrapper = command.fields[0].text if not command.wrappers else command.wrappers[-1]
        return "shell.not_readonly", f"{wrapper} with options not known here"
    if command.dynamic_assignment:
        return "shell.dynamic_word", "an environment value only known at run time"
    unsafe = [a for a in command.assignments if not SAFE_ENV.match(a.split("=", 1)[0])]
    if unsafe:
        return "shell.env_assignment", f"runs with {unsafe[0].split('=', 1)[0]} set"
    if command.args_from_stdin and not _takes_any_words(command):
        return "shell.dynamic_word", "xargs adds arguments only known at run time"
    notes = [n for n in command.wrapper_notes]
    if notes:
        return "shell.not_readonly", f"{command.name} would run {notes[0]}"
    return _program_problem(command, context)


def _takes_any_words(command: SimpleCommand) -> bool:
    """`… | xargs echo`: a program for which any word is harmless text."""
    from bot.safety.programs import READ_ONLY

    spec = READ_ONLY.get(command.name)
    return spec is not None and spec.any_args


def _assignment_problem(command: SimpleCommand) -> tuple[str, str] | None:
    if not command.assignments:
        return None  # a redirection alone, reading only
    names = [a.split("=", 1)[0].rstrip("+") for a in command.assignments]
    dangerous = [n for n in names if DANGEROUS_VARIABLE.match(n)]
    if dangerous:
        return "shell.env_assignment", f"sets {dangerous[0]}, which changes later commands"
    return None


def _program_problem(command: SimpleCommand, context: Context) -> tuple[str, str] | None:
    program = command.fields[0]
    if not program.literal:
        return "shell.dynamic_word", "the program is only known at run time"
    if "/" in program.text and posixpath.dirname(program.text) not in SYSTEM_BIN_DIRS:
        return "shell.not_allowlisted", f"{program.text} is not a system program"
    if command.name in POSIX_SHELLS or command.name == "eval":
        return _carrier_problem(command)
    if command.name in SHELL_STATE:
        return _shell_state_problem(command)
    accepted = context.accepted(command)
    if accepted is None:
        return "shell.not_allowlisted", f"{command.name} is not on the read-only allow-list"
    if isinstance(accepted, Rejected):
        text = str(accepted)
        if "only known at run time" in text:
            return "shell.dynamic_word", f"{command.name}: {text}"
        return "shell.not_readonly", f"{command.name}: {text}"
    assert isinstance(accepted, Accepted)
    return None


# Builtins that only set the shell's own variables and options.
SHELL_STATE = frozenset({"export", "declare", "typeset", "local", "readonly", "unset", "set"})
_SAFE_SET_OPTIONS = re.compile(r"^[-+][euxvo]+$|^[-+]o$")
_SET_OPTION_NAMES = frozenset(
    {"errexit", "nounset", "pipefail", "xtrace", "verbose", "noclobber", "noglob", "errtrace"}
)


def _shell_state_problem(command: SimpleCommand) -> tuple[str, str] | None:
    """`export FOO=1`, `local x`, `set -euo pipefail`: fine unless a name changes what later
    commands run or load (PATH, LD_PRELOAD, …) or a `declare -n` aliases another variable."""
    args = command.args
    if command.name == "set":
        words = [a for a in args if not _SAFE_SET_OPTIONS.match(a) and a not in _SET_OPTION_NAMES]
        if words:
            return "shell.not_readonly", f"set {' '.join(words)} changes the shell"
        return None
    if any(a.startswith("-") and "n" in a[1:] for a in args if not a.startswith("--")):
        return "shell.not_readonly", f"{command.name} -n makes a name refer to another"
    names = [a.split("=", 1)[0].rstrip("+") for a in args if not a.startswith(("-", "+"))]
    dangerous = [n for n in names if DANGEROUS_VARIABLE.match(n)]
    if dangerous:
        return "shell.env_assignment", f"{command.name} {dangerous[0]} changes later commands"
    return None


def _carrier_problem(command: SimpleCommand) -> tuple[str, str] | None:
    """`bash -c '…'`, `eval '…'`, `bash <<'EOF'`: read-only as a carrier when the script is
    literal (its commands are judged one by one)."""
    if not command.literal:
        return "shell.dynamic_word", f"{command.name} runs a script only known at run time"
    scripts = nested_scripts(command, None)
    if not scripts:
        return "shell.not_allowlisted", f"{command.name} without an inline script"
    return None


ANALYZERS = (check_read_only,)
