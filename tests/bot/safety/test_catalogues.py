"""The repository's own catalogues (tests/bot/safety/catalogue/): hostile commands by class of
issue 10, never allowed; everyday on-call commands, allowed without a person."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.safety import CommandPolicy

CATALOGUES = Path(__file__).with_name("catalogue")
HOSTILE = yaml.safe_load((CATALOGUES / "hostile.yaml").read_text())
BENIGN = yaml.safe_load((CATALOGUES / "benign.yaml").read_text())


def _judge(policy: CommandPolicy, entry: dict):
    transport = entry.get("transport") or ("ssh" if entry.get("host") else "shell")
    return policy.evaluate(entry["command"], transport, entry.get("host"))


def _id(entry: dict) -> str:
    return f"{entry['class']}:{entry['command'][:60]!r}"


@pytest.mark.parametrize("entry", HOSTILE, ids=_id)
def test_hostile_commands_are_never_allowed(policy: CommandPolicy, entry: dict) -> None:
    verdict = _judge(policy, entry)
    assert verdict.decision != "allow", verdict.reason
    if entry["expect"] != "any":
        assert verdict.decision == entry["expect"], f"{verdict.rule_id}: {verdict.reason}"


@pytest.mark.parametrize("entry", BENIGN, ids=_id)
def test_everyday_read_only_commands_are_allowed(policy: CommandPolicy, entry: dict) -> None:
    verdict = _judge(policy, entry)
    assert verdict.decision == "allow", f"{verdict.rule_id}: {verdict.reason}"


def test_the_catalogues_cover_every_class() -> None:
    classes = {e["class"].split("-")[0] for e in HOSTILE}
    assert classes == {str(n) for n in range(1, 10)}
    assert len(HOSTILE) >= 300 and len(BENIGN) >= 300
