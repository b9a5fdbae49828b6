"""Which tool calls the agent could make at all: the inventory's hosts per transport.

A transcript may hold calls the agent can never repeat: an operator's ssh to a switch the agent
has no transport for, a typo'd host name, a BMC not in the inventory. Trained on, they teach the
model to propose calls that the policy refuses and that the tool-call grammar
(`bot.agent.grammar`, built from the same inventory) cannot even produce. validate_split drops
examples holding such a call and counts them by host in the data card.

The inventory is read as plain YAML here (the bot validates it against its schema when it loads
it); only `name` and `transports` of each host matter.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from halops.contract.tools import AGENT_TOOL_SPECS
from halops.domain import read_inventory

# tool name -> transport, for the tools whose calls name a `host` (the argument the grammar
# limits to inventory names); http names a URL, which the policy checks when the call is made.
HOST_TRANSPORTS = {
    spec.name: spec.transport
    for spec in AGENT_TOOL_SPECS
    if "host" in spec.parameters.get("properties", {})
}

Reach = Mapping[str, frozenset[str]]


def reach_of_hosts(hosts: Iterable[Mapping[str, Any]]) -> dict[str, frozenset[str]]:
    """transport -> names of the hosts that allow it."""
    names: dict[str, set[str]] = {transport: set() for transport in set(HOST_TRANSPORTS.values())}
    for host in hosts:
        for transport in host.get("transports") or ():
            names.setdefault(str(transport), set()).add(str(host["name"]))
    return {transport: frozenset(hosts) for transport, hosts in names.items()}


def load_reach(inventory: Path) -> dict[str, frozenset[str]]:
    """The reach of an inventory file; an unreadable one is an error naming the file."""
    return reach_of_hosts(read_inventory(inventory))


def unreachable_hosts(messages: Sequence[Mapping[str, Any]], reach: Reach) -> list[str]:
    """`tool:host` of every assistant call naming a host its tool's transport cannot reach."""
    found = []
    for message in messages:
        if message.get("role") != "assistant":
            continue
        for call in message.get("tool_calls") or ():
            name = call["function"]["name"]
            transport = HOST_TRANSPORTS.get(name)
            if transport is None:
                continue
            host = _host_argument(call["function"]["arguments"])
            if host not in reach.get(transport, frozenset()):
                found.append(f"{name}:{host}")
    return found


def _host_argument(arguments: Any) -> str:
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except json.JSONDecodeError:
            return "<unreadable arguments>"
    host = arguments.get("host") if isinstance(arguments, dict) else None
    return str(host) if host is not None else "<no host>"


def drop_unreachable(frame: pd.DataFrame, reach: Reach) -> tuple[pd.DataFrame, dict[str, int]]:
    """The examples whose every call is reachable, and the dropped ones' calls counted."""
    per_call: Counter[str] = Counter()
    keep = []
    for messages in frame["messages"]:
        bad = unreachable_hosts(messages, reach)
        per_call.update(bad)
        keep.append(not bad)
    return frame[keep].reset_index(drop=True), dict(sorted(per_call.items()))
