"""Transcript tool calls become the agent's tools, and examples carry the agent's tool prompt."""

from __future__ import annotations

import json

import pytest

from bot.agent.loop import Agent
from halops.contract.tools import agent_tools_prompt
from halops.curate.agent_tools import (
    map_bash,
    map_call,
    map_tool_call,
    unmapped_tools,
)
from halops.curate.common import Session, make_example
from halops.curate.config import CurateConfig

DROP = frozenset({"Skill", "TodoWrite"})


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (
            "ssh pve02 'systemctl status pveproxy'",
            ("ssh", {"host": "pve02", "command": "systemctl status pveproxy"}),
        ),
        (
            "ssh -o ConnectTimeout=5 root@nas01 zpool status tank",
            ("ssh", {"host": "nas01", "command": "zpool status tank"}),
        ),
        ("ssh -i ~/.ssh/lab -p 2222 pve01 uptime", ("ssh", {"host": "pve01", "command": "uptime"})),
        ("ssh pve01", ("shell", {"command": "ssh pve01"})),
        (
            "ipmitool -I lanplus -H bmc-pve01 -U admin -P s3cret power status",
            ("ipmi", {"host": "bmc-pve01", "action": "power_status"}),
        ),
        (
            "ipmitool -I lanplus -H bmc-pve02 -U admin -P x chassis power cycle",
            ("ipmi", {"host": "bmc-pve02", "action": "power_cycle"}),
        ),
        (
            "ipmitool -H bmc-pve03 -U a -P b sdr",
            ("ipmi", {"host": "bmc-pve03", "action": "sensors"}),
        ),
        (
            "ipmitool -H bmc-pve03 -U a -P b chassis bootdev pxe",
            ("ipmi", {"host": "bmc-pve03", "action": "bootdev_set", "bootdev": "network"}),
        ),
        (
            "ipmitool -I lanplus -H bmc-pve03 -U admin -E chassis bootparam get 5",
            ("ipmi", {"host": "bmc-pve03", "action": "bootdev_get"}),
        ),
        (
            "ipmitool -I lanplus -H bmc-pve01 -U admin -E sensor",
            ("ipmi", {"host": "bmc-pve01", "action": "sensors"}),
        ),
        (
            "ipmitool -H bmc-pve03 -U a -P b chassis bootparam get 4",
            ("shell", {"command": "ipmitool -H bmc-pve03 -U a -P b chassis bootparam get 4"}),
        ),
        (
            "ipmitool -H bmc-pve03 -U a -P b sel list",
            ("shell", {"command": "ipmitool -H bmc-pve03 -U a -P b sel list"}),
        ),
        (
            "curl -s 'http://mon01:9090/api/v1/query?query=up'",
            ("http", {"url": "http://mon01:9090/api/v1/query?query=up", "method": "GET"}),
        ),
        (
            "curl -s -X POST -H 'Content-Type: application/json' -d '{}' http://mon01:9093/api/v2/silences",
            (
                "http",
                {
                    "url": "http://mon01:9093/api/v2/silences",
                    "method": "POST",
                    "body": "{}",
                    "headers": {"Content-Type": "application/json"},
                },
            ),
        ),
        (
            "curl -s http://mon01:9090/api/v1/alerts | jq .",
            ("shell", {"command": "curl -s http://mon01:9090/api/v1/alerts | jq ."}),
        ),
        ("zpool status tank", ("shell", {"command": "zpool status tank"})),
        ("echo 'unbalanced", ("shell", {"command": "echo 'unbalanced"})),
    ],
)
def test_bash_commands_map_to_the_agent_tools(command, expected) -> None:
    assert map_bash(command) == expected


def test_other_tools() -> None:
    assert map_call("WebFetch", {"url": "http://mon01:3000/", "prompt": "x"}, DROP) == (
        "http",
        {"url": "http://mon01:3000/", "method": "GET"},
    )
    assert map_call("Read", {"file_path": "/etc/hosts"}, DROP) == (
        "shell",
        {"command": "cat -n /etc/hosts"},
    )
    assert map_call("Grep", {"pattern": "a b", "path": "/var/log"}, DROP) == (
        "shell",
        {"command": "grep -rn 'a b' /var/log"},
    )
    assert map_call("Skill", {"skill": "x"}, DROP) is None
    assert map_call("Task", {"prompt": "x"}, DROP) == ("Task", {"prompt": "x"})


