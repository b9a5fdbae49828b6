"""The simulated lab: recordings read, looked up by normalised key and by pattern, layered,
every answer marked; the registry swaps every transport for it on a simulated inventory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.tools.base import ToolExecutor
from bot.tools.registry import TRANSPORTS, ToolsConfig, build_tools
from bot.tools.simulated import (
    NO_RECORDING,
    SIMULATED_NOTE,
    Recording,
    RecordingsError,
    SimulatedExecutor,
    SimulatedLab,
    call_key,
    read_recordings,
)
from halops.contract.tools import HTTP_SPEC, SHELL_SPEC, SSH_SPEC

RECORDINGS = [
    Recording("ssh", {"host": "pve01", "command": "uptime"}, " 10:00 up 3 days"),
    Recording(
        "ssh", {"host": ["pve01", "pve03"], "command": {"regex": r"pvecm\s+status"}}, "Quorate: Yes"
    ),
    Recording("ssh", {"host": "pve02", "command": {"regex": "."}}, "timed out", False, 255),
    Recording("http", {"url": "http://mon01:3000/api/health"}, "HTTP 200 OK\n{}"),
]


def ssh(*layers: list[Recording], note: str = SIMULATED_NOTE) -> SimulatedExecutor:
    return SimulatedExecutor(SSH_SPEC, layers or (RECORDINGS,), note)


def test_exact_key_ignores_whitespace_host_case_and_defaults() -> None:
    assert call_key(SSH_SPEC, {"host": "PVE01", "command": " uptime  -p "}) == call_key(
        SSH_SPEC, {"host": "pve01", "command": "uptime -p"}
    )
    assert call_key(HTTP_SPEC, {"url": "http://x/"}) == call_key(
        HTTP_SPEC, {"url": "http://x/", "method": "get"}
    )
    # Case matters everywhere else: `ls /ETC` is not `ls /etc`.
    assert call_key(SSH_SPEC, {"host": "a", "command": "ls /ETC"}) != call_key(
        SSH_SPEC, {"host": "a", "command": "ls /etc"}
    )


def test_exact_then_pattern_lookup_and_failure_recordings() -> None:
    tool = ssh(note="")
    assert tool.execute({"host": "PVE01", "command": "uptime"}, 5).output == " 10:00 up 3 days"
    assert tool.execute({"host": "pve03", "command": "pvecm  status"}, 5).output == "Quorate: Yes"
    down = tool.execute({"host": "pve02", "command": "uptime"}, 5)
    assert (down.ok, down.error_kind, down.exit_status) == (False, "nonzero_exit", 255)
    # A list of hosts is a list of acceptable values: nas01 is not one of them.
    assert tool.lookup({"host": "nas01", "command": "pvecm status"}) is None


def test_every_answer_says_it_came_from_the_simulated_lab() -> None:
    tool = ssh()
    answered = tool.execute({"host": "pve01", "command": "uptime"}, 5)
    assert answered.output == f" 10:00 up 3 days\n{SIMULATED_NOTE}"
    missing = tool.execute({"host": "nas01", "command": "zpool status"}, 5)
    assert (missing.ok, missing.error_kind) == (False, "refused")
    assert missing.output == f"{NO_RECORDING}\n{SIMULATED_NOTE}"
    assert tool.calls == [
        {"host": "pve01", "command": "uptime"},
        {"host": "nas01", "command": "zpool status"},
    ]


def test_earlier_layers_win_even_over_an_exact_key_later() -> None:
    case = [Recording("ssh", {"host": "pve01", "command": {"regex": "^uptime"}}, "up 41 days")]
    lab = [Recording("ssh", {"host": "pve01", "command": "uptime"}, "up 3 days")]
    assert ssh(case, lab, note="").execute({"host": "pve01", "command": "uptime"}, 5).output == (
        "up 41 days"
    )
    assert ssh(lab, case, note="").execute({"host": "pve01", "command": "uptime"}, 5).output == (
        "up 3 days"
    )


def test_the_first_recording_of_a_call_wins() -> None:
    first = Recording("ssh", {"host": "pve01", "command": "uptime"}, "first")
    second = Recording("ssh", {"host": "pve01", "command": "uptime"}, "second")
    assert ssh([first, second]).lookup({"host": "pve01", "command": "uptime"}) is first


def test_compound_shell_lines_are_answered_without_running_anything(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    shell = SimulatedExecutor(SHELL_SPEC, [[Recording("shell", {"command": "ls | wc -l"}, "3")]])
    result = shell.execute({"command": "ls | wc -l"}, 5, allow_compound=True)
    assert result.ok and result.output.startswith("3\n")
    shell.execute({"command": f"touch {marker}"}, 5, allow_compound=True)
    assert not marker.exists()


def test_exit_code_prefix_of_a_transcript_result_marks_a_failure() -> None:
    failed = Recording.from_tool_message("ssh", {"host": "a"}, "Exit code 255\nno route", "s:1")
    assert (failed.ok, failed.exit_status, failed.output) == (False, 255, "Exit code 255\nno route")
    fine = Recording.from_tool_message("ssh", {"host": "a"}, "Exit code is 0 in man", "s:1")
    assert (fine.ok, fine.exit_status) == (True, 0)


def test_recordings_files_hold_recordings_and_cases(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"
    case = {"id": "c", "recorded": [{"tool": "ssh", "arguments": {"host": "a"}, "output": "x"}]}
    lines = [
        json.dumps(RECORDINGS[0].to_mapping()),
        "",
        "// a comment",
        json.dumps(case),
    ]
    path.write_text("\n".join(lines) + "\n")
    read = read_recordings(path)
    assert [r.output for r in read] == [" 10:00 up 3 days", "x"]
    assert read[0] == RECORDINGS[0].__class__(**{**RECORDINGS[0].to_mapping()})
    assert read[1].source == f"{path}:4"


@pytest.mark.parametrize(
    "line", ['{"tool": "ssh"}', "not json", '["a list"]', '{"recorded": [{"tool": 1}]}']
)
def test_a_bad_line_names_file_and_line(tmp_path: Path, line: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(RECORDINGS[0].to_mapping()) + "\n" + line + "\n")
    with pytest.raises(RecordingsError, match=r"bad\.jsonl:2: not a recording"):
        read_recordings(path)


def test_missing_files_are_skipped_and_layers_keep_file_order(tmp_path: Path) -> None:
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_text(json.dumps(RECORDINGS[0].to_mapping() | {"output": "from a"}) + "\n")
    second.write_text(json.dumps(RECORDINGS[0].to_mapping() | {"output": "from b"}) + "\n")
    lab = SimulatedLab.from_files([tmp_path / "absent.jsonl", first, second])
    assert len(lab) == 2
    tool = lab.executors([SSH_SPEC])["ssh"]
    assert tool.execute({"host": "pve01", "command": "uptime"}, 5).output.startswith("from a")
    preferred = lab.with_first([RECORDINGS[0]]).executors([SSH_SPEC])["ssh"]
    assert preferred.lookup({"host": "pve01", "command": "uptime"}) is RECORDINGS[0]


def test_registry_swaps_every_enabled_transport_for_the_simulated_lab() -> None:
    tools = build_tools(ToolsConfig(), simulated=SimulatedLab((tuple(RECORDINGS),)))
    assert sorted(tools) == sorted(TRANSPORTS)
    assert all(isinstance(tool, SimulatedExecutor) for tool in tools.values())
    assert all(isinstance(tool, ToolExecutor) for tool in tools.values())
    assert {name: tool.spec.name for name, tool in tools.items()} == {t: t for t in TRANSPORTS}
    only_ssh = build_tools(ToolsConfig(enabled=("ssh",)), simulated=SimulatedLab())
    assert list(only_ssh) == ["ssh"]
    real = build_tools(ToolsConfig(enabled=("shell",)))
    assert not isinstance(real["shell"], SimulatedExecutor)


words = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=40)


@given(host=words, command=words, spaces=st.text(alphabet=" \t\n", min_size=1, max_size=3))
def test_lookup_is_blind_to_whitespace_and_host_case(host: str, command: str, spaces: str) -> None:
    recorded = Recording("ssh", {"host": host, "command": command}, "out")
    tool = ssh([recorded])
    variant = {"host": spaces + host.upper() + spaces, "command": command.replace(" ", spaces)}
    assert tool.lookup({"host": host, "command": command}) is recorded
    if host.upper().lower() == host.lower():  # str.upper is not always reversible
        assert tool.lookup(variant) is recorded
