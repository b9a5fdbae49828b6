"""Remote commands over SSH: key authentication only, strict known-hosts, inventory hosts only."""

from __future__ import annotations

import socket
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import paramiko

from bot.tools.base import (
    DEFAULT_OUTPUT_CAP_BYTES,
    BoundedCapture,
    HostEntry,
    ToolResult,
    cap_output,
    elapsed_since,
    join_streams,
    require_str,
)
from halops.contract.tools import SSH_SPEC

SSH_PORT = 22
DEFAULT_CONNECT_TIMEOUT_S = 10.0
# How often the read loop looks at the channel; small enough not to add latency to short
# commands, large enough not to spin a core while a long one runs.
POLL_INTERVAL_S = 0.01
RECV_CHUNK = 32768


class SshExecutor:
    """One connection per call: no state survives between commands, nothing to go stale."""

    spec = SSH_SPEC

    def __init__(
        self,
        hosts: Mapping[str, HostEntry],
        known_hosts: Path | str,
        key_file: Path | str,
        connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S,
        cap_bytes: int = DEFAULT_OUTPUT_CAP_BYTES,
    ) -> None:
        self.hosts = hosts
        self.known_hosts = Path(known_hosts)
        self.key_file = Path(key_file)
        self.connect_timeout_s = connect_timeout_s
        self.cap_bytes = cap_bytes

    def execute(
        self, args: dict[str, Any], timeout_s: float, *, allow_compound: bool = False
    ) -> ToolResult:
        start = time.monotonic()
        host, command = require_str(args, "host"), require_str(args, "command")
        if command is None:
            return ToolResult.failure("bad_arguments", "missing string argument 'command'")
        if host is None or host not in self.hosts:
            known = ", ".join(sorted(self.hosts)) or "none"
            return ToolResult.failure("bad_arguments", f"unknown host {host!r}; known: {known}")
        entry = self.hosts[host]
        with paramiko.SSHClient() as client:
            failure = self._connect(client, entry, min(self.connect_timeout_s, timeout_s))
            if failure is not None:
                return _with_duration(failure, start)
            remaining = max(timeout_s - (time.monotonic() - start), 0.0)
            return self._run(client, entry, command, remaining, timeout_s, start)

    def _connect(
        self, client: paramiko.SSHClient, entry: HostEntry, timeout_s: float
    ) -> ToolResult | None:
        """Connect and authenticate; a failure comes back as a result, success as None."""
        try:
            # Loaded here, not via key_filename: paramiko then tries every key class in turn
            # and reports the last parse error instead of the server's refusal.
            key = paramiko.PKey.from_path(self.key_file)
        except (OSError, paramiko.SSHException, ValueError) as exc:
            return ToolResult.failure("refused", f"cannot load SSH key {self.key_file}: {exc}")
        try:
            _trust_only_known_hosts(client, self.known_hosts, entry)
            client.connect(
                hostname=entry.address,
                port=entry.port,
                username=entry.user,
                pkey=key,
                timeout=timeout_s,
                banner_timeout=timeout_s,
                auth_timeout=timeout_s,
                channel_timeout=timeout_s,
                # Only the configured key: no agent, no ~/.ssh/id_* and never a password.
                allow_agent=False,
                look_for_keys=False,
            )
        except Exception as exc:  # every failure becomes a result
            return classify_connect_error(exc, entry)
        return None

    def _run(
        self,
        client: paramiko.SSHClient,
        entry: HostEntry,
        command: str,
        remaining_s: float,
        timeout_s: float,
        start: float,
    ) -> ToolResult:
        out, err = BoundedCapture(self.cap_bytes), BoundedCapture(self.cap_bytes)
        transport = client.get_transport()
        if transport is None or remaining_s <= 0:  # connecting used up the whole timeout
            return _command_result("", None, timeout_s, elapsed_since(start))
        try:
            channel = transport.open_session(timeout=remaining_s)
            channel.exec_command(command)
            status = _pump(channel, out, err, time.monotonic() + remaining_s)
        except (paramiko.SSHException, OSError, EOFError) as exc:
            message = f"SSH session to {entry.name} failed: {exc or type(exc).__name__}"
            return ToolResult.failure("host_down", message, elapsed_since(start))
        text = cap_output(join_streams(out.text(), err.text()), self.cap_bytes)
        return _command_result(text, status, timeout_s, elapsed_since(start))


