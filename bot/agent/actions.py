"""Turn a model's tool call into what the policy judges: a command string, a transport, a host.

Each transport has one canonical text form, so the policy, the audit log and the approver all
see the same thing: the shell line itself, `power off` for IPMI, `POST http://...` for HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class BadToolArguments(ValueError):
    """The call's arguments do not fit the tool; goes back to the model as an observation."""


@dataclass(frozen=True)
class Action:
    tool: str
    transport: str  # shell | ssh | ipmi | http | local
    host: str | None
    command: str
    arguments: dict[str, Any]


def _text(args: dict[str, Any], key: str) -> str:
    value = args.get(key)
    if not isinstance(value, str) or not value.strip():
        raise BadToolArguments(f"argument {key!r} must be a non-empty string")
    return value


def _ipmi_command(args: dict[str, Any]) -> str:
    action = _text(args, "action")
    if action == "bootdev_set":
        return f"bootdev set {args.get('bootdev', '?')}"
    return action.replace("_", " ")


def action_for(tool: str, transport: str, args: dict[str, Any]) -> Action:
    """The policy's view of one call; raises BadToolArguments when the call is malformed."""
    if not isinstance(args, dict):
        raise BadToolArguments("arguments must be a JSON object")
    if transport == "shell":
        return Action(tool, transport, None, _text(args, "command"), args)
    if transport == "ssh":
        return Action(tool, transport, _text(args, "host"), _text(args, "command"), args)
    if transport == "ipmi":
        return Action(tool, transport, _text(args, "host"), _ipmi_command(args), args)
    if transport == "http":
        method = str(args.get("method") or "GET").upper()
        return Action(tool, transport, None, f"{method} {_text(args, 'url')}", args)
    if transport == "local":
        return Action(tool, transport, None, f"{tool} {args}", args)
    raise BadToolArguments(f"tool {tool!r} has an unknown transport {transport!r}")
