"""What each tool is: the declarations the model is prompted with, apart from the executors.

Part of the contract between training and serving: the curated examples describe exactly these
tools, and the agent offers exactly these. Kept free of transport libraries (paramiko, pyghmi)
so that the training-data stages can import it without what runs the tools (`bot.tools`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from halops.contract.toolcall import tools_system_prompt

Transport = Literal["shell", "ssh", "ipmi", "http", "local"]


@dataclass(frozen=True)
class ToolSpec:
    """What a tool is, for the prompt (name, description, parameters) and for the policy."""

    name: str
    description: str
    parameters: dict[str, Any]  # JSON Schema of the `args` mapping the model sends
    transport: Transport
    read_only: bool  # True only if no call of this tool can change any state
    destructive: bool = False  # some calls can lose data or availability (power off, DELETE)

    def to_openai(self) -> dict[str, Any]:
        """The OpenAI `tools=[...]` entry for this tool."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }


SHELL_SPEC = ToolSpec(
    name="shell",
    description="Run a command on the bot host.",
    parameters={
        "type": "object",
        "properties": {
            "command": {"type": "string", "description": "The command line to run."},
        },
        "required": ["command"],
        "additionalProperties": False,
    },
    transport="shell",
    read_only=False,
    destructive=True,
)

SSH_SPEC = ToolSpec(
    name="ssh",
    description="Run a command on an inventory host over SSH.",
    parameters={
        "type": "object",
        "properties": {
            "host": {"type": "string", "description": "Inventory name of the host."},
            "command": {"type": "string", "description": "The command line to run there."},
        },
        "required": ["host", "command"],
        "additionalProperties": False,
    },
    transport="ssh",
    read_only=False,
    destructive=True,
)

ACTIONS = (
    "power_status",
    "power_on",
    "power_off",
    "power_cycle",
    "power_reset",
    "sensors",
    "bootdev_get",
    "bootdev_set",
)

# The policy's confirmation tier keys on these: every other action changes the machine.
READ_ONLY_ACTIONS = frozenset({"power_status", "sensors", "bootdev_get"})

BOOT_DEVICES = ("default", "network", "hd", "optical", "usb", "setup", "safe")

IPMI_SPEC = ToolSpec(
    name="ipmi",
    description="IPMI on a BMC (host: the BMC's name).",
    parameters={
        "type": "object",
        "properties": {
            "host": {"type": "string", "description": "Inventory name of the BMC."},
            "action": {"type": "string", "enum": list(ACTIONS)},
            "bootdev": {
                "type": "string",
                "enum": list(BOOT_DEVICES),
                "description": "Boot device, for bootdev_set only.",
            },
            "persistent": {
                "type": "boolean",
                "description": "bootdev_set: keep the device for every boot, not just the next.",
            },
        },
        "required": ["host", "action"],
        "additionalProperties": False,
    },
    transport="ipmi",
    read_only=False,
    destructive=True,
)

METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE")

# GET and HEAD change nothing; the policy sends every other method to a person first.
READ_ONLY_METHODS = frozenset({"GET", "HEAD"})

HTTP_SPEC = ToolSpec(
    name="http",
    description="HTTP request to a lab service.",
    parameters={
        "type": "object",
        "properties": {
            "url": {"type": "string", "description": "Full http:// or https:// URL."},
            "method": {"type": "string", "enum": list(METHODS), "default": "GET"},
            "body": {"type": "string", "description": "Request body (POST/PUT)."},
            "headers": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "Extra request headers.",
            },
        },
        "required": ["url"],
        "additionalProperties": False,
    },
    transport="http",
    read_only=False,
    destructive=True,
)

SEARCH_RUNBOOKS_SPEC = ToolSpec(
    name="search_runbooks",
    description="Search the lab's runbooks.",
    parameters={
        "type": "object",
        "properties": {
            "query": {"type": "string", "description": "What to look for."},
        },
        "required": ["query"],
        "additionalProperties": False,
    },
    transport="local",
    read_only=True,
)

AGENT_TOOL_SPECS = (SHELL_SPEC, SSH_SPEC, IPMI_SPEC, HTTP_SPEC, SEARCH_RUNBOOKS_SPEC)


def agent_tools_openai(with_local: bool = True) -> list[dict]:
    """The OpenAI `tools` entries of the agent's tools, in a stable (name) order. Without
    `with_local`, only the transports: what the agent offers when no runbook index is open."""
    specs = [s for s in AGENT_TOOL_SPECS if with_local or s.transport != "local"]
    return [spec.to_openai() for spec in sorted(specs, key=lambda s: s.name)]


def agent_tools_prompt(with_local: bool = True) -> str:
    """The tools section the agent appends to its system prompt (training uses the same text):
    search_runbooks is offered with retrieval, i.e. when runbook passages are in the prompt."""
    return tools_system_prompt(agent_tools_openai(with_local))
