"""Shared test fixtures and paths."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_SESSIONS = REPO.parent / "shared" / "sessions" / "projects"
VENV_BIN = REPO / ".venv" / "bin"

# Tests that need a machine's resources (../shared's real transcripts, root + SLURM's Debian
# packages) skip without them. On the CI machine both exist, so .ci/run sets this variable and
# a skip among those tests fails the run instead of passing silently.
REQUIRE_ENV = "HALOPS_REQUIRE_MACHINE_TESTS"
MACHINE_MARKERS = ("real_transcripts", "slurm")
_skipped_machine_tests: list[str] = []


def _needs_machine(item: pytest.Item) -> bool:
    if "shared_sessions" in getattr(item, "fixturenames", ()):
        return True
    return any(item.get_closest_marker(name) for name in MACHINE_MARKERS)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> object:
    outcome = yield
    report = outcome.get_result()
    if report.skipped and _needs_machine(item):
        _skipped_machine_tests.append(item.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get(REQUIRE_ENV) and _skipped_machine_tests and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if os.environ.get(REQUIRE_ENV) and _skipped_machine_tests:
        terminalreporter.section(f"{REQUIRE_ENV}: machine tests skipped", red=True)
        for nodeid in _skipped_machine_tests:
            terminalreporter.line(f"SKIPPED, but required on this machine: {nodeid}")


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


# llama.cpp in tests runs on one thread. Its worker threads spin-wait for one another at every
# operation of the graph; on a shared CPU (CI beside another job) a descheduled partner turns
# each of those waits into a scheduler time slice. Measured: with a DPO run beside CI, one
# grammar test's 2-thread server took ~9 minutes for a few dozen tokens, and the suite reached
# 21 % in 17 minutes. One thread has no partner to wait for; on this machine's two vCPUs (one
# physical core) it is as fast as two when the machine is quiet.
LLAMA_TEST_THREADS = 1


def llama_serve_config() -> object:
    """The shipped server settings (config/serve.yaml) with the embedded base model, a free
    port and LLAMA_TEST_THREADS: never a GGUF that an earlier pipeline run left in results/."""
    import dataclasses

    from bot.serve import embedded_base_gguf, free_port, load_serve_config

    return dataclasses.replace(
        load_serve_config(REPO / "config" / "serve.yaml"),
        model_path=embedded_base_gguf(),
        port=free_port(),
        n_threads=LLAMA_TEST_THREADS,
    )


def write_test_serve_yaml(path: Path, **changes: object) -> Path:
    """config/serve.yaml copied to `path` with LLAMA_TEST_THREADS (and `changes`)."""
    import yaml

    serve = yaml.safe_load((REPO / "config" / "serve.yaml").read_text())
    serve.update({"n_threads": LLAMA_TEST_THREADS, **changes})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(serve))
    return path
