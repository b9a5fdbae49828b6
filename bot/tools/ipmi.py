"""Out-of-band management through a host's BMC, with pyghmi's IPMI client.

Credentials come from the environment (the variable named by the host entry, else the
executor's default); they are never taken from tool arguments and never appear in output.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pyghmi.exceptions import IpmiException, PyghmiException
from pyghmi.ipmi.command import Command
from pyghmi.ipmi.private.session import Session as IpmiSession

from bot.tools.base import (
    DEFAULT_OUTPUT_CAP_BYTES,
    HostEntry,
    ToolResult,
    cap_output,
    elapsed_since,
    require_str,
)
from halops.contract.tools import ACTIONS, BOOT_DEVICES, IPMI_SPEC

IPMI_PORT = 623
DEFAULT_PASSWORD_ENV = "HALOPS_IPMI_PASSWORD"
CHASSIS_CONTROL = (0x00, 0x02)  # netfn chassis, command "chassis control"
POWER_CYCLE = 0x02  # chassis control directive; pyghmi's set_power has no "cycle"
# Login failures that mean "the BMC answered and said no", as opposed to silence.
_REFUSAL_MARKERS = ("password", "unauthorized", "privilege", "role", "username")
# Shorter secrets would match ordinary words ("on") and mangle output; pyghmi never echoes
# the password anyway, this is only a second line of defence.
MIN_REDACTED_SECRET = 4
_HEALTH_NAMES = ((4, "failed"), (2, "critical"), (1, "warning"))


CommandFactory = Callable[..., Any]


@dataclass
class _Call:
    """State shared between `execute` and the worker thread that drives pyghmi."""

    logged_in: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    output: str = ""
    error: BaseException | None = None


class IpmiExecutor:
    """Runs one IPMI action per call, in a fresh session that is logged out afterwards."""

    spec = IPMI_SPEC

    def __init__(
        self,
        hosts: Mapping[str, HostEntry],
        password_env: str = DEFAULT_PASSWORD_ENV,
        cap_bytes: int = DEFAULT_OUTPUT_CAP_BYTES,
        environ: Mapping[str, str] | None = None,
        command_factory: CommandFactory = Command,
    ) -> None:
        self.hosts = hosts
        self.password_env = password_env
        self.cap_bytes = cap_bytes
        self.environ = environ if environ is not None else os.environ
        self.command_factory = command_factory
        self._locks: dict[tuple[str, int, str], threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def execute(
        self, args: dict[str, Any], timeout_s: float, *, allow_compound: bool = False
    ) -> ToolResult:
        start = time.monotonic()
        problem = _check_args(args, self.hosts)
        if problem:
            return ToolResult.failure("bad_arguments", problem)
        entry = self.hosts[args["host"]]
        env_name = entry.secret_env or self.password_env
        password = self.environ.get(env_name)
        if not password:
            return ToolResult.failure(
                "refused", f"no IPMI password for {entry.name} in ${env_name}"
            )
        lock = self._lock_for(entry)
        if not lock.acquire(timeout=timeout_s):
            message = f"another IPMI call to {entry.name} is still running"
            return ToolResult.failure("timeout", message, elapsed_since(start))
        call = self._start(entry, password, args, lock)
        result = _finish(call, entry, start + timeout_s, timeout_s, start)
        return _without_secret(result, password, self.cap_bytes)

    def _lock_for(self, entry: HostEntry) -> threading.Lock:
        """One call at a time per BMC account: pyghmi hands concurrent callers with the same
        credentials one shared session, and the first to log out would end it for both."""
        key = (entry.address, entry.port, entry.user)
        with self._locks_guard:
            return self._locks.setdefault(key, threading.Lock())

    def _start(
        self, entry: HostEntry, password: str, args: dict[str, Any], lock: threading.Lock
    ) -> _Call:
        """Drive pyghmi in a daemon thread: its retries ignore our deadline, so we wait for
        it only as long as the call's timeout and leave a straggler to finish on its own
        (holding the BMC's lock until it does)."""
        call = _Call()

        def work() -> None:
            try:
                cmd = self.command_factory(
                    bmc=entry.address, userid=entry.user, password=password, port=entry.port
                )
                call.logged_in.set()
                try:
                    call.output = run_action(cmd, args)
                finally:
                    _logout(cmd)
            except BaseException as exc:  # every failure, even a pyghmi bug, becomes a result
                call.error = exc
            finally:
                _forget_session(entry, password)
                lock.release()
                call.done.set()

        threading.Thread(target=work, daemon=True, name=f"ipmi-{entry.name}").start()
        return call


def run_action(cmd: Any, args: Mapping[str, Any]) -> str:
    """Perform one action on a logged-in pyghmi `Command`; returns the text for the model."""
    action = args["action"]
    if action == "power_status":
        return f"power: {cmd.get_power()['powerstate']}"
    if action in ("power_on", "power_off", "power_reset"):
        return _set_power(cmd, action.removeprefix("power_"))
    if action == "power_cycle":
        _raw(cmd, *CHASSIS_CONTROL, [POWER_CYCLE])
        return "power: cycle requested"
    if action == "sensors":
        return "\n".join(_sensor_line(r) for r in cmd.get_sensor_data()) or "no sensors"
    if action == "bootdev_get":
        return _bootdev_line(cmd.get_bootdev())
    return _set_bootdev(cmd, args["bootdev"], bool(args.get("persistent", False)))


def _set_power(cmd: Any, state: str) -> str:
    answer = cmd.set_power(state)
    if "pendingpowerstate" in answer:
        return f"power: {state} requested"
    return f"power: already {answer.get('powerstate', state)}"


def _raw(cmd: Any, netfn: int, command: int, data: list[int]) -> None:
    answer = cmd.raw_command(netfn=netfn, command=command, data=data)
    if "error" in answer:
        raise IpmiException(answer["error"], code=answer.get("code", 0))


def _sensor_line(reading: Any) -> str:
    if reading.unavailable or reading.value is None:
        value = ", ".join(reading.states) if reading.states else "n/a"
    else:
        value = f"{reading.value:g} {reading.units}".rstrip()
    return f"{reading.name}: {value} ({_health_name(reading.health)})"


def _health_name(health: int) -> str:
    for bit, name in _HEALTH_NAMES:
        if health & bit:
            return name
    return "ok"


def _bootdev_line(answer: Mapping[str, Any]) -> str:
    scope = "every boot" if answer.get("persistent") else "next boot only"
    return f"boot device: {answer.get('bootdev', 'unknown')} ({scope})"


def _set_bootdev(cmd: Any, device: str, persistent: bool) -> str:
    answer = cmd.set_bootdev(device, persist=persistent)
    if "error" in answer:
        raise IpmiException(answer["error"])
    scope = "every boot" if persistent else "next boot only"
    return f"boot device: {answer['bootdev']} set ({scope})"


def _logout(cmd: Any) -> None:
    # pyghmi keeps sessions alive in the background until logged out; a failed goodbye
    # does not change the action's outcome.
    with contextlib.suppress(Exception):
        cmd.ipmi_session.logout()


def _forget_session(entry: HostEntry, password: str) -> None:
    """Drop pyghmi's record of this login so the next call starts a fresh session.

    pyghmi 1.6 keys half-open sessions by (bmc, user, password, port, kg) but deletes them
    with the user and password encoded to bytes, so the entry outlives logout and failure;
    the next `Command` with the same credentials would then get the dead session back (a
    TypeError after a logout, a permanent failure after the BMC was once unreachable).
    """
    key = (entry.address, entry.user, password, entry.port, None)
    IpmiSession.initting_sessions.pop(key, None)


def _check_args(args: Mapping[str, Any], hosts: Mapping[str, HostEntry]) -> str | None:
    host = require_str(args, "host")
    if host is None or host not in hosts:
        return f"unknown BMC {args.get('host')!r}; known: {', '.join(sorted(hosts)) or 'none'}"
    if args.get("action") not in ACTIONS:
        return f"action must be one of {', '.join(ACTIONS)}"
    if args["action"] == "bootdev_set" and args.get("bootdev") not in BOOT_DEVICES:
        return f"bootdev_set needs bootdev, one of {', '.join(BOOT_DEVICES)}"
    return None


def _finish(
    call: _Call, entry: HostEntry, deadline: float, timeout_s: float, start: float
) -> ToolResult:
    """Turn the worker's outcome (or its silence by the deadline) into a result."""
    finished = call.done.wait(max(deadline - time.monotonic(), 0.0))
    duration = elapsed_since(start)
    if not finished:
        if call.logged_in.is_set():
            message = f"IPMI action timed out after {timeout_s:g} s"
            return ToolResult.failure("timeout", message, duration)
        message = f"no answer from BMC {entry.name} ({entry.address}) in {timeout_s:g} s"
        return ToolResult.failure("host_down", message, duration)
    if call.error is None:
        return ToolResult(True, call.output, 0, None, duration)
    return _error_result(call.error, call.logged_in.is_set(), entry, duration)


def _error_result(
    exc: BaseException, logged_in: bool, entry: HostEntry, duration: float
) -> ToolResult:
    message = str(exc) if str(exc) not in ("", "None") else type(exc).__name__
    if not logged_in:
        if any(marker in message.lower() for marker in _REFUSAL_MARKERS):
            message = f"BMC {entry.name} refused the login: {message}"
            return ToolResult.failure("refused", message, duration)
        return ToolResult.failure(
            "host_down", f"cannot reach BMC {entry.name} ({entry.address}): {message}", duration
        )
    code = getattr(exc, "ipmicode", None) or None
    if isinstance(exc, PyghmiException):
        return ToolResult.failure("nonzero_exit", f"IPMI error: {message}", duration, code)
    return ToolResult.failure("nonzero_exit", f"IPMI client error: {message}", duration)


def _without_secret(result: ToolResult, password: str, cap_bytes: int) -> ToolResult:
    """Belt and braces: no client error message may carry the password to the model."""
    output = result.output
    if len(password) >= MIN_REDACTED_SECRET:
        output = output.replace(password, "[redacted]")
    output = cap_output(output, cap_bytes)
    return ToolResult(result.ok, output, result.exit_status, result.error_kind, result.duration_s)
