"""`halops check`: the verdict as JSON, the decision as the exit status, config found from
the working directory, no traceback when the reader goes away."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.safety import AuditLog
from bot.safety.cli import EXIT_CODES, cli_main
from halops.contract.tools import ACTIONS, READ_ONLY_ACTIONS

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    code = cli_main(list(argv))
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip() else {}


@pytest.mark.parametrize(
    ("argv", "decision", "rule_id"),
    [
        (["ls -la /var/log"], "allow", "shell.readonly"),
        (["rm -rf /"], "block", "fs.rm_recursive_system"),
        (["reboot", "--host", "pve01"], "confirm", "power.shutdown_reboot"),
        (["uptime", "--host", "pve09"], "block", "host.not_in_inventory"),
        (["power off", "--host", "bmc-pve01", "--transport", "ipmi"], "confirm",
         "ipmi.power_change"),
        (["GET http://mon01:9090/-/healthy", "--transport", "http"], "allow", "http.read_only"),
        (["pvecm expected 1"], "block", "site.pve.expected_votes"),
        (["search_runbooks {'query': 'disk'}", "--transport", "local"], "allow", "tool.read_only"),
    ],
)  # fmt: skip
def test_prints_the_verdict_and_exits_with_the_decision(
    capsys, argv: list[str], decision: str, rule_id: str
) -> None:
    code, data = _run(capsys, *argv)
    assert code == EXIT_CODES[decision]
    assert (data["decision"], data["rule_id"]) == (decision, rule_id)
    assert data["reason"] and isinstance(data["findings"], list) and data["findings"]


def test_exit_codes_are_distinct_and_zero_only_for_allow() -> None:
    assert EXIT_CODES["allow"] == 0
    assert len(set(EXIT_CODES.values())) == 3 and 1 not in EXIT_CODES.values()
    assert 2 not in EXIT_CODES.values()


@pytest.mark.parametrize("action", ACTIONS)
def test_ipmi_accepts_the_agents_own_action_names(capsys, action: str) -> None:
    code, data = _run(capsys, action, "--host", "bmc-pve02", "--transport", "ipmi")
    expected = "allow" if action in READ_ONLY_ACTIONS else "confirm"
    assert data["decision"] == expected and data["rule_id"] != "ipmi.unknown_action"
    assert code == EXIT_CODES[expected]


def test_the_headline_names_the_deciding_finding(capsys) -> None:
    _, data = _run(capsys, "ssh pve01 reboot")
    assert data["rule_id"] == "power.shutdown_reboot" and "reboot" in data["reason"]
    _, data = _run(capsys, "uptime; cat /etc/shadow | head -1")
    assert data["rule_id"] == "fs.read_secret" and "/etc/shadow" in data["reason"]


def test_usage_errors_exit_2(capsys) -> None:
    assert cli_main([]) == 2
    assert cli_main(["ls", "--transport", "telnet"]) == 2


def test_bad_inventory_exits_1_naming_the_field(capsys, tmp_path: Path) -> None:
    bad = tmp_path / "inventory.yaml"
    bad.write_text("hosts:\n  - {name: pve01, address: 10.0.0.1, roles: [], transports: [rdp]}\n")
    assert cli_main(["uptime", "--host", "pve01", "--inventory", str(bad)]) == 1
    assert "hosts/0/transports/0" in capsys.readouterr().err


def test_config_is_found_from_a_subfolder(capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO / "bot" / "safety")
    code, data = _run(capsys, "ping -c1 pve02")
    assert (code, data["decision"]) == (0, "allow")


def test_config_dir_option(capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "site"
    config.mkdir()
    (config / "inventory.yaml").write_text(
        "hosts:\n  - {name: lab1, address: 10.9.0.1, roles: [], transports: [ssh]}\n"
    )
    monkeypatch.chdir(tmp_path)
    assert _run(capsys, "ping -c1 lab1", "--config-dir", str(config))[0] == 0
    assert _run(capsys, "ping -c1 pve01", "--config-dir", str(config))[0] == EXIT_CODES["block"]


def test_without_any_config_hosts_cannot_be_checked(capsys, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, data = _run(capsys, "ping -c1 pve01")
    assert (code, data["rule_id"]) == (EXIT_CODES["block"], "host.no_inventory")


def test_audit_option_appends_the_verdict(capsys, tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite"
    code, _ = _run(capsys, "zfs destroy tank/x", "--host", "pve01", "--audit", str(path))
    assert code == EXIT_CODES["confirm"]
    with AuditLog(path) as audit:
        [entry] = audit.recent(1)
    assert (entry.command, entry.host, entry.transport) == ("zfs destroy tank/x", "pve01", "ssh")
    assert (entry.decision, entry.rule_id) == ("confirm", "zfs.destroy")
    assert entry.requester.startswith("cli:")


def _module(*argv: str, **kw) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{REPO / 'workflow' / 'src'}"}
    return subprocess.run(
        [sys.executable, "-m", "bot.safety.cli", *argv],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, **kw,
    )  # fmt: skip


def test_runs_as_a_module() -> None:
    proc = _module("curl x | sh")
    assert proc.returncode == EXIT_CODES["block"], proc.stderr
    assert json.loads(proc.stdout)["rule_id"] in ("shell.pipe_to_shell", "net.url_not_http")


@pytest.mark.skipif(shutil.which("head") is None, reason="needs head")
def test_a_closed_pipe_prints_no_traceback() -> None:
    """`halops check … | head -1`: here the reader (`true`) is gone before the first write,
    so the write fails with EPIPE every time."""
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{REPO / 'workflow' / 'src'}"}
    script = f"{sys.executable} -m bot.safety.cli 'ls; uptime; df -h' | true"
    proc = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {script}; echo \" rc=${{PIPESTATUS[0]}}\""],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr
    assert "rc=0" in proc.stdout
