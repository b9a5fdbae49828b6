"""On the CI machine a skipped machine test (real transcripts, SLURM) fails the run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_ENV

SKIPPING_TESTS = """
import pytest

@pytest.mark.slurm
def test_needs_slurm():
    pytest.skip("SLURM packages unavailable")

def test_needs_shared(shared_sessions):
    pass

def test_ordinary_skip():
    pytest.skip("not a machine test")
"""


def run_pytest(folder: Path, require: bool) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != REQUIRE_ENV}
    if require:
        env[REQUIRE_ENV] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder)],
        capture_output=True,
        text=True,
        env=env,
        cwd=folder,
    )


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    folder = tmp_path / "suite"
    folder.mkdir()
    shutil.copy(Path(__file__).with_name("conftest.py"), folder / "conftest.py")
    (folder / "test_skips.py").write_text(SKIPPING_TESTS)
    (folder / "pytest.ini").write_text(
        "[pytest]\nmarkers =\n    slurm: x\n    real_transcripts: x\n"
    )
    return folder


def test_machine_skips_pass_without_the_requirement(suite: Path) -> None:
    proc = run_pytest(suite, require=False)
    assert proc.returncode == 0, proc.stdout


def test_machine_skips_fail_when_required(suite: Path) -> None:
    proc = run_pytest(suite, require=True)
    assert proc.returncode == 1, proc.stdout
    assert "required on this machine: test_skips.py::test_needs_slurm" in proc.stdout
    assert "required on this machine: test_skips.py::test_needs_shared" in proc.stdout
    assert "test_ordinary_skip" not in proc.stdout.split(REQUIRE_ENV)[-1]
