"""The shared pieces: output cap, bounded capture, declarations."""

from __future__ import annotations

import pytest

from bot.tools.base import (
    BoundedCapture,
    HostEntry,
    ToolExecutor,
    ToolResult,
    ToolSpec,
    cap_output,
    join_streams,
)
from bot.tools.http import HttpExecutor
from bot.tools.ipmi import IpmiExecutor
from bot.tools.shell import ShellExecutor
from bot.tools.ssh import SshExecutor


def test_cap_output_leaves_short_text_alone() -> None:
    assert cap_output("hello\n", 64) == "hello\n"


@pytest.mark.parametrize("cap", [80, 100, 1000])
def test_cap_output_keeps_head_and_tail_within_the_cap(cap: int) -> None:
    text = "HEAD" + "." * 10_000 + "TAIL"
    capped = cap_output(text, cap)
    assert len(capped.encode()) <= cap
    assert capped.startswith("HEAD") and capped.endswith("TAIL")
    assert "bytes cut by the output cap" in capped


def test_cap_output_reports_the_number_of_bytes_cut() -> None:
    capped = cap_output("z" * 1000, 100)
    kept = capped.count("z")
    assert f"[... {1000 - kept} bytes cut" in capped


def test_cap_output_never_splits_a_multibyte_character() -> None:
    capped = cap_output("é" * 5000, 101)
    assert "\ufffd" not in capped
    assert len(capped.encode()) <= 101


def test_bounded_capture_matches_cap_output() -> None:
    data = "".join(f"line {i}\n" for i in range(5000))
    capture = BoundedCapture(1024)
    for start in range(0, len(data), 777):  # uneven chunks, as pipes deliver them
        capture.feed(data[start : start + 777].encode())
    assert capture.total == len(data)
    assert capture.text() == cap_output(data, 1024)


def test_bounded_capture_under_the_cap_is_lossless() -> None:
    capture = BoundedCapture(100)
    capture.feed(b"x" * 60)
    capture.feed(b"y" * 40)
    assert capture.text() == "x" * 60 + "y" * 40


def test_join_streams_labels_stderr() -> None:
    assert join_streams("out\n", "") == "out\n"
    assert join_streams("out", "err\n") == "out\n[stderr]\nerr\n"
    assert join_streams("", "err") == "[stderr]\nerr"


def test_spec_renders_as_an_openai_tool() -> None:
    spec = ToolSpec("t", "does t", {"type": "object", "properties": {}}, "local", read_only=True)
    assert spec.to_openai() == {
        "type": "function",
        "function": {
            "name": "t",
            "description": "does t",
            "parameters": {"type": "object", "properties": {}},
        },
    }


def test_failure_result_shape() -> None:
    result = ToolResult.failure("host_down", "gone", 1.5)
    assert result == ToolResult(False, "gone", None, "host_down", 1.5)


def test_host_entry_from_mapping_defaults_and_extras() -> None:
    entry = HostEntry.from_mapping("pve01", {"address": "10.0.0.11", "role": "hypervisor"}, 22)
    assert (entry.name, entry.address, entry.port, entry.user) == ("pve01", "10.0.0.11", 22, "root")
    assert entry.extra == {"role": "hypervisor"}
    assert HostEntry.from_mapping("nas01", {}, 623).address == "nas01"


@pytest.mark.parametrize(
    "executor",
    [
        ShellExecutor(),
        SshExecutor({}, "known_hosts", "id"),
        IpmiExecutor({}),
        HttpExecutor(),
    ],
    ids=["shell", "ssh", "ipmi", "http"],
)
def test_every_executor_declares_itself(executor: ToolExecutor) -> None:
    assert isinstance(executor, ToolExecutor)
    spec = executor.spec
    assert spec.transport == spec.name
    assert spec.parameters["type"] == "object"
    assert set(spec.parameters["required"]) <= set(spec.parameters["properties"])
    # Every transport here can change state, so none may claim to be read-only.
    assert not spec.read_only and spec.destructive
