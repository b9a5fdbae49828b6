"""`halops ask` end to end: the real CLI, llama.cpp's server with the embedded model; how it
finds its config and its model server; its progress and its last lines."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from bot.agent.cli import ProgressModel, parse_args
from bot.agent.model import ModelReply
from bot.safety.audit import AuditLog
from bot.serve import LlamaServer, free_port
from tests.conftest import REPO, llama_serve_config, venv_tool, write_test_serve_yaml
from tests.fakes import ScriptedModel, call


def lab_config(root: Path, **agent_changes: object) -> Path:
    """config/ of a project root: the shipped agent, inventory, policy and serve files, with
    the audit log there and no runbook index (retrieval degrades to off, with a warning)."""
    config = root / "config"
    (config / "eval").mkdir(parents=True, exist_ok=True)
    for name in ("inventory.yaml", "policy.yaml"):
        shutil.copy(REPO / "config" / name, config / name)
    write_test_serve_yaml(config / "serve.yaml")  # one llama.cpp thread (tests/conftest.py)
    shutil.copy(REPO / "config" / "eval" / "cases.jsonl", config / "eval" / "cases.jsonl")
    data = yaml.safe_load((REPO / "config" / "agent.yaml").read_text())
    data["audit_db"] = "audit.sqlite"
    data["retrieval"]["db_dir"] = "no-index-here"
    data["generation"]["max_tokens"] = 48  # a short answer keeps the tests short
    data["generation"]["timeout_s"] = 3600  # a busy machine is slow, not broken
    data["caps"]["max_iterations"] = 2
    data.update(agent_changes)
    (config / "agent.yaml").write_text(yaml.safe_dump(data))
    return config / "agent.yaml"


def ask(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [venv_tool("halops"), "ask", *args], capture_output=True, text=True, cwd=cwd
    )


# --- finding config and the model server, without a model ----------------------------------


def test_ask_reports_an_unreachable_model_server_as_an_internal_error(tmp_path: Path) -> None:
    proc = ask("hello", "--config", str(lab_config(tmp_path)), "--base-url", "http://127.0.0.1:9")
    assert proc.returncode == 1
    assert "stopped: model server error" in proc.stderr
    assert "model: unknown model at http://127.0.0.1:9/v1 (running server)" in proc.stderr


def test_ask_rejects_a_bad_config(tmp_path: Path) -> None:
    bad = tmp_path / "config" / "agent.yaml"
    bad.parent.mkdir()
    bad.write_text("base_url: 3\n")
    proc = ask("hello", "--config", str(bad))
    assert proc.returncode == 2 and "agent.yaml" in proc.stderr


def test_config_comes_from_the_working_directory_not_the_installation(tmp_path: Path) -> None:
    # base_url as a person may type it: no scheme, no /v1.
    lab_config(tmp_path, base_url=f"127.0.0.1:{free_port()}")
    proc = ask("hello", cwd=tmp_path)
    assert proc.returncode == 1 and "stopped: model server error" in proc.stderr
    assert (tmp_path / "audit.sqlite").is_file()  # relative paths land in this project
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    missing = ask("hello", cwd=elsewhere)
    assert missing.returncode == 2
    assert str(elsewhere / "config" / "agent.yaml") in missing.stderr


def test_config_dir_option_names_the_folder(tmp_path: Path) -> None:
    project = tmp_path / "project"
    lab_config(project, base_url=f"http://127.0.0.1:{free_port()}/")
    proc = ask("hello", "--config-dir", str(project / "config"), cwd=tmp_path)
    assert proc.returncode == 1 and "stopped: model server error" in proc.stderr
    assert (project / "audit.sqlite").is_file()


def test_port_and_base_url_exclude_each_other() -> None:
    with pytest.raises(SystemExit):
        parse_args(["hi", "--port", "8080", "--base-url", "http://127.0.0.1:8080"])
    assert parse_args(["hi", "--port", "8080"]).port == 8080


# --- progress ----------------------------------------------------------------------------------


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_says_which_step_runs_and_what_the_model_proposed() -> None:
    stream = io.StringIO()
    model = ProgressModel(ScriptedModel(call("ssh", host="nas01", command="uptime"), "Up."), stream)
    assert model.complete([]).text.startswith("<tool_call>")
    assert model.complete([]) == ModelReply("Up.")
    lines = stream.getvalue().splitlines()
    assert lines[0] == "step 1: the model is working ..."
    assert lines[1].startswith("step 1: the model is working ... done in ")
    assert lines[2] == '  proposes ssh {"host": "nas01", "command": "uptime"}'
    assert lines[3] == "step 2: the model is working ..."


def test_on_a_terminal_the_progress_line_is_redrawn_in_place() -> None:
    stream = FakeTerminal()
    ProgressModel(ScriptedModel("fine"), stream).complete([])
    text = stream.getvalue()
    assert "\r" in text and text.rstrip().endswith("s")
    assert "step 1: the model is working ... done in" in text


# --- the real server ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> LlamaServer:
    # The shipped settings, but always the embedded base model on a free port: the shipped
    # file would serve results/model/model.Q8_0.gguf whenever an earlier run left one.
    with LlamaServer(llama_serve_config()) as running:
        yield running


@pytest.mark.slow
def test_ask_answers_through_the_real_server(tmp_path: Path, server: LlamaServer) -> None:
    agent_yaml = lab_config(tmp_path)
    proc = ask(
        "Which host is the NAS?",
        "--config",
        str(agent_yaml),
        "--base-url",
        server.base_url.removesuffix("/v1"),  # without /v1 works too
        "--yes-to-nothing",
        "--json",
    )
    assert proc.returncode in (0, 1), proc.stderr
    result = json.loads(proc.stdout)
    assert result["status"] in {"answered", "iteration_cap", "model_error"}
    assert isinstance(result["answer"], str) and result["answer"].strip()
    assert (result["model"], result["base_url"]) == ("halops", server.base_url)
    assert "simulated" in result["simulated_lab"]
    assert "step 1: the model is working" in proc.stderr
    # Whatever the 135M base model proposed went through the policy and into the audit log.
    with AuditLog(tmp_path / "audit.sqlite") as audit:
        assert len(audit.recent(100)) == len(result["steps"])


@pytest.mark.slow
def test_ask_reuses_a_running_halops_serve_and_takes_a_port(
    tmp_path: Path, server: LlamaServer
) -> None:
    lab_config(tmp_path)
    serve_yaml = tmp_path / "config" / "serve.yaml"
    serve = yaml.safe_load(serve_yaml.read_text())
    serve["port"] = server.config.port  # as if `halops serve` ran with this config
    serve_yaml.write_text(yaml.safe_dump(serve))
    reused = ask("Is pve01 up?", "--yes-to-nothing", cwd=tmp_path)
    assert reused.returncode in (0, 1), reused.stderr
    assert f"model: halops at {server.base_url} (running halops serve)" in reused.stderr
    assert f"-- answered by halops (running halops serve, {server.base_url})" in reused.stdout
    assert "-- simulated lab: inventory.yaml is marked simulated" in reused.stdout
    by_port = ask(
        "Is pve01 up?", "--yes-to-nothing", "--port", str(server.config.port), cwd=tmp_path
    )
    assert by_port.returncode in (0, 1), by_port.stderr
    assert f"-- answered by halops (running server, {server.base_url})" in by_port.stdout
