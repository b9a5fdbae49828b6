"""The project's style gates run as part of the suite, so a red lint is a red CI."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import REPO, venv_tool

GATES = {
    "ruff check": ["ruff", "check", "."],
    "ruff format": ["ruff", "format", "--check", "."],
    "snakefmt": ["snakefmt", "--check", "workflow"],
}


@pytest.mark.parametrize("gate", sorted(GATES))
def test_style_gate_is_clean(gate: str) -> None:
    tool, *args = GATES[gate]
    proc = subprocess.run(
        [venv_tool(tool), *args], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, f"{gate} failed:\n{proc.stdout}\n{proc.stderr}"


def test_snakemake_lint_is_clean() -> None:
    proc = subprocess.run(
        [venv_tool("snakemake"), "--lint", "-s", "workflow/Snakefile"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = proc.stdout + proc.stderr
    assert "Congratulations" in output, output
