"""Child processes that die with the process that started them, even when it is SIGKILLed.

`die_with_parent` is a `preexec_fn`: in the child, between fork and exec, it asks Linux to send
SIGKILL when the parent goes away (`prctl(PR_SET_PDEATHSIG)`). Used for the llama.cpp server
the bot or `halops ask` starts, and for every command the shell executor runs, so neither
outlives a bot that was killed. Two properties to know:
- the signal fires when the *thread* that started the child exits, not only the process: the
  callers start children from threads that live as long as the process (the main thread, the
  conversation workers);
- it reaches the child only, not grandchildren it leaves behind: on a graceful stop
  `kill_child_sessions` kills the children's whole process groups, and the systemd unit's
  `KillMode=control-group` covers a SIGKILLed bot in production.
A race remains between fork and prctl: if the parent died in it, the child checks its parent
pid afterwards and exits.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

PR_SET_PDEATHSIG = 1
# Resolved once in the parent: the child, between fork and exec, should only make the call.
_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
_prctl = _libc.prctl if sys.platform.startswith("linux") else None


def die_with_parent(parent_pid: int | None = None) -> None:
    """preexec_fn: SIGKILL this child when its parent (thread) ends."""
    if _prctl is None:  # only Linux has a parent-death signal
        return
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(1)  # the parent is already gone


def tied_to_this_process() -> Callable[[], None]:
    """A preexec_fn bound to the current pid (closes the fork/prctl race)."""
    parent = os.getpid()
    return lambda: die_with_parent(parent)


def kill_child_sessions() -> list[int]:
    """SIGKILL the process group of every child of this process that leads its own session
    (the shell executor's commands, the llama.cpp server): with each group go the grandchildren
    that PR_SET_PDEATHSIG does not reach. The bot's last step after SIGTERM; Linux /proc only."""
    me, killed = os.getpid(), []
    for pid in _pids():
        fields = _stat_fields(pid)
        if fields is not None and int(fields[1]) == me and int(fields[3]) == pid:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
                killed.append(pid)
    return killed


def _pids() -> list[int]:
    try:
        return [int(name) for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return []


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/PID/stat after the command name: state, ppid, pgrp, session, ..."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
