"""Build the agent's tool set from plain configuration and inventory mappings.

With a `SimulatedLab` (the inventory is marked `simulated: true`), every enabled transport is a
`SimulatedExecutor` answering from recordings instead of the real one: nothing is contacted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.tools.base import DEFAULT_OUTPUT_CAP_BYTES, HostEntry, ToolExecutor, ToolSpec
from bot.tools.http import HttpExecutor
from bot.tools.ipmi import DEFAULT_PASSWORD_ENV, IPMI_PORT, IpmiExecutor
from bot.tools.shell import ShellExecutor
from bot.tools.simulated import SimulatedLab
from bot.tools.ssh import DEFAULT_CONNECT_TIMEOUT_S, SSH_PORT, SshExecutor
from halops.contract.tools import HTTP_SPEC, IPMI_SPEC, SHELL_SPEC, SSH_SPEC

TRANSPORTS = ("shell", "ssh", "ipmi", "http")
TRANSPORT_SPECS = {"shell": SHELL_SPEC, "ssh": SSH_SPEC, "ipmi": IPMI_SPEC, "http": HTTP_SPEC}


@dataclass(frozen=True)
class ToolsConfig:
    """The executors' knobs; `from_mapping` reads the config file's `tools:` section."""

    output_cap_bytes: int = DEFAULT_OUTPUT_CAP_BYTES
    enabled: tuple[str, ...] = TRANSPORTS
    ssh_known_hosts: Path = Path("~/.config/halops/known_hosts")
    ssh_key_file: Path = Path("~/.config/halops/id_ed25519")
    ssh_connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S
    ipmi_password_env: str = DEFAULT_PASSWORD_ENV
    shell_cwd: Path | None = None

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> ToolsConfig:
        ssh, ipmi, shell = raw.get("ssh", {}), raw.get("ipmi", {}), raw.get("shell", {})
        default = cls()
        return cls(
            output_cap_bytes=int(raw.get("output_cap_bytes", default.output_cap_bytes)),
            enabled=tuple(raw.get("enabled", default.enabled)),
            ssh_known_hosts=Path(ssh.get("known_hosts", default.ssh_known_hosts)).expanduser(),
            ssh_key_file=Path(ssh.get("key_file", default.ssh_key_file)).expanduser(),
            ssh_connect_timeout_s=float(
                ssh.get("connect_timeout_s", default.ssh_connect_timeout_s)
            ),
            ipmi_password_env=str(ipmi.get("password_env", default.ipmi_password_env)),
            shell_cwd=Path(shell["cwd"]) if shell.get("cwd") else None,
        )


def host_entries(raw: Mapping[str, Mapping[str, Any]], default_port: int) -> dict[str, HostEntry]:
    """Plain `{name: {address, port, user, secret_env}}` mappings to `HostEntry`s."""
    return {name: HostEntry.from_mapping(name, entry, default_port) for name, entry in raw.items()}


def build_tools(
    config: ToolsConfig,
    ssh_hosts: Mapping[str, HostEntry] | None = None,
    bmc_hosts: Mapping[str, HostEntry] | None = None,
    extra: Iterable[ToolExecutor] = (),
    simulated: SimulatedLab | None = None,
) -> dict[str, ToolExecutor]:
    """The enabled executors by tool name; `extra` adds tools from elsewhere (search_runbooks).

    `simulated` replaces every transport with a simulated executor of the same spec.
    """
    unknown = set(config.enabled) - set(TRANSPORTS)
    if unknown:
        raise ValueError(f"tools.enabled: unknown transport(s) {sorted(unknown)}")
    if simulated is not None:
        tools: dict[str, ToolExecutor] = dict(
            simulated.executors(TRANSPORT_SPECS[name] for name in config.enabled)
        )
    else:
        tools = real_transports(config, ssh_hosts, bmc_hosts)
    for tool in extra:
        if tool.spec.name in tools:
            raise ValueError(f"duplicate tool name {tool.spec.name!r}")
        tools[tool.spec.name] = tool
    return tools


def real_transports(
    config: ToolsConfig,
    ssh_hosts: Mapping[str, HostEntry] | None,
    bmc_hosts: Mapping[str, HostEntry] | None,
) -> dict[str, ToolExecutor]:
    cap = config.output_cap_bytes
    builders: dict[str, Callable[[], ToolExecutor]] = {
        "shell": lambda: ShellExecutor(cap_bytes=cap, cwd=config.shell_cwd),
        "ssh": lambda: SshExecutor(
            ssh_hosts or {},
            config.ssh_known_hosts,
            config.ssh_key_file,
            config.ssh_connect_timeout_s,
            cap,
        ),
        "ipmi": lambda: IpmiExecutor(bmc_hosts or {}, config.ipmi_password_env, cap),
        "http": lambda: HttpExecutor(cap_bytes=cap),
    }
    return {name: builders[name]() for name in config.enabled}


def tool_specs(tools: Mapping[str, ToolExecutor]) -> list[ToolSpec]:
    """The specs in a stable order, for the prompt and the policy."""
    return [tools[name].spec for name in sorted(tools)]


def openai_tools(tools: Mapping[str, ToolExecutor]) -> list[dict[str, Any]]:
    """The `tools=[...]` argument of an OpenAI-compatible chat completion."""
    return [spec.to_openai() for spec in tool_specs(tools)]


__all__ = [
    "IPMI_PORT",
    "SSH_PORT",
    "ToolsConfig",
    "build_tools",
    "host_entries",
    "openai_tools",
    "tool_specs",
]
