"""The SSH executor against a real paramiko SSH server on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import paramiko
import pytest

from bot.tools.base import HostEntry
from bot.tools.ssh import SshExecutor


def executor(
    server: Any,
    known_hosts: Path | None = None,
    key_file: Path | None = None,
    hosts: dict[str, HostEntry] | None = None,
) -> SshExecutor:
    return SshExecutor(
        hosts if hosts is not None else {"pve01": server.entry()},
        known_hosts or server.known_hosts,
        key_file or server.client_key,
        connect_timeout_s=5,
        cap_bytes=2048,
    )


def test_command_runs_with_its_output_and_status(ssh_server: Any) -> None:
    result = executor(ssh_server).execute({"host": "pve01", "command": "echo up; uname -s"}, 5)
    assert (result.ok, result.exit_status, result.error_kind) == (True, 0, None)
    assert result.output == "up\nLinux\n"


def test_nonzero_exit_keeps_status_and_stderr(ssh_server: Any) -> None:
    command = "echo partial; echo 'zpool: no such pool' >&2; exit 3"
    result = executor(ssh_server).execute({"host": "pve01", "command": command}, 5)
    assert (result.ok, result.exit_status, result.error_kind) == (False, 3, "nonzero_exit")
    assert result.output == "partial\n[stderr]\nzpool: no such pool\n"


def test_command_timeout(ssh_server: Any) -> None:
    # Had the timeout not fired, the call would have returned `sleep`'s exit status 0 (after a
    # minute); the fixture kills the left-over `sleep` at teardown.
    result = executor(ssh_server).execute({"host": "pve01", "command": "sleep 60"}, 0.5)
    assert (result.ok, result.error_kind, result.exit_status) == (False, "timeout", None)
    assert result.duration_s >= 0.5


def test_output_is_capped(ssh_server: Any) -> None:
    result = executor(ssh_server).execute({"host": "pve01", "command": "seq 1 50000"}, 5)
    assert result.ok and len(result.output.encode()) <= 2048
    assert result.output.startswith("1\n2\n") and result.output.endswith("50000\n")


def test_unknown_host_key_is_rejected(ssh_server: Any, tmp_path: Path) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    result = executor(ssh_server, known_hosts=empty).execute({"host": "pve01", "command": "id"}, 5)
    assert (result.ok, result.error_kind) == (False, "refused")
    assert "not in known_hosts" in result.output


def test_changed_host_key_is_rejected(ssh_server: Any, tmp_path: Path) -> None:
    other = paramiko.ECDSAKey.generate()
    wrong = tmp_path / "known_hosts"
    wrong.write_text(f"[127.0.0.1]:{ssh_server.port} {other.get_name()} {other.get_base64()}\n")
    result = executor(ssh_server, known_hosts=wrong).execute({"host": "pve01", "command": "id"}, 5)
    assert result.error_kind == "refused"
    assert "does not match known_hosts" in result.output


def test_known_hosts_entry_by_inventory_name_is_honoured(ssh_server: Any, tmp_path: Path) -> None:
    key = ssh_server.host_key
    by_name = tmp_path / "known_hosts"
    by_name.write_text(f"[pve01]:{ssh_server.port} {key.get_name()} {key.get_base64()}\n")
    result = executor(ssh_server, known_hosts=by_name).execute(
        {"host": "pve01", "command": "true"}, 5
    )
    assert result.ok


def test_wrong_client_key_is_refused(ssh_server: Any, tmp_path: Path) -> None:
    stranger = tmp_path / "id_other"
    paramiko.ECDSAKey.generate().write_private_key_file(str(stranger))
    result = executor(ssh_server, key_file=stranger).execute({"host": "pve01", "command": "id"}, 5)
    assert (result.ok, result.error_kind) == (False, "refused")
    assert "refused our key for user ops" in result.output


def test_missing_client_key_is_refused(ssh_server: Any, tmp_path: Path) -> None:
    result = executor(ssh_server, key_file=tmp_path / "absent").execute(
        {"host": "pve01", "command": "id"}, 5
    )
    assert result.error_kind == "refused" and "cannot load SSH key" in result.output


def test_wrong_user_is_refused(ssh_server: Any) -> None:
    entry = HostEntry("pve02", "127.0.0.1", ssh_server.port, "root")
    result = executor(ssh_server, hosts={"pve02": entry}).execute(
        {"host": "pve02", "command": "id"}, 5
    )
    assert result.error_kind == "refused"


def test_closed_port_is_host_down(ssh_server: Any, closed_tcp_port: int) -> None:
    entry = HostEntry("pve03", "127.0.0.1", closed_tcp_port, "ops")
    result = executor(ssh_server, hosts={"pve03": entry}).execute(
        {"host": "pve03", "command": "id"}, 5
    )
    assert (result.ok, result.error_kind, result.exit_status) == (False, "host_down", None)


@pytest.mark.parametrize(
    "args",
    [{"host": "nas01", "command": "id"}, {"host": "pve01"}, {"command": "id"}, {}],
    ids=["not-in-inventory", "no-command", "no-host", "empty"],
)
def test_bad_arguments_never_connect(ssh_server: Any, args: dict[str, str]) -> None:
    result = executor(ssh_server).execute(args, 5)
    assert result.error_kind == "bad_arguments"
