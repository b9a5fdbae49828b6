"""The inventory: which hosts exist and how the agent may reach them.

Loaded from `config/inventory.yaml` and validated against `inventory.schema.yaml` at load time;
a bad file fails with the field at fault. Lookups are exact (name, address or one of the host's
other addresses): the host allowlist must not be fooled by `pve01.evil.example` or `10.20.0.110`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from halops.contract.configfile import read_yaml, validated

SCHEMA_PATH = Path(__file__).with_name("inventory.schema.yaml")


class InventoryError(ValueError):
    """The inventory file is missing, malformed or inconsistent."""


@dataclass(frozen=True)
class Service:
    """One HTTP service of a host: which kind it is decides which GET endpoints only read."""

    name: str
    port: int
    scheme: str = "http"
    kind: str = ""
    read_only_paths: tuple[str, ...] | None = None  # None: the kind's built-in list

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> Service:
        paths = raw.get("read_only_paths")
        return cls(
            name=str(raw["name"]),
            port=int(raw["port"]),
            scheme=str(raw.get("scheme", "http")),
            kind=str(raw.get("kind", raw["name"])),
            read_only_paths=tuple(paths) if paths is not None else None,
        )


@dataclass(frozen=True)
class Host:
    name: str
    address: str
    roles: tuple[str, ...] = ()
    transports: frozenset[str] = frozenset()
    description: str = ""
    settings: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # per transport
    # Addresses on other networks (storage VLAN...): they name this host in commands, but the
    # transports connect to `address` only.
    other_addresses: tuple[str, ...] = ()

    def names(self) -> tuple[str, ...]:
        """Every exact word that identifies this host: name, address, other addresses."""
        return (self.name, self.address, *self.other_addresses)

    def allows(self, transport: str) -> bool:
        return transport in self.transports

    def http_ports(self) -> frozenset[int]:
        return frozenset(s.port for s in self.services())

    def services(self) -> tuple[Service, ...]:
        return tuple(
            Service.from_mapping(s) for s in self.settings.get("http", {}).get("services", [])
        )

    def service_on(self, port: int) -> Service | None:
        return next((s for s in self.services() if s.port == port), None)


@dataclass(frozen=True)
class Inventory:
    hosts: tuple[Host, ...]

    @classmethod
    def from_yaml(cls, path: str | Path) -> Inventory:
        data = read_yaml(path, InventoryError, "inventory")
        return cls.from_dict(data, source=str(path))

    @classmethod
    def from_dict(cls, data: Any, source: str = "<inventory>") -> Inventory:
        data = validated(data, SCHEMA_PATH, source, InventoryError)
        hosts = tuple(_host(entry) for entry in data["hosts"])
        _check_unique(hosts, source)
        return cls(hosts)

    def lookup(self, name_or_address: str) -> Host | None:
        """The host whose name or one of whose addresses is exactly `name_or_address`."""
        for host in self.hosts:
            if name_or_address in host.names():
                return host
        return None


def _host(entry: Mapping[str, Any]) -> Host:
    settings = {t: entry[t] for t in ("ssh", "ipmi", "http") if t in entry}
    return Host(
        name=entry["name"],
        address=entry["address"],
        roles=tuple(entry["roles"]),
        transports=frozenset(entry["transports"]),
        description=entry.get("description", ""),
        settings=settings,
        other_addresses=tuple(entry.get("other_addresses", ())),
    )


def _check_unique(hosts: tuple[Host, ...], source: str) -> None:
    """A name or address must identify one host, or the allowlist lookup is ambiguous."""
    owner: dict[str, str] = {}
    for host in hosts:
        for key in set(host.names()):
            if key in owner:
                raise InventoryError(f"{source}: {key!r} names both {owner[key]} and {host.name}")
            owner[key] = host.name
