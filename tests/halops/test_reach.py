"""halops.reach: examples with a call the inventory does not open to its tool are dropped."""

import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from halops.reach import (
    HOST_TRANSPORTS,
    drop_unreachable,
    load_reach,
    reach_of_hosts,
    unreachable_hosts,
)

REPO = Path(__file__).resolve().parents[2]
HOSTS = [
    {"name": "pve01", "transports": ["ssh", "http"]},
    {"name": "bmc-pve01", "transports": ["ipmi"]},
    {"name": "sw-core01", "transports": []},
]
REACH = reach_of_hosts(HOSTS)


def call(name: str, **arguments: str) -> dict:
    return {"type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}


def example(*calls: dict) -> list[dict]:
    return [
        {"role": "user", "content": "do it"},
        {"role": "assistant", "content": "", "tool_calls": list(calls)},
    ]


def test_every_host_tool_maps_to_its_transport() -> None:
    assert HOST_TRANSPORTS == {"ssh": "ssh", "ipmi": "ipmi"}


@pytest.mark.parametrize(
    ("calls", "expected"),
    [
        ([call("ssh", host="pve01", command="uptime")], []),
        ([call("ipmi", host="bmc-pve01", action="power_status")], []),
        ([call("http", url="http://pve01:9100/metrics")], []),
        ([call("http", url="http://sw-core01/")], []),  # a URL is the policy's to judge
        ([call("ssh", host="sw-core01", command="show run")], ["ssh:sw-core01"]),
        ([call("ssh", host="bmc-pve01", command="uptime")], ["ssh:bmc-pve01"]),
        ([call("ipmi", host="pve01", action="power_status")], ["ipmi:pve01"]),
        ([call("ssh", host="pve4", command="uptime")], ["ssh:pve4"]),
        ([call("ssh", command="uptime")], ["ssh:<no host>"]),
        ([call("shell", command="ssh sw-core01 uptime")], []),  # local tools name no host
        (
            [call("ssh", host="pve01", command="uptime"), call("ssh", host="fw01", command="x")],
            ["ssh:fw01"],
        ),
    ],
)
def test_unreachable_hosts_by_tool_and_transport(calls: list[dict], expected: list[str]) -> None:
    assert unreachable_hosts(example(*calls), REACH) == expected


def test_unreadable_arguments_count_as_unreachable() -> None:
    bad = {"type": "function", "function": {"name": "ssh", "arguments": "{not json"}}
    assert unreachable_hosts(example(bad), REACH) == ["ssh:<unreadable arguments>"]


def test_user_and_tool_messages_are_not_calls() -> None:
    messages = [{"role": "user", "content": "ssh sw-core01"}, {"role": "tool", "content": "x"}]
    assert unreachable_hosts(messages, REACH) == []


@given(st.lists(st.sampled_from(["pve01", "bmc-pve01", "sw-core01", "nope"]), max_size=6))
def test_drop_keeps_exactly_the_reachable_examples(hosts: list[str]) -> None:
    frame = pd.DataFrame(
        {"messages": [example(call("ssh", host=h, command="uptime")) for h in hosts]}
    )
    kept, calls = drop_unreachable(frame, REACH)
    assert len(kept) == hosts.count("pve01")
    assert sum(calls.values()) == len(hosts) - hosts.count("pve01")


def test_the_sample_inventory_opens_ssh_to_the_nodes_but_not_the_switch() -> None:
    reach = load_reach(REPO / "config" / "inventory.yaml")
    assert "pve01" in reach["ssh"] and "sw-core01" not in reach["ssh"]
    assert "bmc-pve01" in reach["ipmi"]


@pytest.mark.parametrize("text", ["", "hosts: 3\n", "- a\n", "hosts: [\n"])
def test_a_bad_inventory_is_an_error_naming_the_file(tmp_path: Path, text: str) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match=r"inventory\.yaml"):
        load_reach(path)
