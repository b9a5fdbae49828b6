"""A tracing harness: which simple commands would real bash run for a command line — without
running any of them.

How: bash runs the command line with every builtin disabled (`enable -n`, all but `printf`,
`exit` and `return`, which the harness itself needs), an empty PATH and in restricted mode
(`-r`: no `/` in command names, no output redirection, no `exec`, no `cd`). So every simple
command reaches command lookup, finds nothing, and calls `command_not_found_handle` — a
function of the harness that records the command's argv *after* bash's own expansions and
returns a chosen status instead of running anything. `shopt -s extdebug` + `set -T` + a DEBUG
trap record each command's text (`$BASH_COMMAND`) as well, in functions, subshells and command
substitutions too, and cap the number of steps (an endless `while :` ends). Each command line
runs twice: every command "succeeds" in the first pass and "fails" in the second, so both sides
of `&&`/`||`/`if` are reached.

Defence in depth, because the catalogues are hostile: the shell runs as `nobody` (when the
tests run as root), in new user, PID and network namespaces (`unshare`; skipped where not
permitted), in an empty temporary folder, under a timeout. Before any catalogue command runs,
a probe proves that builtins really are disabled (`kill`, `echo` reach the handler).

What the harness cannot see (its limits, stated so the comparison does not pretend):
- scripts run by *another* program — `bash -c '…'`, `ssh host '…'`, `eval '…'`, `watch`,
  `find -exec`: bash starts no such program here (their inside is judged by the policy and
  compared by the words test, not by this one);
- commands whose output redirection restricted mode refuses, and commands whose input file
  the `nobody` user cannot open: bash never reaches their lookup (the DEBUG text still shows
  them);
- branches that neither "all succeed" nor "all fail" reaches (`case` on an unknown word, a loop
  body after its condition), function bodies never called, and what follows an `exit`;
- command substitutions' *output* (always empty here), so words built from it differ;
- `printf`, `exit` and `return` themselves (left enabled, so not recorded as argv).
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

BASH = shutil.which("bash")
UNSHARE = shutil.which("unshare")
HOME = "/nonexistent/home"
ENABLED = ("printf", "exit", "return")
MAX_STEPS = 400
TIMEOUT_S = 20


@dataclass
class Trace:
    """What bash did with one command line, over both passes."""

    argvs: list[tuple[str, ...]] = field(default_factory=list)  # commands that reached lookup
    texts: list[str] = field(default_factory=list)  # $BASH_COMMAND of every simple command
    syntax_error: bool = False
    capped: bool = False  # the step cap or the timeout ended a pass


@functools.cache
def builtins() -> tuple[str, ...]:
    assert BASH is not None
    out = subprocess.run([BASH, "--norc", "-c", "compgen -b"], capture_output=True, text=True)
    return tuple(sorted(set(out.stdout.split()) - set(ENABLED)))


def _prelude(fd: int, status: int) -> str:
    return f"""
__halops_n=0
__halops_trace() {{
  (( ++__halops_n > {MAX_STEPS} )) && exit 99
  [[ ${{FUNCNAME[1]-}} == command_not_found_handle ]] && return 0
  printf '%s\\0' T "$BASH_COMMAND" >&{fd}
  return 0
}}
command_not_found_handle() {{
  printf '%s\\0' A "$#" "$@" >&{fd}
  (( {status} == 0 ))
}}
shopt -s extdebug
set -T
trap __halops_trace DEBUG
enable -n {" ".join(builtins())}
"""


@functools.cache
def _isolation() -> tuple[list[str], dict[str, object]]:
    """The wrapper command and subprocess options that isolate the traced shell."""
    wrapper: list[str] = []
    options: dict[str, object] = {}
    if os.geteuid() == 0:
        options.update(user="nobody", group="nogroup", extra_groups=[])
    if UNSHARE is not None:
        probe = [UNSHARE, "--user", "--pid", "--fork", "--net", "--kill-child", "true"]
        if subprocess.run(probe, capture_output=True, **options).returncode == 0:  # type: ignore[arg-type]
            wrapper = probe[:-1]
    return wrapper, options


def _run(command: str, status: int, workdir: Path) -> tuple[list[list[str]], str, int]:
    assert BASH is not None
    read_fd, write_fd = os.pipe()
    wrapper, options = _isolation()
    script = _prelude(write_fd, status) + "\n" + command
    env = {"PATH": "/nonexistent/bin", "HOME": HOME, "FUNCNEST": "8", "LC_ALL": "C"}
    try:
        proc = subprocess.Popen(
            [*wrapper, BASH, "--norc", "--noprofile", "-r", "-c", script],
            env=env,
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            pass_fds=(write_fd,),
            start_new_session=True,
            **options,  # type: ignore[arg-type]
        )
    finally:
        os.close(write_fd)
    with os.fdopen(read_fd, "rb") as reader:
        data = reader.read()
    try:
        _, stderr = proc.communicate(timeout=TIMEOUT_S)
        code = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        _, stderr = proc.communicate()
        code = 124
    return list(_records(data)), stderr.decode("utf-8", "replace"), code


def _records(data: bytes) -> Iterator[list[str]]:
    fields = data.decode("utf-8", "surrogateescape").split("\0")
    i = 0
    while i < len(fields) - 1:
        kind = fields[i]
        if kind == "T":
            yield ["T", fields[i + 1]]
            i += 2
        elif kind == "A":
            count = int(fields[i + 1])
            yield ["A", *fields[i + 2 : i + 2 + count]]
            i += 2 + count
        else:  # a torn record (a background job interleaved): skip one field
            i += 1


def trace(command: str) -> Trace:
    """Both passes of `command` through the harness."""
    result = Trace()
    with tempfile.TemporaryDirectory(prefix="halops-trace-") as tmp:
        workdir = Path(tmp)
        os.chmod(workdir, 0o755)
        for status in (0, 1):
            records, stderr, code = _run(command, status, workdir)
            result.syntax_error |= "syntax error" in stderr or (code == 2 and "line" in stderr)
            result.capped |= code in (99, 124)
            for record in records:
                if record[0] == "A":
                    result.argvs.append(tuple(record[1:]))
                else:
                    result.texts.append(record[1])
    return result


@functools.cache
def probe() -> None:
    """Refuse to trace anything unless builtins are provably disabled in the harness."""
    found = trace("echo probe; kill -l; cd /; export X=1")
    expected = {("echo", "probe"), ("kill", "-l"), ("cd", "/"), ("export", "X=1")}
    missing = expected - set(found.argvs)
    if missing:
        raise RuntimeError(f"the tracing harness is not isolated: {sorted(missing)} ran for real")
