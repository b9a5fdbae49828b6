"""`halops bot --http` as a process: binds loopback, verifies signatures, answers, stops on
SIGTERM. The model endpoint is a closed port, so the answer is the "model down" message."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from bot.devtools import slack_standin as standin
from bot.devtools.slack_standin import JSON, SlackAPIStandIn, signed_post
from bot.slack.conversation import MODEL_DOWN_TEXT
from tests.conftest import REPO

pytestmark = pytest.mark.timeout(90)

SECRET = "cli-signing-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def lab_config(tmp_path: Path) -> Path:
    """config/ with the repo's files, retrieval off (no embedding model to load)."""
    config = tmp_path / "config"
    config.mkdir()
    for name in ("inventory.yaml", "policy.yaml", "bot.yaml"):
        shutil.copy(REPO / "config" / name, config / name)
    agent = yaml.safe_load((REPO / "config" / "agent.yaml").read_text())
    agent["retrieval"]["top_k"] = 0
    agent["generation"]["timeout_s"] = 2
    (config / "agent.yaml").write_text(yaml.safe_dump(agent))
    return config / "bot.yaml"


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"halops bot exited: {process.stderr.read()}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError("halops bot never listened")


def test_http_mode_serves_signed_requests_on_loopback(tmp_path: Path) -> None:
    port, closed = free_port(), free_port()
    with SlackAPIStandIn() as slack:
        env = {
            "PATH": "/usr/bin:/bin",
            "SLACK_API_URL": slack.api_url,
            "SLACK_BOT_TOKEN": "xoxb-cli-test",
            "SLACK_SIGNING_SECRET": SECRET,
        }
        command = [sys.executable, "-m", "bot.app", "--http", "--port", str(port)]
        command += ["--config", str(lab_config(tmp_path))]
        command += ["--base-url", f"http://127.0.0.1:{closed}/v1"]
        process = subprocess.Popen(command, cwd=REPO, env=env, stderr=subprocess.PIPE, text=True)
        try:
            wait_for_port(port, process)
            url = f"http://127.0.0.1:{port}/slack/events"
            event = standin.mention_event("is pve01 up?", "UASKER", "COPS", "1.1")
            body = standin.event_body(event, "EvCli")
            assert signed_post(url, body, "wrong-secret", JSON)[0] == 401
            assert signed_post(url, body, SECRET, JSON)[0] == 200
            [status] = slack.wait_call("chat.postMessage", thread_ts="1.1", timeout=30)
            text = f":warning: {MODEL_DOWN_TEXT}"
            slack.wait_call("chat.update", ts=status.result["ts"], text=text, timeout=30)
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "halops bot: stopped" in stderr
    assert (tmp_path / "results" / "bot" / "audit.sqlite").exists()
