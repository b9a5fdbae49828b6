"""The shell executor with real local commands: bash reads the very string the policy judged."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from bot.tools.base import ToolResult
from bot.tools.shell import ShellExecutor


def run(command: str, timeout_s: float = 5.0, allow_compound: bool = False) -> ToolResult:
    executor = ShellExecutor(cap_bytes=4096)
    return executor.execute({"command": command}, timeout_s, allow_compound=allow_compound)


def test_echo_succeeds() -> None:
    result = run("echo hello world")
    assert (result.ok, result.output, result.exit_status, result.error_kind) == (
        True,
        "hello world\n",
        0,
        None,
    )
    assert result.duration_s > 0


def test_false_is_a_nonzero_exit_result() -> None:
    result = run("false")
    assert (result.ok, result.exit_status, result.error_kind) == (False, 1, "nonzero_exit")


def test_stderr_and_exit_status_come_back() -> None:
    result = run("ls /no/such/path")
    assert result.error_kind == "nonzero_exit" and result.exit_status == 2
    assert "[stderr]\n" in result.output and "/no/such/path" in result.output


def test_quoted_operator_is_an_argument() -> None:
    assert run("echo 'a|b' \"c;d\"").output == "a|b c;d\n"


@pytest.mark.parametrize("allow_compound", [False, True])
def test_a_comment_is_a_comment_not_an_argument(tmp_path: Path, allow_compound: bool) -> None:
    """Class 2 of the safety issue: `find DIR # -delete` once ran as find's argv with `#` and
    `-delete` in it (shlex.split keeps `#`), deleting what the policy judged read-only."""
    victim = tmp_path / "keep"
    (victim / "sub").mkdir(parents=True)
    result = run(f"find {victim} # -delete", allow_compound=allow_compound)
    assert result.ok and victim.is_dir() and (victim / "sub").is_dir()


def test_a_carriage_return_stays_inside_its_word() -> None:
    assert run("printf '%s|' a\rb c").output == "a\rb|c|"


@pytest.mark.parametrize(
    "command",
    ["echo owned > {tmp}/x", "cd {tmp} && echo owned > x", "/bin/sh -c 'echo owned > {tmp}/x'",
     "PATH={tmp} ls", "exec /bin/sh -c 'echo owned > {tmp}/x'"],
)  # fmt: skip
def test_plain_commands_run_restricted(tmp_path: Path, command: str) -> None:
    """Without the policy's word (allow_compound), bash runs restricted: a parser disagreement
    could not redirect output, change directory, set PATH or run a program by path."""
    result = run(command.format(tmp=tmp_path))
    assert "restricted" in result.output or "PATH: readonly variable" in result.output
    assert not (tmp_path / "x").exists()


def test_compound_runs_through_bash_when_allowed() -> None:
    result = run("echo hi | wc -c; exit 3", allow_compound=True)
    assert result.output.strip() == "3"
    assert (result.exit_status, result.error_kind) == (3, "nonzero_exit")


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    started = time.monotonic()
    result = run(f"sleep 30 & echo $! > {pidfile}; wait", timeout_s=0.5, allow_compound=True)
    assert time.monotonic() - started < 3
    assert (result.ok, result.error_kind, result.exit_status) == (False, "timeout", None)
    assert "timed out after 0.5 s" in result.output
    # The backgrounded grandchild is dead too (allowing the kernel a moment to deliver).
    grandchild = int(pidfile.read_text())
    deadline = time.monotonic() + 2
    while _running(grandchild) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not _running(grandchild)


def _running(pid: int) -> bool:
    """True while `pid` runs; a zombie counts as dead (an orphan waits for init to reap it,
    which in a container can take a while)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_timeout_keeps_partial_output() -> None:
    result = run("echo started; sleep 30", timeout_s=0.5, allow_compound=True)
    assert result.error_kind == "timeout" and result.output.startswith("started\n")


def test_output_is_capped_with_head_and_tail() -> None:
    result = run("seq 1 100000")
    assert result.ok
    assert len(result.output.encode()) <= 4096
    assert result.output.startswith("1\n2\n3\n") and result.output.endswith("99999\n100000\n")
    assert "bytes cut by the output cap" in result.output


def test_unknown_command_is_127() -> None:
    result = run("no-such-command-halops --flag")
    assert (result.exit_status, result.error_kind) == (127, "nonzero_exit")
    assert "command not found" in result.output


def test_bash_refuses_what_it_cannot_parse() -> None:
    result = run("echo 'unbalanced")
    assert (result.exit_status, result.error_kind) == (2, "nonzero_exit")
    assert "unexpected EOF" in result.output


def test_bad_arguments() -> None:
    assert run("   ").error_kind == "bad_arguments"
    assert ShellExecutor().execute({}, 1).error_kind == "bad_arguments"
    assert ShellExecutor().execute({"command": ["ls"]}, 1).error_kind == "bad_arguments"


def test_cwd_and_env_are_honoured(tmp_path: Path) -> None:
    executor = ShellExecutor(cwd=tmp_path, env={"PATH": os.environ["PATH"], "LAB": "x1"})
    result = executor.execute({"command": "sh -c 'pwd; echo $LAB'"}, 5)
    assert result.output == f"{tmp_path}\nx1\n"


def test_bot_secrets_are_not_inherited(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-not-for-commands")
    monkeypatch.setenv("HALOPS_IPMI_PASSWORD", "bmc-secret")
    result = ShellExecutor().execute({"command": "env"}, 5)
    assert result.ok and "PATH=" in result.output
    assert "xoxb-not-for-commands" not in result.output and "bmc-secret" not in result.output
