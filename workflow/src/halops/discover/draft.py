"""Turn what the sessions touched into a draft inventory a person reviews.

One entry per host, in the inventory's own format (bot/safety/inventory.schema.yaml), most used
first, each under a comment with its counts. Transports follow what the sessions did: ssh for
ssh/scp/rsync/sftp, ipmi for `ipmitool -H`, http for URLs; a host only pinged or probed is
listed with no transport (known, never contacted by the agent). Users and ports are the ones
the sessions used; passwords never leave the transcripts (the agent takes BMC passwords from
`secret_env`). Loopback and public names are listed in a comment, not as hosts.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from halops.discover.scan import HostSeen, Scan

SSH_METHODS = {"ssh", "scp", "rsync", "sftp"}
# Top-level names of private networks; anything else with a dot is probably the internet.
PRIVATE_SUFFIXES = {"local", "lan", "internal", "home", "arpa", "corp", "intranet", "test", "lab"}
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}
# Well-known ports -> service name, for http services the inventory names.
SERVICE_NAMES = {
    80: "http",
    443: "https",
    3000: "grafana",
    8006: "proxmox",
    8007: "proxmox-backup",
    9090: "prometheus",
    9093: "alertmanager",
    9100: "node-exporter",
}
IPMI_SECRET_ENV = "HALOPS_IPMI_PASSWORD"
_NAME_CHARS = re.compile(r"[^a-z0-9-]+")


@dataclass
class Entry:
    """One proposed inventory host: the hosts seen for it (name and address) merged."""

    name: str
    address: str
    seen: list[HostSeen]
    known_as: str | None = None  # the existing inventory host it matches
    sessions: set[str] = field(default_factory=set)

    @property
    def methods(self) -> Counter[str]:
        return sum((s.methods for s in self.seen), Counter())

    @property
    def calls(self) -> int:
        return sum(s.calls for s in self.seen)


@dataclass
class Draft:
    entries: list[Entry]
    outside: list[HostSeen]  # loopback and public names
    untouched: list[str]  # inventory hosts no session touched


def build_draft(
    scan: Scan, inventory: Iterable[Mapping[str, Any]] = (), min_calls: int = 1
) -> Draft:
    inventory = list(inventory)
    lab = [h for h in scan.hosts.values() if _is_lab(h.host)]
    outside = sorted(
        (h for h in scan.hosts.values() if not _is_lab(h.host)), key=lambda h: (-h.calls, h.host)
    )
    entries = [e for e in _merge(lab, scan, inventory) if e.calls >= min_calls]
    entries.sort(key=lambda e: (-e.calls, e.name))
    _unique_names(entries)
    matched = {e.known_as for e in entries}
    untouched = [str(h["name"]) for h in inventory if str(h["name"]) not in matched]
    return Draft(entries, outside, untouched)


def _merge(hosts: list[HostSeen], scan: Scan, inventory: list[Mapping[str, Any]]) -> list[Entry]:
    """One entry per machine: a name, the address a tool resolved it to, and the existing
    inventory host either of them matches, all join the same entry."""
    known: dict[str, str] = {}  # every name and address of the inventory -> host name
    addresses: dict[str, str] = {}  # inventory host name -> its address
    for host in inventory:
        name = str(host["name"])
        addresses[name] = str(host.get("address") or name)
        known[name.lower()] = known[addresses[name].lower()] = name
    resolved = {n: counts.most_common(1)[0][0] for n, counts in scan.resolved.items() if counts}
    entries: dict[str, Entry] = {}
    joins: dict[str, str] = {}  # an address a touched name resolved to -> that name's entry
    for seen in sorted(hosts, key=lambda h: (_is_address(h.host), h.host)):  # names first
        host = seen.host
        address = resolved.get(host)
        known_as = known.get(host) or (address and known.get(address))
        if not known_as and not _is_address(host):
            known_as = known.get(host.split(".")[0])
        key = known_as or joins.get(host) or host
        if key in entries:
            entries[key].seen.append(seen)
            continue
        best = addresses[known_as] if known_as else (address or host)
        entries[key] = Entry(_inventory_name(host, known_as), best, [seen], known_as)
        if address:
            joins[address] = key
    for entry in entries.values():
        entry.sessions = set().union(*(s.sessions for s in entry.seen))
    return list(entries.values())


def _inventory_name(host: str, known_as: str | None) -> str:
    """A name the inventory accepts (^[a-z0-9][a-z0-9-]{0,62}$)."""
    if known_as:
        return known_as
    base = ("host-" + host) if _is_address(host) else host.split(".")[0]
    return (_NAME_CHARS.sub("-", base.lower()).strip("-") or "host")[:63]


def _unique_names(entries: list[Entry]) -> None:
    taken: Counter[str] = Counter()
    for entry in entries:
        taken[entry.name] += 1
        if taken[entry.name] > 1:
            entry.name = f"{entry.name[:59]}-{taken[entry.name]}"


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _is_lab(host: str) -> bool:
    """Private addresses and private-looking names; not loopback, not public names."""
    if host in LOOPBACK_NAMES:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "." not in host or host.rsplit(".", 1)[-1] in PRIVATE_SUFFIXES
    return address.is_private and not address.is_loopback


# --- rendering -----------------------------------------------------------------------------


def render(draft: Draft, scan: Scan, source: str, inventory_path: str | None) -> str:
    """The draft as YAML with review comments; parses as an inventory file."""
    lines = [
        f"# Draft inventory proposed by `halops discover` from {scan.sessions} sessions in",
        f"# {source} ({scan.tool_calls} tool calls). Nothing here is applied: review every",
        "# entry (drop what is not yours, give it roles and a description), then merge what you",
        "# keep into config/inventory.yaml, which the agent's allowlist and the qualifier's",
        "# relevance both read. Counts: tool calls that reached the host / sessions.",
    ]
    if inventory_path:
        lines.append(f"# Compared with {inventory_path}.")
    lines.append("hosts:" if draft.entries else "hosts: []")
    for entry in draft.entries:
        lines.append(f"  # {_summary(entry)}")
        block = yaml.safe_dump([host_entry(entry)], sort_keys=False, default_flow_style=None)
        lines.extend("  " + line for line in block.rstrip("\n").splitlines())
    if draft.outside:
        seen = ", ".join(f"{h.host} ({_plural(h.calls, 'call')})" for h in draft.outside)
        lines.append(f"# Also touched, but not lab hosts (loopback or public names): {seen}")
    if draft.untouched:
        lines.append(f"# In the inventory, touched by no session: {', '.join(draft.untouched)}")
    return "\n".join(lines) + "\n"


def host_entry(entry: Entry) -> dict[str, Any]:
    """The inventory mapping of one entry (inventory.schema.yaml)."""
    methods = entry.methods
    transports = []
    if SSH_METHODS & set(methods):
        transports.append("ssh")
    if "ipmi" in methods:
        transports.append("ipmi")
    if "http" in methods:
        transports.append("http")
    host: dict[str, Any] = {
        "name": entry.name,
        "address": entry.address,
        "roles": ["bmc"] if transports == ["ipmi"] else [],
        "transports": transports,
    }
    users = sum((s.users for s in entry.seen), Counter())
    if "ssh" in transports:
        ports = sum((s.ssh_ports for s in entry.seen), Counter())
        host["ssh"] = {"user": _top(users) or "root", "port": _top(ports) or 22}
    if "ipmi" in transports:
        host["ipmi"] = {"user": _top(users) or "admin", "port": 623, "secret_env": IPMI_SECRET_ENV}
    if "http" in transports:
        http = sum((s.http for s in entry.seen), Counter())
        host["http"] = {
            "services": [
                {"name": SERVICE_NAMES.get(port, f"port-{port}"), "port": port, "scheme": scheme}
                for scheme, port in sorted(http, key=lambda sp: (sp[1], sp[0]))
            ]
        }
    return host


def _summary(entry: Entry) -> str:
    methods = ", ".join(f"{m} {n}" for m, n in sorted(entry.methods.items(), key=lambda x: -x[1]))
    names = sorted({s.host for s in entry.seen} - {entry.name, entry.address})
    text = (
        f"{entry.name}: {_plural(entry.calls, 'call')} in {_plural(len(entry.sessions), 'session')}"
        f" ({methods})"
    )
    if names:
        text += f"; also seen as {', '.join(names)}"
    return text + (f"; already in the inventory as {entry.known_as}" if entry.known_as else "; new")


def _top(counts: Counter[Any]) -> Any:
    return counts.most_common(1)[0][0] if counts else None


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
