"""`halops bot` as a real process for tests and the load benchmark: its own config folder, the
Slack stand-in, the model stand-in (or llama.cpp), its log in a file, stopped by signals."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from bot.devtools.slack_standin import SlackAPIStandIn
from tests.conftest import write_test_serve_yaml

REPO = Path(__file__).resolve().parents[3]
SECRET = "process-signing-secret"
ONCALL = "UONCALL"
POLL_S = 0.02  # how often a condition is checked while waiting for it


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition: Any, what: str, timeout: float = 60.0) -> Any:
    """Poll `condition()` until it is truthy (its value is returned) or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"never happened: {what}")
        time.sleep(POLL_S)
    return value


def lab_config(
    root: Path, bot: dict[str, Any] | None = None, serve_port: int | None = None
) -> Path:
    """config/ under `root` with the repository's files: retrieval off, approvers = ONCALL,
    the model server (if the bot starts one) on `serve_port` with the embedded model."""
    config = root / "config"
    config.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "config" / "policy.yaml", config / "policy.yaml")
    # These tests run approved commands in the real local shell (their scripted models call no
    # other tool), so the sample inventory's `simulated` mark is lifted.
    inventory = yaml.safe_load((REPO / "config" / "inventory.yaml").read_text())
    inventory["simulated"] = False
    (config / "inventory.yaml").write_text(yaml.safe_dump(inventory))
    write_test_serve_yaml(config / "serve.yaml", port=serve_port or free_port())
    agent_data = yaml.safe_load((REPO / "config" / "agent.yaml").read_text())
    agent_data["retrieval"]["top_k"] = 0
    agent_data["generation"]["timeout_s"] = 30
    agent_data["tools"]["enabled"] = ["shell", "http"]  # nothing that could reach the lab
    (config / "agent.yaml").write_text(yaml.safe_dump(agent_data))
    bot_data = yaml.safe_load((REPO / "config" / "bot.yaml").read_text())
    bot_data["approvals"]["approvers"] = [ONCALL]
    for key, value in (bot or {}).items():
        if isinstance(value, dict):
            bot_data[key] = {**bot_data[key], **value}
        else:
            bot_data[key] = value
    (config / "bot.yaml").write_text(yaml.safe_dump(bot_data))
    return config / "bot.yaml"


# Every bot a test started: a test that fails half-way must not leave its bot running.
STARTED: list[subprocess.Popen[bytes]] = []


def kill_leftovers() -> None:
    """SIGKILL every started bot that is still running (called after each test)."""
    while STARTED:
        process = STARTED.pop()
        if process.poll() is None:
            process.kill()
            process.wait()


class BotProcess:
    """One `python -m bot.app` child; `root` holds its config, database and log."""

    def __init__(
        self,
        root: Path,
        slack: SlackAPIStandIn,
        model_url: str | None,
        http: bool = True,
        name: str = "bot",
        bot_config: dict[str, Any] | None = None,
        env: dict[str, str] | None = None,
        serve_port: int | None = None,
    ) -> None:
        self.root, self.slack, self.http = root, slack, http
        self.port = free_port()
        self.log_path = root / f"{name}.log"
        config = lab_config(root, bot_config, serve_port=serve_port)
        command = [sys.executable, "-m", "bot.app", "--config", str(config)]
        command += ["--http", "--port", str(self.port)] if http else []
        command += ["--base-url", model_url] if model_url else []
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": f"{REPO / 'workflow' / 'src'}:{REPO}",
            "HF_HUB_OFFLINE": "1",
            "SLACK_API_URL": slack.api_url,
            "SLACK_BOT_TOKEN": "xoxb-process-test",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_APP_TOKEN": "xapp-process-test",
            **(env or {}),
        }
        self.log_file = self.log_path.open("w")
        self.process = subprocess.Popen(
            command, cwd=REPO, env=self.env, stdout=self.log_file, stderr=subprocess.STDOUT
        )
        STARTED.append(self.process)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    @property
    def db(self) -> Path:
        return self.root / "results" / "bot" / "audit.sqlite"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_log(self, text: str, count: int = 1, timeout: float = 60.0) -> str:
        def seen() -> str | None:
            self.check_alive(text)
            log = self.log()
            return log if log.count(text) >= count else None

        return wait_until(seen, f"{count}x {text!r} in the bot's log", timeout)

    def check_alive(self, waiting_for: str) -> None:
        if self.process.poll() is not None:
            raise AssertionError(
                f"bot exited ({self.process.returncode}) before {waiting_for}:\n{self.log()}"
            )

    def wait_ready(self, timeout: float = 60.0) -> BotProcess:
        if self.http:

            def listening() -> bool:
                self.check_alive("listening")
                with socket.socket() as sock:
                    return sock.connect_ex(("127.0.0.1", self.port)) == 0

            wait_until(listening, "the bot listens", timeout)
        else:
            self.wait_log("A new session has been established", timeout=timeout)
        return self

    def send(self, signum: int) -> None:
        self.process.send_signal(signum)

    def wait_exit(self) -> int:
        """Its exit status once it ends by itself."""
        code = self.process.wait(timeout=60)
        self.log_file.close()
        return code

    def stop(self, signum: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signum)
        code = self.process.wait(timeout=60)
        self.log_file.close()
        return code

    def children(self) -> list[int]:
        """Pids whose parent is the bot (read from /proc)."""
        return [pid for pid in all_pids() if parent_of(pid) == self.process.pid]


def all_pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def command_line(pid: int) -> str:
    try:
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return ""


def alive(pid: int) -> bool:
    """Running (a zombie has exited: it only waits for its parent to reap it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