def test_ipmi_password_never_survives_the_mapping() -> None:
    call = {
        "id": "t",
        "type": "function",
        "function": {
            "name": "Bash",
            "arguments": json.dumps(
                {"command": "ipmitool -H bmc-pve01 -U admin -P hunter22 power off"}
            ),
        },
    }
    mapped = map_tool_call(call, DROP)
    assert mapped is not None and "hunter22" not in json.dumps(mapped)
    assert mapped["function"]["name"] == "ipmi" and mapped["id"] == "t"


def test_examples_with_calls_the_agent_lacks_are_dropped_and_others_carry_the_tool_prompt() -> None:
    session = Session("s", "p", "A", [])
    span = [{"source": "f:1", "seq": 0}, {"source": "f:3", "seq": 2}]
    cfg = CurateConfig(system_prompt="SYS")
    task = {"id": "t", "type": "function", "function": {"name": "Task", "arguments": "{}"}}
    ssh = {
        "id": "u",
        "type": "function",
        "function": {"name": "ssh", "arguments": '{"host": "pve01", "command": "uptime"}'},
    }
    bad = [
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": "", "tool_calls": [task]},
    ]
    good = [
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": "", "tool_calls": [ssh]},
    ]
    assert unmapped_tools(bad) == {"Task"}
    assert make_example("single_turn", session, span, bad, cfg) is None
    example = make_example("single_turn", session, span, good, cfg)
    system = json.loads(example["messages"])[0]["content"]
    # No runbook passages in the prompt, so no search_runbooks: as the agent without retrieval.
    assert system == "SYS\n\n" + agent_tools_prompt(with_local=False)


def test_training_system_prompt_is_the_agents_own() -> None:
    """What the model is trained with is byte for byte what the agent sends: without retrieval
    (the transports only) and with it (passages and search_runbooks, as skills examples)."""

    class Deps:
        base_prompt = "SYS"
        retriever = None

        def __init__(self) -> None:
            from halops.contract.tools import AGENT_TOOL_SPECS

            self.tools = {spec.name: type("T", (), {"spec": spec})() for spec in AGENT_TOOL_SPECS}

    agent = Agent(Deps())  # type: ignore[arg-type]
    assert agent.system_message("q")["content"] == "SYS\n\n" + agent_tools_prompt()


def agent_with(tools: tuple, retriever=None):
    from halops.contract.tools import AGENT_TOOL_SPECS

    class Deps:
        base_prompt = "SYS"

        def __init__(self) -> None:
            self.retriever = retriever
            self.tools = {
                spec.name: type("T", (), {"spec": spec})()
                for spec in AGENT_TOOL_SPECS
                if spec.name in tools
            }

    return Agent(Deps())  # type: ignore[arg-type]


def test_curated_prompts_equal_the_agents_with_and_without_retrieval() -> None:
    from halops.contract.prompts import skill_system_prompt

    session = Session("s", "p", "A", [])
    span = [{"source": "f:1", "seq": 0}, {"source": "f:3", "seq": 2}]
    messages = [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]
    cfg = CurateConfig(system_prompt="SYS")
    plain = json.loads(make_example("single_turn", session, span, messages, cfg)["messages"])
    transports = ("shell", "ssh", "ipmi", "http")
    assert plain[0]["content"] == agent_with(transports).system_message("q")["content"]
    docs = [("Disk replacement", "1. zpool offline tank sdc")]
    system = skill_system_prompt("SYS", docs)
    skill = make_example("skills", session, span, messages, cfg, system, skill="x")
    with_docs = json.loads(skill["messages"])[0]["content"]
    agent = agent_with((*transports, "search_runbooks"), retriever=lambda request: docs)
    assert with_docs == agent.system_message("q")["content"]
    assert "search_runbooks(" in with_docs and "search_runbooks(" not in plain[0]["content"]
