"""Every host a command reaches must be an inventory host, whatever the tool.

A "read-only" `ping`, DNS query or traceroute to an outside host is a way out of the lab (data
in DNS labels, in ping payloads), and with a credential read before it a complete exfiltration
path: out-of-inventory hosts are blocked. Hosts come typed from the read-only allow-list, and
from each network tool's own syntax for the others (`scp f host:`, `rsync host::mod`,
`nc host port`, `curl URL`, `systemctl -H host`, `docker -H tcp://host`, `virsh -c
qemu+ssh://host/system`). Tools with a transport (ssh, http, ipmi) need the host to allow it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

from bot.safety.analyzers.base import Context, operands
from bot.safety.http import check_request, parse_url
from bot.safety.options import OptionTable, scan_options
from bot.safety.programs import Accepted
from bot.safety.programs.network import curl_method, dig_hosts, host_hosts, nslookup_hosts
from bot.safety.shell.command import SimpleCommand
from bot.safety.shell.inline import ssh_config_options, ssh_destination
from bot.safety.verdict import Decision, RuleFinding

BLOCK = Decision.BLOCK
# Which transport a tool's host must allow (others only need to be inventory hosts).
TRANSPORT_OF = {
    "ssh": "ssh", "scp": "ssh", "sftp": "ssh", "rsync": "ssh", "ssh-copy-id": "ssh",
    "systemctl": "ssh", "journalctl": "ssh", "hostnamectl": "ssh", "timedatectl": "ssh",
    "localectl": "ssh", "loginctl": "ssh", "systemd-run": "ssh", "ipmitool": "ipmi",
    "docker": "ssh", "podman": "ssh", "virsh": "ssh", "machinectl": "ssh",
}  # fmt: skip
_REMOTE_OPTION = re.compile(r"^(-H|--h|--ho|--hos|--host)(=|$)")
LOOPBACK = frozenset({"localhost", "127.0.0.1", "127.0.0.53", "::1", "ip6-localhost"})
_SOCKET_TOOLS = frozenset({"nc", "ncat", "netcat", "telnet", "socat", "openssl"})


def check_hosts(command: SimpleCommand, context: Context) -> list[RuleFinding]:
    if not command.fields:
        return []
    findings: list[RuleFinding] = []
    seen: set[tuple[str, str]] = set()
    for kind, word in _network_words(command, context):
        if (kind, word) in seen:
            continue
        seen.add((kind, word))
        if kind == "url":
            findings += _check_url(command, context, word)
        else:
            findings += _check_host(command, context, word)
        if any(f.decision == BLOCK for f in findings):
            return findings
    return findings


def _check_url(command: SimpleCommand, context: Context, url: str) -> list[RuleFinding]:
    method = "GET"
    accepted = context.accepted(command)
    if command.name == "curl":
        from bot.safety.programs.network import CURL

        try:
            scanned = scan_options(command.args, CURL.options)
            method = curl_method(scanned)
        except ValueError:
            method = "GET"
    request = parse_url(url if "://" in url else f"http://{url}", method)
    if request is not None and request.hostname in LOOPBACK and command.remote_host:
        request = replace(request, hostname=command.remote_host)
    if request is None:
        reason = f"{command.name} fetches {url!r}, which is not an http(s) URL"
        return [RuleFinding("net.url_not_http", BLOCK, reason, command.text())]
    findings = check_request(request, context.inventory, command.text(), via=command.name)
    if not isinstance(accepted, Accepted):
        # The command is not read-only anyway; only the host and transport rules matter.
        return [f for f in findings if f.decision == BLOCK]
    return findings


def _check_host(command: SimpleCommand, context: Context, word: str) -> list[RuleFinding]:
    host = normalise_host(word)
    transport = TRANSPORT_OF.get(command.name)
    if host in LOOPBACK and command.remote_host:
        host = command.remote_host  # `ssh mon01 'curl localhost:9090'` is mon01 itself
    if not host or (host in LOOPBACK and transport is None):
        return []  # the machine itself (e.g. the local DNS stub `dig @127.0.0.53`)
    subject = command.text()
    if context.inventory is None:
        reason = f"no inventory loaded, so {command.name}'s host {host!r} cannot be checked"
        return [RuleFinding("host.no_inventory", BLOCK, reason, subject)]
    entry = context.inventory.lookup(host)
    if entry is None:
        reason = f"{command.name} reaches {host!r}, which is not an inventory host"
        return [RuleFinding("net.host_not_in_inventory", BLOCK, reason, subject)]
    if transport and not entry.allows(transport):
        reason = (
            f"{command.name} needs {transport} to {entry.name} (allows: {sorted(entry.transports)})"
        )
        return [RuleFinding("host.transport_not_allowed", BLOCK, reason, subject)]
    return []


def normalise_host(word: str) -> str:
    """`user@host:port`, `[v6]:port`, `tcp://host:2375`, `host:/export` → the host."""
    text = word
    if "://" in text:
        text = text.split("://", 1)[1].split("/", 1)[0]
    text = text.rsplit("@", 1)[-1]
    if text.startswith("["):
        return text[1:].split("]", 1)[0]
    if text.count(":") == 1:
        text = text.split(":", 1)[0]
    return text.strip()


def _network_words(command: SimpleCommand, context: Context) -> Iterator[tuple[str, str]]:
    """Typed by the allow-list when the command is read-only; else by each tool's syntax."""
    accepted = context.accepted(command)
    if isinstance(accepted, Accepted):
        for typed in accepted.words:
            if typed.kind in ("host", "url"):
                yield typed.kind, typed.text
        return
    yield from _tool_hosts(command)


