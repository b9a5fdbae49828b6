"""Hosts and HTTP (issue 10, classes 6 and 7): every host operand of every network tool is an
inventory host; GET is read-only only on endpoints known to be, per service kind."""

from __future__ import annotations

import pytest

from bot.safety import CommandPolicy
from bot.safety.http import READ_ONLY_PATHS, normalise_path

TOOLS = [
    "ping -c 1 {h}", "ping6 -c 1 {h}", "traceroute {h}", "tracepath {h}", "mtr -rwc 3 {h}",
    "dig @{h} pve01", "dig {h}", "dig -x {h}", "nslookup {h}", "nslookup pve01 {h}", "host {h}",
    "host pve01 {h}", "resolvectl query {h}", "nc -zv {h} 22", "showmount -e {h}",
    "arp -a {h}", "ntpq -p {h}", "openssl s_client -connect {h}:443",
]  # fmt: skip
SSH_TOOLS = [
    "ssh {h} uptime", "ssh -p 22 root@{h} uptime", "ssh -J {h} pve01 uptime",
    "ssh -o ProxyJump={h} pve01 uptime", "systemctl -H {h} status", "systemctl --host={h} status",
    "timedatectl -H {h}", "hostnamectl -H {h} status", "scp /tmp/x {h}:/tmp/",
    "rsync -a /tmp/x {h}:/tmp/", "docker -H ssh://{h} ps",
]  # fmt: skip
# 10.20.30.99: in the storage VLAN, where only the listed hosts' other_addresses are known.
OUTSIDE = ["evil.example", "8.8.8.8", "10.20.0.110", "pve01.evil.example", "PVE01", "10.20.30.99"]


@pytest.mark.parametrize("tool", TOOLS + SSH_TOOLS)
@pytest.mark.parametrize("host", OUTSIDE)
def test_a_host_outside_the_inventory_is_blocked(
    policy: CommandPolicy, tool: str, host: str
) -> None:
    verdict = policy.evaluate(tool.format(h=host))
    assert verdict.decision == "block", (tool, verdict.rule_id, verdict.reason)


@pytest.mark.parametrize("tool", TOOLS)
@pytest.mark.parametrize(
    "host", ["pve01", "10.20.0.12", "nas01", "mon01", "fw01", "10.20.30.20", "10.20.30.13"]
)
def test_an_inventory_host_may_be_probed(policy: CommandPolicy, tool: str, host: str) -> None:
    command = tool.format(h=host)
    verdict = policy.evaluate(command)
    assert verdict.decision == "allow", (command, verdict.rule_id, verdict.reason)


@pytest.mark.parametrize("tool", SSH_TOOLS)
@pytest.mark.parametrize("host", ["fw01", "bmc-pve01"])
def test_a_tool_needs_its_transport_on_the_host(
    policy: CommandPolicy, tool: str, host: str
) -> None:
    verdict = policy.evaluate(tool.format(h=host))
    assert (verdict.decision, verdict.rule_id) == ("block", "host.transport_not_allowed"), tool


@pytest.mark.parametrize(
    "command",
    ["ipmitool -I lanplus -H evil.example -U a -E sensor", "ipmitool -H pve01 sensor",
     "curl http://evil.example/", "wget -qO- http://fw01:9100/metrics", "curl file:///etc/shadow",
     "curl gopher://mon01:9090/", "virsh -c qemu+ssh://evil.example/system list",
     "kubectl -s https://evil.example get pods", "ping -p deadbeef pve01"],
)  # fmt: skip
def test_other_ways_out(policy: CommandPolicy, command: str) -> None:
    assert policy.evaluate(command).decision != "allow", command


def test_loopback_inside_ssh_is_the_remote_host(policy: CommandPolicy) -> None:
    verdict = policy.evaluate("curl -s http://localhost:9090/-/healthy", "ssh", "mon01")
    assert verdict.decision == "allow", verdict.reason
    assert policy.evaluate("curl -s http://localhost:9090/-/healthy").decision == "block"


ENDPOINTS = [(kind, path) for kind, paths in READ_ONLY_PATHS.items() for path in paths]
PORTS = {"prometheus": 9090, "alertmanager": 9093, "grafana": 3000, "node-exporter": 9100}
HOSTS = {"proxmox": ("pve01", 8006)}


@pytest.mark.parametrize(("kind", "path"), ENDPOINTS)
def test_every_known_read_only_endpoint_is_allowed(
    policy: CommandPolicy, kind: str, path: str
) -> None:
    host, port = HOSTS.get(kind, ("mon01", PORTS.get(kind, 0)))
    url = f"http://{host}:{port}{path.replace('**', 'x/y').replace('*', 'x')}"
    for request, transport in ((f"GET {url}", "http"), (f"curl -s '{url}'", "shell")):
        verdict = policy.evaluate(request, transport)
        assert verdict.decision == "allow", (request, verdict.reason)


@pytest.mark.parametrize(
    "url",
    ["http://mon01:3000/api/snapshots-delete/key", "http://mon01:3000/logout",
     "http://mon01:3000/api/admin/settings", "http://mon01:3000/api/health/../snapshots-delete/k",
     "http://mon01:3000/api/%73napshots-delete/k", "http://mon01:3000//api//snapshots-delete//k",
     "http://mon01:3000/api/health/%2e%2e/snapshots-delete/k", "http://mon01:9090/-/quit",
     "http://mon01:9090/-/reload", "http://mon01:9090/api/v1/admin/tsdb/snapshot",
     "http://mon01:9093/-/reload", "http://pve01:9100/debug/pprof"],
)  # fmt: skip
def test_a_get_that_may_change_state_is_confirmed(policy: CommandPolicy, url: str) -> None:
    for request, transport in ((f"GET {url}", "http"), (f"curl -s '{url}'", "shell"),
                               (f"wget -qO- '{url}'", "shell")):  # fmt: skip
        verdict = policy.evaluate(request, transport)
        assert (verdict.decision, verdict.rule_id) == (
            "confirm",
            "http.endpoint_not_read_only",
        ), request


@pytest.mark.parametrize(
    ("raw", "normal"),
    [("/a/../b", "/b"), ("//a//b/", "/a/b"), ("/a/%2e%2e/b", "/b"), ("/%252e%252e/x", "/x"),
     ("", "/"), ("/a/./b", "/a/b")],
)  # fmt: skip
def test_paths_are_normalised_before_matching(raw: str, normal: str) -> None:
    assert normalise_path(raw) == normal


@pytest.mark.parametrize(
    "command",
    ["curl -X POST http://mon01:9093/api/v2/silences", "curl -d x http://mon01:9093/api/v2/silences",
     "curl -o /tmp/m http://mon01:9090/metrics", "wget http://mon01:9090/metrics",
     "curl -K /tmp/cfg http://mon01:9090/", "curl --resolve mon01:9090:1.2.3.4 http://mon01:9090/"],
)  # fmt: skip
def test_http_clients_that_write_or_send_are_not_read_only(
    policy: CommandPolicy, command: str
) -> None:
    assert policy.evaluate(command).decision != "allow", command
