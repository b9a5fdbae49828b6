"""Real servers on 127.0.0.1 for the executor tests: SSH (paramiko), IPMI (pyghmi), HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import paramiko
import pytest

from bot.tools.base import HostEntry

SSH_USER = "ops"
IPMI_USER = "admin"
IPMI_PASSWORD = "lab-bmc-secret"
SIMULATOR = Path(__file__).with_name("ipmi_simulator.py")
SERVER_WAIT_S = 10


@pytest.fixture
def closed_tcp_port() -> int:
    """A port nothing listens on (bound, then released): a 'host down' target."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def closed_udp_port() -> int:
    """A UDP port nothing listens on: a BMC that never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- SSH -----------------------------------------------------------------------------------


class ExecServer(paramiko.ServerInterface):
    """Accepts one public key for one user and lets sessions exec commands."""

    def __init__(self, authorized: paramiko.PKey) -> None:
        self.authorized = authorized
        self.command: bytes | None = None
        self.exec_requested = threading.Event()

    def get_allowed_auths(self, username: str) -> str:
        return "publickey"

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        if username == SSH_USER and key.get_base64() == self.authorized.get_base64():
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        if kind == "session":
            return paramiko.OPEN_SUCCEEDED
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_exec_request(self, channel: paramiko.Channel, command: bytes) -> bool:
        self.command = command
        self.exec_requested.set()
        return True


@dataclass
class SshServer:
    port: int
    host_key: paramiko.PKey
    client_key: Path
    known_hosts: Path
    children: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def entry(self, name: str = "pve01") -> HostEntry:
        return HostEntry(name=name, address="127.0.0.1", port=self.port, user=SSH_USER)


def _serve_connection(conn: socket.socket, server: SshServer, authorized: paramiko.PKey) -> None:
    transport = paramiko.Transport(conn)
    transport.add_server_key(server.host_key)
    iface = ExecServer(authorized)
    try:
        transport.start_server(server=iface)
        channel = transport.accept(SERVER_WAIT_S)
        if channel is None or not iface.exec_requested.wait(SERVER_WAIT_S):
            return
        _run_for(channel, iface.command or b"", server)
    except (paramiko.SSHException, EOFError, OSError):
        pass  # the client went away (timeout, rejected key): nothing to answer
    finally:
        transport.close()


def _run_for(channel: paramiko.Channel, command: bytes, server: SshServer) -> None:
    """Run the command like sshd does (`sh -c`) and report output and the real exit status."""
    proc = subprocess.Popen(
        ["/bin/sh", "-c", command.decode()],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    server.children.append(proc)
    out, err = proc.communicate()
    channel.sendall(out)
    channel.sendall_stderr(err)
    # Killed by signal N (returncode -N): report 128+N as a shell would; SSH has no negatives.
    status = proc.returncode if proc.returncode >= 0 else 128 - proc.returncode
    channel.send_exit_status(status)
    channel.close()


def _accept_loop(listener: socket.socket, server: SshServer, authorized: paramiko.PKey) -> None:
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return  # listener closed at teardown
        threading.Thread(
            target=_serve_connection, args=(conn, server, authorized), daemon=True
        ).start()


@pytest.fixture(scope="module")
def ssh_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    tmp = tmp_path_factory.mktemp("ssh")
    host_key, client_key = paramiko.ECDSAKey.generate(), paramiko.ECDSAKey.generate()
    client_key.write_private_key_file(str(tmp / "id_ecdsa"))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    known_hosts = tmp / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{port} {host_key.get_name()} {host_key.get_base64()}\n")
    server = SshServer(port, host_key, tmp / "id_ecdsa", known_hosts)
    threading.Thread(target=_accept_loop, args=(listener, server, client_key), daemon=True).start()
    yield server
    listener.close()
    for child in server.children:  # e.g. the `sleep` a timed-out client left behind
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)


# --- IPMI ----------------------------------------------------------------------------------


@pytest.fixture
def bmc_port() -> Iterator[int]:
    """A fresh pyghmi BMC simulator (see ipmi_simulator.py) in a subprocess on 127.0.0.1.

    One per test: the simulated chassis keeps power and boot-device state, and a test must not
    see what an earlier one left behind."""
    proc = subprocess.Popen(
        [sys.executable, str(SIMULATOR), IPMI_USER, IPMI_PASSWORD],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    yield port
    proc.terminate()
    proc.wait(SERVER_WAIT_S)


# --- HTTP ----------------------------------------------------------------------------------


class LabApiHandler(BaseHTTPRequestHandler):
    """A tiny lab API: echoes method and body, serves errors, a redirect and a big body."""

    def _reply(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _route(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        sent = self.rfile.read(length) if length else b""
        if self.path == "/missing":
            return self._reply(404, b"no such thing\n")
        if self.path == "/redirect":
            return self._reply(302, b"", {"Location": "http://203.0.113.9/elsewhere"})
        if self.path == "/big":
            return self._reply(200, b"x" * 200_000)
        if self.path == "/slow":
            self.server.release_slow.wait(60)  # type: ignore[attr-defined]  # set at teardown
        token = self.headers.get("X-Token", "")
        self._reply(200, f"{self.command} {self.path} token={token} body={sent.decode()}".encode())

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = _route

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep pytest output clean


@pytest.fixture(scope="module")
def http_base() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), LabApiHandler)
    server.daemon_threads = True
    server.release_slow = threading.Event()  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.release_slow.set()  # type: ignore[attr-defined]
    server.shutdown()
    server.server_close()
