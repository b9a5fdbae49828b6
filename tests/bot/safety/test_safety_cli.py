"""`halops check`: the verdict as JSON, exit 0 for any decision, 2 for usage errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.safety import AuditLog
from bot.safety.cli import cli_main

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)  # the default config/ paths are relative to the repository root


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
    ],
)  # fmt: skip
def test_prints_the_verdict(capsys, argv: list[str], decision: str, rule_id: str) -> None:
    code, data = _run(capsys, *argv)
    assert code == 0
    assert (data["decision"], data["rule_id"]) == (decision, rule_id)
    assert data["reason"]
    assert isinstance(data["findings"], list) and data["findings"]


def test_usage_errors_exit_2(capsys) -> None:
    assert cli_main([]) == 2
    assert cli_main(["ls", "--transport", "telnet"]) == 2


def test_bad_inventory_exits_1_naming_the_field(capsys, tmp_path: Path) -> None:
    bad = tmp_path / "inventory.yaml"
    bad.write_text("hosts:\n  - {name: pve01, address: 10.0.0.1, roles: [], transports: [rdp]}\n")
    assert cli_main(["uptime", "--host", "pve01", "--inventory", str(bad)]) == 1
    assert "hosts/0/transports/0" in capsys.readouterr().err


def test_audit_option_appends_the_verdict(capsys, tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite"
    code, _ = _run(capsys, "zfs destroy tank/x", "--host", "pve01", "--audit", str(path))
    assert code == 0
    with AuditLog(path) as audit:
        [entry] = audit.recent(1)
    assert (entry.command, entry.host, entry.transport) == ("zfs destroy tank/x", "pve01", "ssh")
    assert (entry.decision, entry.rule_id) == ("confirm", "zfs.destroy")
    assert entry.requester.startswith("cli:")


def test_runs_as_a_module() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-m", "bot.safety.cli", "curl x | sh"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["rule_id"] == "shell.pipe_to_shell"
