"""Local commands: the exact string the policy judged, read by bash — nothing parses it here.

The policy's parser agrees with bash (a differential test holds it to real bash), so handing
bash the same string runs exactly what was judged: `find DIR # -delete` is a `find` with a
comment, for the policy and for bash alike. A second parser here (`shlex.split` once was) could
only disagree. Plain commands (one simple command, literal words, nothing for a shell to do)
run in bash's restricted mode, so even a parser disagreement could not redirect output, change
directory or run a program by path.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from bot.lifetime import tied_to_this_process
from bot.tools.base import (
    DEFAULT_OUTPUT_CAP_BYTES,
    BoundedCapture,
    ToolResult,
    cap_output,
    elapsed_since,
    join_streams,
    require_str,
)
from halops.contract.tools import SHELL_SPEC

# After a timeout, how long to wait for the reader threads once the group has been killed; a
# grandchild that left the process group can keep the pipes open forever.
_READER_GRACE_S = 1.0
READ_CHUNK = 65536
INHERITED_ENV = ("PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TZ", "TERM")
COMMAND_NOT_FOUND = 127
NOT_EXECUTABLE = 126


class ShellExecutor:
    """Runs local commands with a timeout that kills the whole process group."""

    spec = SHELL_SPEC

    def __init__(
        self,
        cap_bytes: int = DEFAULT_OUTPUT_CAP_BYTES,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        bash: str = "/bin/bash",
    ) -> None:
        self.cap_bytes = cap_bytes
        self.cwd = cwd
        self.env = dict(env) if env is not None else minimal_env()
        self.bash = bash

    def execute(
        self, args: dict[str, Any], timeout_s: float, *, allow_compound: bool = False
    ) -> ToolResult:
        """Run `args["command"]` through bash; restricted unless the policy allowed shell
        syntax (`allow_compound` is the policy's word, never the model's)."""
        start = time.monotonic()
        command = require_str(args, "command")
        if command is None:
            return ToolResult.failure("bad_arguments", "missing string argument 'command'")
        return self._run(self.argv(command, allow_compound), timeout_s, start)

    def argv(self, command: str, allow_compound: bool = False) -> list[str]:
        """The process that runs `command`: bash reading the very string that was judged."""
        restricted = [] if allow_compound else ["-r"]
        return [self.bash, "--noprofile", "--norc", *restricted, "-c", command]

    def _run(self, argv: list[str], timeout_s: float, start: float) -> ToolResult:
        try:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=self.cwd,
                env=self.env,
                # Its own session, so a timeout can kill the command and all its children.
                start_new_session=True,
                preexec_fn=tied_to_this_process(),  # bot branch: dies with the bot (SIGKILL too)
            )
        except FileNotFoundError:
            return _not_runnable(COMMAND_NOT_FOUND, f"command not found: {argv[0]}", start)
        except PermissionError:
            return _not_runnable(NOT_EXECUTABLE, f"permission denied: {argv[0]}", start)
        return self._collect(proc, timeout_s, start)

    def _collect(self, proc: subprocess.Popen[bytes], timeout_s: float, start: float) -> ToolResult:
        out, err = BoundedCapture(self.cap_bytes), BoundedCapture(self.cap_bytes)
        readers = [_start_reader(proc.stdout, out), _start_reader(proc.stderr, err)]
        try:
            status: int | None = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            status = None
        for reader in readers:
            reader.join(_READER_GRACE_S if status is None else None)
        text = cap_output(join_streams(out.text(), err.text()), self.cap_bytes)
        return _result(text, status, timeout_s, elapsed_since(start))


def minimal_env(source: Mapping[str, str] | None = None) -> dict[str, str]:
    """The few variables commands need; the bot's own environment holds Slack tokens and BMC
    passwords, and `env` must not show them to the model."""
    source = os.environ if source is None else source
    return {key: source[key] for key in INHERITED_ENV if key in source}


def _start_reader(stream: IO[bytes] | None, sink: BoundedCapture) -> threading.Thread:
    def pump() -> None:
        assert stream is not None
        with stream:
            # os.read returns whatever is available, so a trickle of output is not held back.
            fd = stream.fileno()
            for chunk in iter(lambda: os.read(fd, READ_CHUNK), b""):
                sink.feed(chunk)

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    return thread


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the command's process group: past its timeout a command gets no grace period."""
    with contextlib.suppress(ProcessLookupError):  # it may exit between timeout and kill
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _result(text: str, status: int | None, timeout_s: float, duration_s: float) -> ToolResult:
    if status is None:
        note = f"[timed out after {timeout_s:g} s; the command and its children were killed]"
        return ToolResult.failure("timeout", f"{text}\n{note}".lstrip("\n"), duration_s)
    if status != 0:
        return ToolResult(False, text, status, "nonzero_exit", duration_s)
    return ToolResult(True, text, 0, None, duration_s)


def _not_runnable(status: int, message: str, start: float) -> ToolResult:
    # Same exit codes as a shell would give, so the model reads them the familiar way.
    return ToolResult(False, message, status, "nonzero_exit", elapsed_since(start))
