"""The sample lab's recordings from curated splits: read-only calls only, first one wins."""

from __future__ import annotations

import json
from pathlib import Path

from bot.agent.config import load_agent_config
from bot.tools.simulated import SimulatedLab, read_recordings
from halops.eval.recordings import example_recordings, lab_recordings, write_recordings
from halops.eval.runner import build_policy
from tests.conftest import REPO

POLICY = build_policy(load_agent_config(REPO / "config" / "agent.yaml"))


def tool_call(call_id: str, name: str, **arguments: object) -> dict:
    function = {"name": name, "arguments": json.dumps(arguments)}
    return {"id": call_id, "type": "function", "function": function}


def example(*pairs: tuple[dict, str]) -> dict:
    messages = [{"role": "system", "content": "You are HAL."}, {"role": "user", "content": "go"}]
    for call, result in pairs:
        messages.append({"role": "assistant", "content": "", "tool_calls": [call]})
        messages.append({"role": "tool", "tool_call_id": call["id"], "content": result})
    return {"messages": messages}


def write_split(path: Path, *examples: dict) -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in examples) + "\n")
    return path


def test_read_only_calls_are_kept_with_their_results_and_failures(tmp_path: Path) -> None:
    split = write_split(
        tmp_path / "train.jsonl",
        example(
            (tool_call("1", "ssh", host="pve03", command="uptime"), "Exit code 255\nno route"),
            (tool_call("2", "ssh", host="nas01", command="zpool status tank"), "ONLINE"),
            (tool_call("3", "ssh", host="pve01", command="reboot"), ""),
            (tool_call("4", "ipmi", host="bmc-pve01", action="power_off"), "ok"),
            (tool_call("5", "search_runbooks", query="disk"), "a runbook"),
        ),
    )
    kept = lab_recordings([split], POLICY)
    assert [(r.tool, dict(r.arguments)) for r in kept] == [
        ("ssh", {"host": "pve03", "command": "uptime"}),
        ("ssh", {"host": "nas01", "command": "zpool status tank"}),
    ]
    assert (kept[0].ok, kept[0].exit_status, kept[0].source) == (False, 255, "train.jsonl:1")


def test_the_first_recording_of_a_call_wins_across_files(tmp_path: Path) -> None:
    call = tool_call("1", "ssh", host="nas01", command="zpool status tank")
    first = write_split(tmp_path / "train.jsonl", example((call, "first")))
    second = write_split(tmp_path / "test.jsonl", example((call | {"id": "9"}, "second")))
    second.write_text(second.read_text().replace('"tool_call_id": "1"', '"tool_call_id": "9"'))
    kept = lab_recordings([first, second], POLICY)
    assert [r.output for r in kept] == ["first"]


def test_written_recordings_are_what_the_simulated_lab_reads(tmp_path: Path) -> None:
    split = write_split(
        tmp_path / "val.jsonl",
        example((tool_call("1", "ssh", host="nas01", command="zpool status tank"), "ONLINE")),
    )
    path = tmp_path / "lab" / "recordings.jsonl"
    assert write_recordings(lab_recordings([split], POLICY), path) == 1
    assert read_recordings(path)[0].output == "ONLINE"
    from halops.contract.tools import SSH_SPEC

    ssh = SimulatedLab.from_files([path]).executors([SSH_SPEC])["ssh"]
    answer = ssh.execute({"host": "nas01", "command": "zpool status tank"}, 5)
    assert answer.ok and answer.output.startswith("ONLINE\n")


def test_a_result_without_its_call_is_ignored() -> None:
    lonely = {"messages": [{"role": "tool", "tool_call_id": "x", "content": "?"}]}
    assert list(example_recordings(lonely, "s")) == []


def test_a_repeated_call_is_skipped_and_the_calls_after_it_are_still_read(tmp_path: Path) -> None:
    status = tool_call("1", "ssh", host="nas01", command="zpool status tank")
    split = write_split(
        tmp_path / "train.jsonl",
        example(
            (status, "first"),
            (status | {"id": "2"}, "again"),
            (tool_call("3", "ssh", host="pve01", command="uptime"), "up 3 days"),
        ),
    )
    kept = lab_recordings([split], POLICY)
    assert [(dict(r.arguments)["command"], r.output) for r in kept] == [
        ("zpool status tank", "first"),
        ("uptime", "up 3 days"),
    ]
