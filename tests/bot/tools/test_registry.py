"""Building the tool set from configuration."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.tools.base import ToolResult, ToolSpec
from bot.tools.registry import (
    ToolsConfig,
    build_tools,
    host_entries,
    openai_tools,
    tool_specs,
)


class RunbookSearch:
    """Stands in for the retrieval tool that another module provides."""

    spec = ToolSpec(
        "search_runbooks",
        "Search the runbooks.",
        {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]},
        "local",
        read_only=True,
    )

    def execute(self, args: dict[str, Any], timeout_s: float) -> ToolResult:
        return ToolResult(True, "nothing found", 0)


def test_default_config_builds_every_transport() -> None:
    tools = build_tools(ToolsConfig())
    assert sorted(tools) == ["http", "ipmi", "shell", "ssh"]
    assert [spec.name for spec in tool_specs(tools)] == ["http", "ipmi", "shell", "ssh"]


def test_enabled_subset_and_extra_tools() -> None:
    tools = build_tools(ToolsConfig(enabled=("shell",)), extra=[RunbookSearch()])
    assert sorted(tools) == ["search_runbooks", "shell"]
    assert tools["search_runbooks"].execute({"query": "zfs"}, 1).output == "nothing found"


def test_openai_tools_format() -> None:
    rendered = openai_tools(build_tools(ToolsConfig(enabled=("ssh", "ipmi"))))
    assert [tool["function"]["name"] for tool in rendered] == ["ipmi", "ssh"]
    assert all(tool["type"] == "function" for tool in rendered)
    assert rendered[1]["function"]["parameters"]["required"] == ["host", "command"]


def test_unknown_transport_and_duplicate_names_are_errors() -> None:
    with pytest.raises(ValueError, match="telnet"):
        build_tools(ToolsConfig(enabled=("shell", "telnet")))
    with pytest.raises(ValueError, match="duplicate"):
        build_tools(ToolsConfig(enabled=()), extra=[RunbookSearch(), RunbookSearch()])


def test_config_from_mapping() -> None:
    config = ToolsConfig.from_mapping(
        {
            "output_cap_bytes": 1000,
            "enabled": ["shell", "ssh"],
            "ssh": {"known_hosts": "/etc/halops/known_hosts", "connect_timeout_s": 3},
            "ipmi": {"password_env": "BMC_PW"},
            "shell": {"cwd": "/tmp"},
        }
    )
    assert config.output_cap_bytes == 1000 and config.enabled == ("shell", "ssh")
    assert config.ssh_known_hosts == Path("/etc/halops/known_hosts")
    assert config.ssh_connect_timeout_s == 3.0 and config.ipmi_password_env == "BMC_PW"
    assert config.shell_cwd == Path("/tmp")
    assert ToolsConfig.from_mapping({}) == ToolsConfig(
        ssh_known_hosts=ToolsConfig().ssh_known_hosts.expanduser(),
        ssh_key_file=ToolsConfig().ssh_key_file.expanduser(),
    )


def test_config_reaches_the_executors() -> None:
    hosts = host_entries({"pve01": {"address": "10.0.0.11", "user": "ops"}}, 22)
    tools = build_tools(ToolsConfig(output_cap_bytes=123), ssh_hosts=hosts)
    assert tools["ssh"].hosts["pve01"].address == "10.0.0.11"  # type: ignore[attr-defined]
    assert tools["shell"].cap_bytes == 123  # type: ignore[attr-defined]


def test_host_entries_from_plain_mappings() -> None:
    entries = host_entries(
        {
            "bmc-pve01": {"address": "10.0.1.11", "user": "admin", "secret_env": "PVE01_BMC"},
            "bmc-pve02": {"address": "10.0.1.12", "port": 6230},
        },
        623,
    )
    assert entries["bmc-pve01"].port == 623 and entries["bmc-pve01"].secret_env == "PVE01_BMC"
    assert (entries["bmc-pve02"].port, entries["bmc-pve02"].user) == (6230, "root")
