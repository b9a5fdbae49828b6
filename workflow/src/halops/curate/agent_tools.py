"""Translate the transcripts' tool calls into the agent's tools, so training teaches what runs.

Claude Code sessions call `Bash`, `Read`, `WebFetch`, ...; the HALops agent offers `shell`,
`ssh`, `ipmi` and `http` (declared in `halops.contract.tools`). A model trained on `Bash` calls
would emit calls the agent cannot execute, so every call is rewritten into the agent's vocabulary:

| transcript call | agent call |
|---|---|
| `Bash` `ssh [opts] HOST 'cmd'` | `ssh` {host, command} |
| `Bash` `ipmitool -H BMC power status` (on/off/cycle/reset, sdr, bootdev, bootparam) | `ipmi` |
| `Bash` `curl [-X M] [-d B] [-H H] URL` (no pipes) | `http` {url, method[, body, headers]} |
| any other `Bash` | `shell` {command} |
| `WebFetch` {url} | `http` {url, method: GET} |
| `Read` {file_path} | `shell` `cat -n PATH` (the Read tool's output is numbered lines too) |
| `Grep` {pattern, path} | `shell` `grep -rn PATTERN PATH` |
| harness bookkeeping (`Skill`, `TodoWrite`, ...; config `drop_tools`) | dropped with its result |

Anything else is left as it is and the example is dropped by the pipeline when configured
(`drop_unmapped_examples`), since the agent could not run it. The IPMI password (`-P`) never
survives the rewrite: the agent takes BMC credentials from its environment, not from the model.
Written by hand because it is a small table over `shlex` tokens; no library knows these tools.
"""

from __future__ import annotations

import json
import shlex
from typing import Any

from halops.contract.tools import AGENT_TOOL_SPECS

AGENT_TOOL_NAMES = frozenset(spec.name for spec in AGENT_TOOL_SPECS)
SHELL_OPERATORS = frozenset({"|", "||", "&&", ";", "&", ">", ">>", "<", "2>", "2>&1", "|&"})
# ssh options that take a value (from ssh(1)); the first other word is the destination.
SSH_VALUE_OPTIONS = frozenset("BbcDEeFIiJLlmOoPpQRSWw")
IPMI_POWER = {"status", "on", "off", "cycle", "reset"}
IPMI_SENSOR_WORDS = {"sensor", "sdr"}
BOOTDEV_NAMES = {"pxe": "network", "disk": "hd", "cdrom": "optical", "bios": "setup"}

Call = tuple[str, dict[str, Any]]


def map_call(name: str, arguments: dict[str, Any], drop_tools: frozenset[str]) -> Call | None:
    """The agent's version of one transcript call; None drops it (with its result)."""
    if name in drop_tools:
        return None
    if name == "Bash" and isinstance(arguments.get("command"), str):
        return map_bash(arguments["command"])
    if name == "WebFetch" and isinstance(arguments.get("url"), str):
        return "http", {"url": arguments["url"], "method": "GET"}
    if name == "Read" and isinstance(arguments.get("file_path"), str):
        return "shell", {"command": f"cat -n {shlex.quote(arguments['file_path'])}"}
    if name == "Grep" and isinstance(arguments.get("pattern"), str):
        path = str(arguments.get("path") or ".")
        command = f"grep -rn {shlex.quote(arguments['pattern'])} {shlex.quote(path)}"
        return "shell", {"command": command}
    return name, arguments


def map_bash(command: str) -> Call:
    try:
        words = shlex.split(command)
    except ValueError:  # unbalanced quotes: leave it to the shell tool as written
        return "shell", {"command": command}
    if not words or SHELL_OPERATORS & set(words):
        return "shell", {"command": command}
    mapped = {"ssh": _ssh_call, "ipmitool": _ipmi_call, "curl": _curl_call}.get(words[0])
    return (mapped and mapped(words[1:])) or ("shell", {"command": command})


def _ssh_call(args: list[str]) -> Call | None:
    index = 0
    while index < len(args) and args[index].startswith("-"):
        takes_value = len(args[index]) == 2 and args[index][1] in SSH_VALUE_OPTIONS
        index += 2 if takes_value else 1
    if index >= len(args) - 1:  # no destination or no remote command: an interactive login
        return None
    host = args[index].rsplit("@", 1)[-1]
    return "ssh", {"host": host, "command": " ".join(args[index + 1 :])}


def _option_values(args: list[str], with_value: set[str]) -> tuple[dict[str, str], list[str]]:
    """Options that take a value (`-H host`, `-Hhost`) and the remaining words."""
    options, rest, index = {}, [], 0
    while index < len(args):
        word = args[index]
        flag = word[:2]
        if flag in with_value:
            value = word[2:] or (args[index + 1] if index + 1 < len(args) else "")
            options[flag] = value
            index += 1 if word[2:] else 2
            continue
        rest.append(word)
        index += 1
    return options, rest


def _ipmi_call(args: list[str]) -> Call | None:
    options, rest = _option_values(args, {"-I", "-H", "-U", "-P", "-p", "-L", "-y", "-f"})
    words = [w for w in rest if not w.startswith("-")]
    if "-H" not in options or not words:
        return None
    if words[0] == "chassis":
        words = words[1:]
    action: dict[str, Any] | None = None
    if words[:1] == ["power"] and words[1:2] and words[1] in IPMI_POWER:
        action = {"action": f"power_{words[1]}"}
    elif words[0] in IPMI_SENSOR_WORDS:
        action = {"action": "sensors"}
    elif words[:1] == ["bootdev"] and words[1:2]:
        action = {"action": "bootdev_set", "bootdev": BOOTDEV_NAMES.get(words[1], words[1])}
    elif words[:3] == ["bootparam", "get", "5"]:  # parameter 5 is the boot flags (IPMI spec)
        action = {"action": "bootdev_get"}
    if action is None:
        return None
    return "ipmi", {"host": options["-H"], **action}


def _curl_call(args: list[str]) -> Call | None:
    options, rest = _option_values(args, {"-X", "-d", "-H", "-m", "-o", "-u", "-w"})
    urls = [w for w in rest if w.startswith(("http://", "https://"))]
    if len(urls) != 1 or "-o" in options or "-u" in options:
        return None
    method = options.get("-X", "POST" if "-d" in options else "GET").upper()
    call: dict[str, Any] = {"url": urls[0], "method": method}
    if "-d" in options:
        call["body"] = options["-d"]
    if "-H" in options and ":" in options["-H"]:
        key, value = options["-H"].split(":", 1)
        call["headers"] = {key.strip(): value.strip()}
    return "http", call


def map_tool_call(call: dict[str, Any], drop_tools: frozenset[str]) -> dict[str, Any] | None:
    """An OpenAI `tool_calls` entry rewritten for the agent, or None to drop it."""
    function = call["function"]
    try:
        arguments = json.loads(function["arguments"] or "{}")
    except json.JSONDecodeError:
        return call
    mapped = map_call(function["name"], arguments, drop_tools)
    if mapped is None:
        return None
    name, new_arguments = mapped
    return call | {"function": {"name": name, "arguments": json.dumps(new_arguments)}}


def unmapped_tools(messages: list[dict[str, Any]]) -> set[str]:
    """Tool names in the messages that the agent does not offer."""
    names = {c["function"]["name"] for m in messages for c in m.get("tool_calls") or []}
    return names - AGENT_TOOL_NAMES
