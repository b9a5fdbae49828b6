"""Fixtures for the safety tests: the shipped inventory and policy settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.safety import CommandPolicy, Inventory, load_policy_settings

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def inventory() -> Inventory:
    return Inventory.from_yaml(REPO / "config" / "inventory.yaml")


@pytest.fixture(scope="session")
def policy(inventory: Inventory) -> CommandPolicy:
    return CommandPolicy(load_policy_settings(REPO / "config" / "policy.yaml"), inventory)