def _tool_hosts(command: SimpleCommand) -> Iterator[tuple[str, str]]:
    """Hosts by each tool's own syntax, whether or not the command is read-only."""
    name, args = command.name, command.args
    for i, arg in enumerate(args):
        match = _REMOTE_OPTION.match(arg)
        if match and name in TRANSPORT_OF:
            value = (
                arg.split("=", 1)[1] if "=" in arg else (args[i + 1] if i + 1 < len(args) else "")
            )
            if value:
                yield "host", value
    if name == "ssh":
        host, _, values = ssh_destination(args)
        if host:
            yield "host", host
        for jump in values.get("-J", []):
            yield from (("host", h) for h in jump.split(","))
        for key, value in ssh_config_options(values):
            if key in ("proxyjump", "hostname"):
                yield "host", value
    elif name in ("scp", "rsync", "sftp", "ssh-copy-id"):
        for word in operands(args):
            if re.match(r"^([^/\s]+@)?[^/\s:]+::?", word) or word.startswith("rsync://"):
                yield "host", word.split("::")[0] if "::" in word else word.split(":")[0]
            elif name in ("sftp", "ssh-copy-id"):
                yield "host", word
    elif name in ("curl", "wget"):
        for word in args:
            value = word.split("=", 1)[1] if word.startswith("--url=") else word
            if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", value):
                yield "url", value
        yield from _curl_detours(args)
    elif name in ("ping", "ping6", "traceroute", "traceroute6", "tracepath", "mtr", "arping"):
        # Options with values are not known here (the command is not read-only anyway):
        # every word that is not an option or a number may be the target.
        for word in operands(args):
            if not re.fullmatch(r"[\d.]+[smhd]?", word) or word.count(".") == 3:
                yield "host", word
    elif name == "dig":
        yield from (("host", h) for h in dig_hosts(args)[0])
    elif name == "nslookup":
        yield from (("host", h) for h in nslookup_hosts(args)[0])
    elif name == "host":
        yield from (("host", h) for h in host_hosts(args)[0])
    elif name in _SOCKET_TOOLS:
        yield from _socket_hosts(name, args)
    elif name in ("docker", "podman") and any(a.startswith(("-H", "--host")) for a in args):
        pass  # handled by the -H scan above
    elif name == "virsh":
        for i, arg in enumerate(args):
            uri = (
                arg.split("=", 1)[1]
                if arg.startswith("--connect=")
                else (args[i + 1] if arg in ("-c", "--connect") and i + 1 < len(args) else "")
            )
            match = re.match(r"^\w+(\+\w+)?://([^/]+)/", uri)
            if match and match.group(2):
                yield "host", match.group(2)
    elif name == "mount":
        for word in operands(args):
            if re.match(r"^[^/\s]+:/", word):
                yield "host", word.split(":")[0]
    elif name == "showmount":
        for word in operands(args)[:1]:
            yield "host", word
    elif name == "git":
        for word in args:
            if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", word):
                yield "host", word
            elif re.match(r"^[\w.-]+@[\w.-]+:", word):
                yield "host", word.split(":", 1)[0]


_PROXY_OPTIONS = ("-x", "--proxy", "--preproxy", "--socks4", "--socks4a", "--socks5",
                  "--socks5-hostname", "-e", "--execute")  # fmt: skip


def _curl_detours(args: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    """Hosts a request is sent to instead of (or through) its URL's: proxies, `--connect-to
    H1:P1:H2:P2`, `--resolve H:P:ADDR`."""
    for i, arg in enumerate(args):
        head, eq, value = arg.partition("=")
        if not eq:
            value = args[i + 1] if i + 1 < len(args) else ""
        if head in _PROXY_OPTIONS or (head.startswith("--prox") and len(head) > 5):
            if "proxy=" in value or "proxy =" in value:  # wget -e http_proxy=HOST
                value = value.split("=", 1)[1].strip()
            if value:
                yield "host", value
        elif head.startswith("--connect-t") and value.count(":") >= 3:
            yield "host", value.split(":")[2]
        elif head.startswith("--res") and value.count(":") >= 2:
            yield "host", value.split(":", 2)[2].strip("[]")


def _socket_hosts(name: str, args: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    if name == "openssl":
        for i, arg in enumerate(args):
            if arg in ("-connect", "-host") and i + 1 < len(args):
                yield "host", args[i + 1]
        return
    if name == "socat":
        for word in args:
            match = re.match(
                r"^(tcp|udp|tcp4|tcp6|udp4|udp6|openssl|ssl)[^:]*:([^:,]+)", word, re.I
            )
            if match:
                yield "host", match.group(2)
        return
    table = OptionTable.parse(
        "-4 -6 -l -n -u -v -vv -z -k -N -d -D -C -t -U -w= -q= -p= -s= -i= -x= -X= -e= -c= "
        "-o= -I= -O= -P= -T= -V= -W= -Z= -b= --ssl --sh-exec= --exec= -h"
    )
    try:
        scanned = scan_options(args, table)
    except ValueError:
        words = [a for a in args if not a.startswith("-")]
        if words:
            yield "host", words[0]
        return
    if scanned.has("-l"):
        return
    ops = [t for _, t in scanned.operands]
    if ops:
        yield "host", ops[0]


ANALYZERS = (check_hosts,)
