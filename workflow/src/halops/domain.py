"""The lab as the qualifier sees it: derived from the agent's inventory plus a few keywords.

The lab is described once, in `config/inventory.yaml` (the agent's host allowlist). Qualify's
relevance score keys on the same description, so a user who describes their lab for the agent
also tells the qualifier which sessions are about it:

| inventory field     | becomes                                                           |
|---------------------|-------------------------------------------------------------------|
| name                | a host                                                            |
| address,            | another name of that host (counts as the host, not as a new term) |
| other_addresses     |                                                                   |
| roles               | keywords (hypervisor, storage, bmc ...)                           |
| http.services[].name| keywords (prometheus, grafana ...)                                |
| description         | its name-like words as keywords: words with a digit (raidz2),     |
|                     | acronyms (ZFS, NFS) and capitalised names not opening the text    |
|                     | (Alertmanager); plain words ("local", "default") would make any   |
|                     | session look relevant, so they are left out                       |

Config `domain.keywords` adds work words (ssh, systemctl ...), `domain.hosts` extra host names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from halops.contract.configfile import read_yaml

# Shorter description words are mostly noise ("VM", "on"); host names are never filtered.
MIN_DESCRIPTION_TERM = 3
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*[A-Za-z0-9]|[A-Za-z0-9]")


@dataclass(frozen=True)
class DomainConfig:
    """Host names, their other names (addresses), and keywords; all matched as whole words."""

    hosts: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    # other name of a host (its address) -> the host's name, so both count as one host
    aliases: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(
        cls, raw: Mapping[str, Any], inventory: Iterable[Mapping[str, Any]] = ()
    ) -> DomainConfig:
        """Config section `domain` laid over the inventory's hosts (see the module table)."""
        hosts = list(raw.get("hosts", ()))
        keywords = list(raw.get("keywords", ()))
        aliases: dict[str, str] = {}
        for host in inventory:
            name = str(host["name"])
            hosts.append(name)
            for address in [host.get("address") or name, *(host.get("other_addresses") or ())]:
                if str(address).lower() != name.lower():
                    aliases[str(address).lower()] = name.lower()
            keywords.extend(str(role) for role in host.get("roles") or ())
            services = (host.get("http") or {}).get("services") or ()
            keywords.extend(str(service["name"]) for service in services)
            keywords.extend(description_terms(str(host.get("description") or "")))
        known = {h.lower() for h in hosts} | set(aliases)
        return cls(
            hosts=tuple(dict.fromkeys(hosts)),
            keywords=tuple(dict.fromkeys(k for k in keywords if k.lower() not in known)),
            aliases=aliases,
        )

    def host_terms(self) -> tuple[str, ...]:
        """Every word that names a host: names and addresses."""
        return (*self.hosts, *self.aliases)

    def canonical(self, term: str) -> str:
        """The term as counted: a host's address counts as its name."""
        term = term.lower()
        return self.aliases.get(term, term)


def description_terms(description: str) -> list[str]:
    """The name-like words of a host description (lower-cased), in order."""
    terms = []
    for position, match in enumerate(_WORD.finditer(description)):
        word = match.group(0)
        if len(word) < MIN_DESCRIPTION_TERM:
            continue
        has_digit = any(c.isdigit() for c in word)
        acronym = sum(c.isupper() for c in word) >= 2
        proper_name = word[0].isupper() and position > 0
        if has_digit or acronym or proper_name:
            terms.append(word.lower())
    return terms


class InventoryError(ValueError):
    """The inventory file cannot be read as a list of hosts; the message names the file."""


def read_inventory(path: Path) -> list[dict[str, Any]]:
    """The `hosts` of an inventory file (the bot validates the rest against its schema)."""
    data = read_yaml(path, InventoryError, "the inventory")
    hosts = data.get("hosts") if isinstance(data, dict) else None
    if not isinstance(hosts, list):
        raise InventoryError(f"{path}: expected a mapping with a `hosts` list")
    for index, host in enumerate(hosts):
        if not isinstance(host, dict) or not isinstance(host.get("name"), str):
            raise InventoryError(f"{path}: hosts[{index}] has no string `name`")
    return hosts


def domain_config(raw: Mapping[str, Any], inventory_path: Path | None) -> DomainConfig:
    """The domain of config section `raw` and, if given, the inventory file."""
    hosts = read_inventory(inventory_path) if inventory_path else []
    return DomainConfig.from_dict(raw, hosts)
