"""The eval's tools are the bot's simulated executors: the case's recordings first, then the
sample lab's, then "nothing ran" (the executors themselves: tests/bot/tools/test_simulated.py)."""

from __future__ import annotations

from bot.tools.base import ToolExecutor
from bot.tools.simulated import NO_RECORDING, SIMULATED_NOTE, Recording, SimulatedLab
from halops.eval.replay import replay_tools

CASE = [
    Recording("ssh", {"host": "pve03", "command": {"regex": r"^uptime\b"}}, "up 41 days"),
    Recording("http", {"url": "http://mon01:3000/api/health"}, "HTTP 200 OK\n{}"),
]
LAB = SimulatedLab(
    (
        (
            Recording("ssh", {"host": "pve03", "command": "uptime"}, "up 3 days"),
            Recording("ssh", {"host": "nas01", "command": "zpool status tank"}, "ONLINE"),
        ),
    )
)


def test_one_executor_per_lab_transport_with_the_agent_specs() -> None:
    tools = replay_tools(CASE)
    assert sorted(tools) == ["http", "ipmi", "shell", "ssh"]
    assert all(isinstance(tool, ToolExecutor) for tool in tools.values())
    assert tools["ssh"].spec.transport == "ssh"


def test_the_case_recording_wins_then_the_lab_answers_then_nothing_ran() -> None:
    ssh = replay_tools(CASE, LAB)["ssh"]
    assert ssh.execute({"host": "pve03", "command": "uptime"}, 5).output.startswith("up 41 days")
    pool = ssh.execute({"host": "nas01", "command": "zpool  status tank"}, 5)
    assert pool.ok and pool.output == f"ONLINE\n{SIMULATED_NOTE}"
    missing = ssh.execute({"host": "nas01", "command": "zfs list"}, 5)
    assert (missing.ok, missing.error_kind) == (False, "refused")
    assert missing.output.startswith(NO_RECORDING)


def test_without_a_lab_only_the_case_answers() -> None:
    http = replay_tools(CASE)["http"]
    call = {"url": "http://mon01:3000/api/health", "method": "GET"}
    assert http.execute(call, 5).output.startswith("HTTP 200 OK\n{}")
    assert not replay_tools(CASE)["ssh"].execute({"host": "nas01", "command": "x"}, 5).ok
