"""`halops ask` end to end: the real CLI, llama.cpp's server with the embedded model."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from bot.safety.audit import AuditLog
from bot.serve import LlamaServer, load_serve_config
from tests.conftest import REPO, venv_tool


def lab_config(tmp_path: Path) -> Path:
    """config/agent.yaml and its neighbours in a temporary root (audit log and index there)."""
    config = tmp_path / "config"
    config.mkdir()
    for name in ("inventory.yaml", "policy.yaml"):
        shutil.copy(REPO / "config" / name, config / name)
    data = yaml.safe_load((REPO / "config" / "agent.yaml").read_text())
    data["audit_db"] = "audit.sqlite"
    data["retrieval"]["db_dir"] = "no-index-here"  # retrieval degrades to off, with a warning
    (config / "agent.yaml").write_text(yaml.safe_dump(data))
    return config / "agent.yaml"


def ask(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [venv_tool("halops"), "ask", *args], capture_output=True, text=True, timeout=600
    )


@pytest.mark.slow
def test_ask_answers_through_the_real_server(tmp_path: Path) -> None:
    agent_yaml = lab_config(tmp_path)
    serve = load_serve_config(REPO / "config" / "serve.yaml")
    with LlamaServer(serve) as server:
        proc = ask(
            "Which host is the NAS?",
            "--config",
            str(agent_yaml),
            "--base-url",
            server.base_url,
            "--yes-to-nothing",
            "--json",
        )
    assert proc.returncode in (0, 1), proc.stderr
    result = json.loads(proc.stdout)
    assert result["status"] in {"answered", "iteration_cap", "model_error"}
    assert isinstance(result["answer"], str) and result["answer"].strip()
    # Whatever the 135M base model proposed went through the policy and into the audit log.
    with AuditLog(tmp_path / "audit.sqlite") as audit:
        assert len(audit.recent(100)) == len(result["steps"])


def test_ask_reports_an_unreachable_model_server_as_an_internal_error(tmp_path: Path) -> None:
    proc = ask("hello", "--config", str(lab_config(tmp_path)), "--base-url", "http://127.0.0.1:9")
    assert proc.returncode == 1
    assert "stopped: model server error" in proc.stderr


def test_ask_rejects_a_bad_config(tmp_path: Path) -> None:
    bad = tmp_path / "config" / "agent.yaml"
    bad.parent.mkdir()
    bad.write_text("base_url: 3\n")
    proc = ask("hello", "--config", str(bad))
    assert proc.returncode == 2 and "agent.yaml" in proc.stderr
