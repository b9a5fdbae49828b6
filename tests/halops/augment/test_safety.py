"""Safety pairs: every rejected call is blocked by the real policy with the lab's settings, the
chosen answers are not, and the policy view of a call is the agent's own."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.agent.actions import action_for
from halops.augment.safety import (
    CATALOGUE,
    SafetyJudge,
    classes_for,
    distinct_requests,
    policy_view,
    render_call,
    safety_pairs,
)
from halops.contract.toolcall import parse_tool_calls, render_messages_for_training
from halops.contract.tools import AGENT_TOOL_SPECS


@pytest.fixture(scope="module")
def judge(policy_files) -> SafetyJudge:
    return SafetyJudge.from_files(*policy_files)


def call(name: str, **arguments) -> dict:
    function = {"name": name, "arguments": json.dumps(arguments)}
    return {"id": "t1", "type": "function", "function": function}


def example(index: int, request: str, answer: dict, strategy: str = "single_turn") -> dict:
    return {
        "example_id": f"ex{index}",
        "strategy": strategy,
        "session_id": f"s{index}",
        "project": "lab",
        "tier": "A",
        "source": f"lab/s{index}.jsonl:3",
        "messages": [
            {"role": "system", "content": "You are HAL."},
            {"role": "user", "content": request},
            answer,
            {"role": "tool", "tool_call_id": "t1", "name": "ssh", "content": "ok"},
            {"role": "assistant", "content": "Done."},
        ],
    }


def assistant(*calls: dict) -> dict:
    return {"role": "assistant", "content": "Checking.", "tool_calls": list(calls)}


EXAMPLES = [
    example(
        1,
        "is the zfs pool tank healthy on nas01?",
        assistant(call("ssh", host="nas01", command="zpool status tank")),
    ),
    example(
        2,
        "disk sdb on pve02 throws SMART errors",
        assistant(call("ssh", host="pve02", command="smartctl -a /dev/sdb")),
    ),
    example(3, "why is pve01 so slow", assistant(call("ssh", host="pve01", command="uptime"))),
    example(
        4, "what does the lab look like?", {"role": "assistant", "content": "Three Proxmox nodes."}
    ),
    example(5, "clean up pve03 for me", assistant(call("ssh", host="pve03", command="rm -rf /"))),
    example(
        6,
        "is the zfs pool tank healthy on nas01?",
        assistant(call("ssh", host="nas01", command="zfs list")),
        "multi_turn",
    ),
    example(
        7, "power state of pve02?", assistant(call("ipmi", host="bmc-pve02", action="power_status"))
    ),
]


def test_every_safety_pair_is_blocked_and_every_chosen_is_not(judge) -> None:
    pairs, stats = safety_pairs(EXAMPLES, judge, per_request=2, max_pairs=100)
    # 6 distinct requests (1 and 6 share one); request 5's own answer is blocked: no pair.
    assert stats.requests == 6 and stats.unsafe_chosen == 1
    assert len(pairs) == 2 * 5
    for pair in pairs:
        (rejected,) = pair.rejected["tool_calls"]
        verdict = judge.judge(rejected)
        assert verdict is not None and verdict.decision == "block"
        assert pair.rule_id == verdict.rule_id and pair.kind == "safety"
        for chosen in pair.chosen.get("tool_calls") or []:
            assert judge.judge(chosen).decision != "block"
        assert pair.prompt == [m for m in pair.prompt if m["role"] in ("system", "user")]


def test_the_dangerous_call_goes_to_the_requests_host_in_the_tool_format(judge) -> None:
    pairs, _ = safety_pairs(EXAMPLES[:1], judge, per_request=1, max_pairs=10)
    (pair,) = pairs
    arguments = json.loads(pair.rejected["tool_calls"][0]["function"]["arguments"])
    assert arguments == {"host": "nas01", "command": arguments["command"]}
    assert pair.reason.startswith("storage_and_cluster: ")  # the request talks about zfs
    text = render_messages_for_training([pair.rejected])[0]["content"]
    parsed = parse_tool_calls(text)
    assert not parsed.errors and parsed.calls[0].arguments == arguments


def test_single_turn_examples_are_preferred_and_the_cap_holds(judge) -> None:
    pairs, _ = safety_pairs(EXAMPLES, judge, per_request=1, max_pairs=3)
    assert len(pairs) == 3
    chosen = {e["example_id"] for e in distinct_requests(EXAMPLES)}
    assert "ex1" in chosen and "ex6" not in chosen  # single_turn wins the shared request


@pytest.mark.parametrize("harm", CATALOGUE, ids=lambda h: h.name)
def test_every_class_has_a_command_the_policy_blocks(judge, harm) -> None:
    blocked = [
        entry
        for entry in harm.commands
        if judge.blocks(render_call(entry, "pve01", "pve01")) is not None
    ]
    assert blocked, f"the policy blocks nothing of {harm.name}"


def test_classes_follow_the_request_then_the_rest() -> None:
    order = [h.name for h in classes_for("replace the failed disk in nas01", "x")]
    assert order[0] == "disk_wipe" and sorted(order) == sorted(h.name for h in CATALOGUE)
    assert classes_for("hello", "a") != classes_for("hello", "b") or len(CATALOGUE) < 2


# --- the policy view is the agent's --------------------------------------------------------------

TRANSPORTS = {spec.name: spec.transport for spec in AGENT_TOOL_SPECS}
TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=40).filter(
    str.strip
)
ARGUMENTS = {
    "shell": st.fixed_dictionaries({"command": TEXT}),
    "ssh": st.fixed_dictionaries({"host": TEXT, "command": TEXT}),
    "ipmi": st.fixed_dictionaries(
        {
            "host": TEXT,
            "action": st.sampled_from(["power_status", "power_off", "bootdev_set", "sensors"]),
        },
        optional={"bootdev": st.sampled_from(["pxe", "network", "disk"])},
    ),
    "http": st.fixed_dictionaries(
        {"url": TEXT}, optional={"method": st.sampled_from(["GET", "post", "DELETE", "Put"])}
    ),
}


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(ARGUMENTS)).flatmap(lambda n: st.tuples(st.just(n), ARGUMENTS[n])))
def test_policy_view_matches_the_agents_action(name_and_args) -> None:
    name, arguments = name_and_args
    action = action_for(name, TRANSPORTS[name], arguments)
    assert policy_view(name, arguments) == (action.command, action.transport, action.host)


def test_local_tools_are_not_judged(judge) -> None:
    assert policy_view("search_runbooks", {"query": "disk"}) is None
    assert judge.judge(call("search_runbooks", query="rm -rf /")) is None
    bad = {"id": "x", "type": "function", "function": {"name": "ssh", "arguments": "{not json"}}
    assert judge.judge(bad) is None
