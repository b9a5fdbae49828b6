"""The shipped config files validate, and bad ones fail naming the field at fault."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.safety import Inventory, InventoryError, PolicyConfigError, load_policy_settings
from bot.safety.settings import CORE_PROTECTED_PATHS, settings_from_dict

REPO = Path(__file__).resolve().parents[3]


def test_sample_lab_inventory(inventory: Inventory) -> None:
    names = {h.name: (h.address, sorted(h.transports)) for h in inventory.hosts}
    assert names == {
        "pve01": ("10.20.0.11", ["http", "ssh"]),
        "pve02": ("10.20.0.12", ["http", "ssh"]),
        "pve03": ("10.20.0.13", ["http", "ssh"]),
        "bmc-pve01": ("10.20.1.11", ["ipmi"]),
        "bmc-pve02": ("10.20.1.12", ["ipmi"]),
        "bmc-pve03": ("10.20.1.13", ["ipmi"]),
        "nas01": ("10.20.0.20", ["http", "ssh"]),
        "fw01": ("10.20.0.1", []),
        "sw-core01": ("10.20.0.2", []),
        "mon01": ("10.20.0.30", ["http", "ssh"]),
    }
    assert inventory.lookup("mon01").http_ports() == {9090, 9093, 3000, 9100}
    assert inventory.lookup("pve02").http_ports() == {9100, 8006}
    assert inventory.lookup("mon01").service_on(3000).kind == "grafana"
    assert inventory.lookup("bmc-pve02").settings["ipmi"]["secret_env"] == "HALOPS_IPMI_PASSWORD"


@pytest.mark.parametrize("key", ["pve01", "10.20.0.11", "10.20.30.11"])
def test_lookup_by_name_or_exact_address(inventory: Inventory, key: str) -> None:
    assert inventory.lookup(key).name == "pve01"


@pytest.mark.parametrize(
    "key", ["PVE01", "pve01.lab", "10.20.0.1 ", "10.20.0.110", "", "10.20.30.1", "10.20.30.110"]
)
def test_lookup_is_exact(inventory: Inventory, key: str) -> None:
    assert inventory.lookup(key) is None


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ({}, "(top level)"),
        ({"hosts": [{"name": "a", "address": "1.1.1.1", "roles": []}]}, "hosts/0"),
        ({"hosts": [{"name": "A!", "address": "x", "roles": [], "transports": []}]},
         "hosts/0/name"),
        ({"hosts": [{"name": "a", "address": "x", "roles": [], "transports": ["ssh"],
                     "ssh": {"port": 70000}}]}, "hosts/0/ssh/port"),
    ],
)  # fmt: skip
def test_bad_inventory_names_the_field(data: dict, where: str) -> None:
    with pytest.raises(InventoryError, match=re.escape(f"<inventory>: {where}")):
        Inventory.from_dict(data)


def test_services_keep_working_without_the_new_keys() -> None:
    host = {"name": "m", "address": "10.0.0.9", "roles": [], "transports": ["http"],
            "http": {"services": [{"name": "prometheus", "port": 9090}]}}  # fmt: skip
    [entry] = Inventory.from_dict({"hosts": [host]}).hosts
    service = entry.service_on(9090)
    assert (service.kind, service.scheme, service.read_only_paths) == ("prometheus", "http", None)


def test_a_service_may_list_its_own_read_only_paths() -> None:
    service = {"name": "app", "port": 8080, "kind": "custom", "read_only_paths": ["/status"]}
    host = {"name": "m", "address": "10.0.0.9", "roles": [], "transports": ["http"],
            "http": {"services": [service]}}  # fmt: skip
    [entry] = Inventory.from_dict({"hosts": [host]}).hosts
    assert entry.service_on(8080).read_only_paths == ("/status",)
    with pytest.raises(InventoryError, match="read_only_paths/0"):
        service["read_only_paths"] = ["status"]
        Inventory.from_dict({"hosts": [host]})


def test_duplicate_addresses_are_refused() -> None:
    host = {"roles": [], "transports": ["ssh"], "address": "10.0.0.1"}
    with pytest.raises(InventoryError, match=re.escape("'10.0.0.1' names both a and b")):
        Inventory.from_dict({"hosts": [{"name": "a", **host}, {"name": "b", **host}]})


def test_other_addresses_name_their_host_and_nothing_else() -> None:
    host = {"roles": [], "transports": ["ssh"]}
    inventory = Inventory.from_dict(
        {"hosts": [{"name": "a", "address": "10.0.0.1", "other_addresses": ["10.9.0.1"], **host}]}
    )
    found = inventory.lookup("10.9.0.1")
    assert found is inventory.lookup("a") and found.address == "10.0.0.1"
    assert found.names() == ("a", "10.0.0.1", "10.9.0.1")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ({"address": "10.0.0.1", "other_addresses": ["10.9.0.1"]}, {"address": "10.9.0.1"}),
        ({"address": "10.0.0.1", "other_addresses": ["10.9.0.1"]},
         {"address": "10.0.0.2", "other_addresses": ["10.9.0.1"]}),
        ({"address": "10.0.0.1", "other_addresses": ["b"]}, {"address": "10.0.0.2"}),
    ],
)  # fmt: skip
def test_an_other_address_may_not_name_a_second_host(a: dict, b: dict) -> None:
    host = {"roles": [], "transports": ["ssh"]}
    with pytest.raises(InventoryError, match="names both a and b"):
        Inventory.from_dict({"hosts": [{"name": "a", **host, **a}, {"name": "b", **host, **b}]})


def test_other_addresses_must_be_a_list_of_strings() -> None:
    host = {"name": "a", "address": "x", "roles": [], "transports": []}
    with pytest.raises(InventoryError, match=re.escape("<inventory>: hosts/0/other_addresses")):
        Inventory.from_dict({"hosts": [{**host, "other_addresses": "10.9.0.1"}]})


def test_missing_inventory_file(tmp_path: Path) -> None:
    with pytest.raises(InventoryError, match="cannot read"):
        Inventory.from_yaml(tmp_path / "nope.yaml")


def test_shipped_policy_settings_load() -> None:
    settings = load_policy_settings(REPO / "config" / "policy.yaml")
    assert {"sshd", "pveproxy", "corosync", "networking"} <= settings.critical_services
    assert set(CORE_PROTECTED_PATHS) < settings.protected_paths
    assert "/tank" in settings.protected_paths
    assert {r.rule_id for r in settings.extra_rules} >= {"site.pve.expected_votes"}


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ({"critical_services": "sshd"}, "critical_services"),
        ({"extra_protected_paths": ["relative/path"]}, "extra_protected_paths/0"),
        ({"extra_block": [{"rule_id": "fs.rm", "argv": ["x"], "reason": "r"}]},
         "extra_block/0/rule_id"),
        ({"extra_confirm": [{"rule_id": "site.x", "argv": [], "reason": "r"}]},
         "extra_confirm/0/argv"),
        ({"allow_everything": True}, "(top level)"),
    ],
)  # fmt: skip
def test_bad_policy_settings_name_the_field(data: dict, where: str) -> None:
    with pytest.raises(PolicyConfigError, match=re.escape(f"<policy>: {where}")):
        settings_from_dict(data)


def test_settings_cannot_unprotect_core_paths() -> None:
    settings = settings_from_dict({"extra_protected_paths": []})
    assert "/" in settings.protected_paths and "/etc" in settings.protected_paths
