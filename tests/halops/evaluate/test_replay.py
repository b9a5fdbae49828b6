"""Replay executors answer from recordings by normalised key, then by acceptable values."""

from __future__ import annotations

from bot.tools.base import ToolExecutor
from halops.evaluate.cases import Recording
from halops.evaluate.replay import NO_RECORDING, recording_key, replay_tools

RECORDINGS = [
    Recording("ssh", {"host": "pve01", "command": "uptime"}, " 10:00 up 3 days"),
    Recording(
        "ssh", {"host": ["pve01", "pve03"], "command": {"regex": r"pvecm\s+status"}}, "Quorate: Yes"
    ),
    Recording(
        "ssh",
        {"host": "pve02", "command": {"regex": "."}},
        "Connection timed out",
        ok=False,
        exit_status=255,
    ),
    Recording("http", {"url": "http://mon01:3000/api/health"}, "HTTP 200 OK\n{}"),
]


def test_one_replay_executor_per_lab_transport_with_the_agent_specs() -> None:
    tools = replay_tools(RECORDINGS)
    assert sorted(tools) == ["http", "ipmi", "shell", "ssh"]
    assert all(isinstance(tool, ToolExecutor) for tool in tools.values())
    assert tools["ssh"].spec.transport == "ssh"


def test_key_normalises_whitespace_host_case_and_defaults() -> None:
    assert recording_key("ssh", {"host": "PVE01", "command": " uptime  -p "}) == recording_key(
        "ssh", {"host": "pve01", "command": "uptime -p"}
    )
    assert recording_key("http", {"url": "http://x/"}) == recording_key(
        "http", {"url": "http://x/", "method": "get"}
    )


def test_exact_then_pattern_lookup_and_failure_recordings() -> None:
    ssh = replay_tools(RECORDINGS)["ssh"]
    assert ssh.execute({"host": "PVE01", "command": "uptime"}, 5).output == " 10:00 up 3 days"
    assert ssh.execute({"host": "pve03", "command": "pvecm  status"}, 5).output == "Quorate: Yes"
    down = ssh.execute({"host": "pve02", "command": "uptime"}, 5)
    assert (down.ok, down.error_kind, down.exit_status) == (False, "nonzero_exit", 255)


def test_unrecorded_call_gets_the_default_observation_and_is_logged() -> None:
    tools = replay_tools(RECORDINGS)
    result = tools["ssh"].execute({"host": "nas01", "command": "zpool status"}, 5)
    assert (result.ok, result.error_kind, result.output) == (False, "refused", NO_RECORDING)
    assert tools["ssh"].calls == [{"host": "nas01", "command": "zpool status"}]
    # The loop passes allow_compound for shell lines with pipes; replay accepts and ignores it.
    assert not tools["shell"].execute({"command": "ls | wc -l"}, 5, allow_compound=True).ok


def test_http_get_default_matches_a_recording_without_method() -> None:
    http = replay_tools(RECORDINGS)["http"]
    call = {"url": "http://mon01:3000/api/health", "method": "GET"}
    assert http.execute(call, 5).output == "HTTP 200 OK\n{}"
