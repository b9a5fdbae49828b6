"""The systemd units: what stopping the bot does to its children, read as systemd reads it."""

from __future__ import annotations

import configparser
import shutil
import subprocess

import pytest
import yaml

from tests.conftest import REPO

DEPLOY = REPO / "bot" / "deploy"


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string((DEPLOY / name).read_text())
    return parser


def test_the_bot_unit_kills_every_child_when_it_stops() -> None:
    service = unit("halops-bot.service")["Service"]
    # control-group (or mixed): SIGKILL after the timeout reaches the whole cgroup, so the
    # llama.cpp child and any command an approval started die with the bot.
    assert service["KillMode"] in {"control-group", "mixed"}
    grace = yaml.safe_load((REPO / "config" / "bot.yaml").read_text())["shutdown_grace_s"]
    assert int(service["TimeoutStopSec"]) > grace + 5  # the bot's own stop fits inside it
    assert service["ExecStart"].split()[0].endswith("/halops")
    assert service["ExecStart"].split()[1] == "bot"
    assert service["Restart"] == "on-failure"
    assert (
        "SLACK"
        not in (DEPLOY / "halops-bot.service")
        .read_text()
        .split("[Service]")[1]
        .split("EnvironmentFile")[0]
    )


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_units_pass_systemd_analyze(tmp_path) -> None:
    for name in ("halops-bot.service", "halops-llm.service"):
        result = subprocess.run(
            ["systemd-analyze", "verify", "--man=no", str(DEPLOY / name)],
            capture_output=True,
            text=True,
        )
        assert "Unknown key" not in result.stderr and "Invalid" not in result.stderr, result.stderr
