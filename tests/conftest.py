"""Shared test fixtures and paths."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_SESSIONS = REPO.parent / "shared" / "sessions" / "projects"
VENV_BIN = REPO / ".venv" / "bin"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared_sessions() -> Path:
    if not SHARED_SESSIONS.is_dir():
        pytest.skip(f"real transcripts not present at {SHARED_SESSIONS}")
    return SHARED_SESSIONS


def venv_tool(name: str) -> str:
    """A console script of the project's venv, else the one on PATH."""
    candidate = VENV_BIN / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed")
    return found
