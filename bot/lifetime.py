"""Child processes that die with the process that started them, even when it is SIGKILLed.

`die_with_parent` is a `preexec_fn`: in the child, between fork and exec, it asks Linux to send
SIGKILL when the parent goes away (`prctl(PR_SET_PDEATHSIG)`). Used for the llama.cpp server
the bot or `halops ask` starts, and for every command the shell executor runs, so neither
outlives a bot that was killed. Two properties to know:
- the signal fires when the *thread* that started the child exits, not only the process: the
  callers start children from threads that live as long as the process (the main thread, the
  conversation workers);
- it reaches the child only, not grandchildren it leaves behind; the systemd unit's
  `KillMode=control-group` covers those in production.
A race remains between fork and prctl: if the parent died in it, the child checks its parent
pid afterwards and exits.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
from collections.abc import Callable

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
