"""config/bot.yaml, its schema, the Slack manifest and `halops bot`'s start-up checks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.app import cli_main
from bot.slack.config import BotConfigError, load_bot_config
from tests.conftest import REPO


def test_bot_config_validates_with_safe_defaults() -> None:
    cfg = load_bot_config(REPO / "config" / "bot.yaml")
    assert cfg.approvals.timeout_s == 900 and cfg.approvals.allow_self_approval is False
    assert cfg.agent_config == REPO / "config" / "agent.yaml"
    assert cfg.formatting.section_chars <= 3000 and cfg.formatting.blocks_per_message <= 50
    assert cfg.serves("CANY", None) and cfg.serves("D123", "im")


def write_config(tmp_path: Path, change) -> Path:
    data = yaml.safe_load((REPO / "config" / "bot.yaml").read_text())
    change(data)
    path = tmp_path / "config" / "bot.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["approvals"].update(timeout_s=0), "approvals/timeout_s"),
        (lambda d: d["approvals"].update(approvers=["alice"]), "approvals/approvers/0"),
        (lambda d: d["formatting"].update(section_chars=4000), "formatting/section_chars"),
        (lambda d: d.update(channels=["#ops"]), "channels/0"),
        (lambda d: d.update(slack_bot_token="xoxb-nope"), "(top level)"),
    ],
)
def test_config_errors_name_the_field(tmp_path: Path, change, field: str) -> None:
    with pytest.raises(BotConfigError, match=re.escape(f"bot.yaml: {field}")):
        load_bot_config(write_config(tmp_path, change))


def test_every_schema_key_has_a_description() -> None:
    schema = yaml.safe_load((REPO / "bot" / "slack" / "bot.schema.yaml").read_text())

    def walk(node, path):
        for key, sub in node.get("properties", {}).items():
            assert sub.get("description"), f"{path}/{key} has no description"
            walk(sub, f"{path}/{key}")

    walk(schema, "")


def test_manifest_declares_what_the_bot_uses() -> None:
    manifest = yaml.safe_load((REPO / "config" / "slack-manifest.yaml").read_text())
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is True
    assert settings["interactivity"]["is_enabled"] is True
    assert set(settings["event_subscriptions"]["bot_events"]) == {"app_mention", "message.im"}
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/halops"]
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {
        "app_mentions:read",
        "chat:write",
        "commands",
        "im:history",
        "usergroups:read",
    } <= scopes


@pytest.mark.parametrize(
    ("argv", "missing"),
    [([], "SLACK_APP_TOKEN"), (["--http"], "SLACK_SIGNING_SECRET")],
)
def test_bot_refuses_to_start_without_its_secrets(monkeypatch, capsys, argv, missing) -> None:
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    assert cli_main(argv) == 2
    assert f"set {missing} in the environment" in capsys.readouterr().err


def test_bot_refuses_a_bad_config(tmp_path: Path, capsys) -> None:
    bad = write_config(tmp_path, lambda d: d["approvals"].update(timeout_s="soon"))
    assert cli_main(["--config", str(bad)]) == 2
    assert "approvals/timeout_s" in capsys.readouterr().err
