"""Fixtures for the augmentation tests: the model fixtures (embedded SmolLM2, converted once per
pytest cache) and the lab's real policy/inventory files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.halops.model.conftest import (  # noqa: F401 - fixtures, re-exported for this folder
    smollm2_base_dir,
    smollm2_gguf,
    smollm2_tokenizer,
)


@pytest.fixture(scope="session")
def policy_files() -> tuple[Path, Path]:
    """The lab's real command policy settings and inventory (config/)."""
    return REPO / "config" / "policy.yaml", REPO / "config" / "inventory.yaml"