def _trust_only_known_hosts(
    client: paramiko.SSHClient, known_hosts: Path, entry: HostEntry
) -> None:
    """Load the configured known_hosts (never the user's) and reject every unknown key.

    paramiko looks a key up by the address it connects to ("[addr]:port" off port 22); a
    known_hosts file written by inventory name is accepted too, by copying that name's keys
    to the address — the key is still pinned, only the lookup name differs.
    """
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.load_host_keys(str(known_hosts))
    keys = client.get_host_keys()
    by_address, by_name = (
        _lookup_name(entry.address, entry.port),
        _lookup_name(entry.name, entry.port),
    )
    if keys.lookup(by_address) is None and keys.lookup(by_name) is not None:
        for key_type, key in keys.lookup(by_name).items():
            keys.add(by_address, key_type, key)


def _lookup_name(host: str, port: int) -> str:
    return host if port == SSH_PORT else f"[{host}]:{port}"


def classify_connect_error(exc: BaseException, entry: HostEntry) -> ToolResult:
    """Map a connect/authenticate exception to an error kind the model can act on."""
    where = f"{entry.name} ({entry.address}:{entry.port})"
    if isinstance(exc, paramiko.BadHostKeyException):
        return ToolResult.failure("refused", f"host key of {where} does not match known_hosts")
    if isinstance(exc, paramiko.AuthenticationException):
        return ToolResult.failure("refused", f"{where} refused our key for user {entry.user}")
    if isinstance(exc, paramiko.SSHException) and "known_hosts" in str(exc):
        return ToolResult.failure("refused", f"host key of {where} is not in known_hosts")
    if isinstance(exc, (paramiko.ssh_exception.NoValidConnectionsError, ConnectionError)):
        return ToolResult.failure("host_down", f"connection to {where} refused or unreachable")
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return ToolResult.failure("host_down", f"no answer from {where} within the connect timeout")
    if isinstance(exc, FileNotFoundError):
        return ToolResult.failure("refused", f"known_hosts file missing: {exc}")
    return ToolResult.failure(
        "host_down", f"cannot connect to {where}: {exc or type(exc).__name__}"
    )


def _pump(
    channel: paramiko.Channel, out: BoundedCapture, err: BoundedCapture, deadline: float
) -> int | None:
    """Read both streams until the command exits (its status) or the deadline passes (None)."""
    while True:
        got = _drain(channel, out, err)
        if channel.exit_status_ready() and not (
            channel.recv_ready() or channel.recv_stderr_ready()
        ):
            return channel.recv_exit_status()
        if time.monotonic() >= deadline:
            # Closing the channel is all SSH offers; without a pty the remote command may
            # outlive it, which the timeout note below tells the model.
            channel.close()
            return None
        if not got:
            time.sleep(POLL_INTERVAL_S)


def _drain(channel: paramiko.Channel, out: BoundedCapture, err: BoundedCapture) -> bool:
    got = False
    while channel.recv_ready():
        out.feed(channel.recv(RECV_CHUNK))
        got = True
    while channel.recv_stderr_ready():
        err.feed(channel.recv_stderr(RECV_CHUNK))
        got = True
    return got


def _command_result(text: str, status: int | None, timeout_s: float, duration: float) -> ToolResult:
    if status is None:
        note = (
            f"[timed out after {timeout_s:g} s; the session was closed, "
            "the remote command may still run]"
        )
        return ToolResult.failure("timeout", f"{text}\n{note}".lstrip("\n"), duration)
    if status != 0:
        # -1 is paramiko's "the server sent no exit status" (e.g. killed by a signal).
        return ToolResult(False, text, status, "nonzero_exit", duration)
    return ToolResult(True, text, 0, None, duration)


def _with_duration(result: ToolResult, start: float) -> ToolResult:
    return ToolResult(
        result.ok, result.output, result.exit_status, result.error_kind, elapsed_since(start)
    )
