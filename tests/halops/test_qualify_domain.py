"""The domain qualify scores relevance against comes from the inventory plus keywords."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from halops.domain import (
    DomainConfig,
    InventoryError,
    description_terms,
    domain_config,
    read_inventory,
)
from halops.qualify import QualifyConfig, _term_pattern, domain_terms, score_session
from halops.rows import build_rows
from tests.conftest import REPO

INVENTORY = [
    {
        "name": "pve01",
        "address": "10.20.0.11",
        "roles": ["hypervisor"],
        "description": "Proxmox VE node 1 (local ZFS rpool; VM storage on nas01 over NFS)",
    },
    {
        "name": "nas01",
        "address": "10.20.0.20",
        "other_addresses": ["10.20.30.20"],
        "roles": ["storage"],
        "description": "NAS",
    },
    {
        "name": "mon01",
        "address": "mon01.lab.internal",
        "roles": [],
        "http": {"services": [{"name": "grafana", "port": 3000}]},
        "description": "Prometheus, Alertmanager and Grafana",
    },
]


def test_inventory_fields_become_hosts_aliases_and_keywords() -> None:
    domain = DomainConfig.from_dict({"hosts": ["jump01"], "keywords": ["ssh"]}, INVENTORY)
    assert domain.hosts == ("jump01", "pve01", "nas01", "mon01")
    assert domain.aliases == {
        "10.20.0.11": "pve01",
        "10.20.0.20": "nas01",
        "10.20.30.20": "nas01",
        "mon01.lab.internal": "mon01",
    }
    # roles, service names, name-like description words; host names are hosts, not keywords
    assert domain.keywords == (
        "ssh",
        "hypervisor",
        "zfs",
        "nfs",
        "storage",
        "nas",
        "grafana",
        "alertmanager",
    )


@pytest.mark.parametrize(
    ("description", "terms"),
    [
        ("Proxmox VE node 1 (local ZFS rpool; VM storage)", ["zfs"]),  # first word, 2 letters
        ("NAS with the ZFS pool tank (raidz2, sda-sdf)", ["nas", "zfs", "raidz2"]),
        ("Edge firewall and default gateway", []),  # plain words would match any session
        ("Core switch (VLANs 20 servers, 21 management)", ["vlans"]),
        ("Prometheus, Alertmanager and Grafana", ["alertmanager", "grafana"]),
        ("", []),
    ],
)
def test_description_terms_are_the_name_like_words(description: str, terms: list[str]) -> None:
    assert description_terms(description) == terms


def test_an_address_counts_as_its_host() -> None:
    domain = DomainConfig.from_dict({"keywords": ["zpool"]}, INVENTORY)
    text = "ping 10.20.0.11 then ssh pve01; zpool status on 10.20.0.20; not 10.20.0.110"
    assert domain_terms(text, domain) == {"pve01", "nas01", "zpool"}
    assert domain_terms("ping -c 3 10.20.30.20", domain) == {"nas01"}  # an other address


def test_a_session_about_the_inventory_is_relevant_without_any_keyword() -> None:
    domain = DomainConfig.from_dict({"hosts": [], "keywords": []}, INVENTORY)
    rows = [
        {"kind": "user_prompt", "text": "is grafana on mon01.lab.internal up?"},
        {
            "kind": "assistant",
            "tool_calls": [{"id": "t", "name": "Bash", "input": {"command": "ping 10.20.0.11"}}],
        },
        {"kind": "tool_result", "tool_use_id": "t", "text": "zfs ok"},
        {"kind": "assistant", "text": "Up."},
    ]
    score = score_session(build_rows(rows), QualifyConfig(relevance_cap=4), domain)
    assert score["n_domain_terms"] == 4  # grafana, mon01, pve01 (by address), zfs
    assert score["relevance"] == 1.0


def test_the_shipped_inventory_describes_the_sample_lab() -> None:
    cfg = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    domain = domain_config(cfg["domain"], REPO / cfg["domain"]["inventory"])
    assert {"pve01", "bmc-pve03", "nas01", "mon01", "fw01", "sw-core01"} <= set(domain.hosts)
    assert domain.canonical("10.20.1.13") == "bmc-pve03"
    assert {"ssh", "zpool", "prometheus", "hypervisor"} <= set(domain.keywords)


def test_without_an_inventory_only_the_config_lists_count() -> None:
    domain = domain_config({"hosts": ["a"], "keywords": ["b"]}, None)
    assert (domain.hosts, domain.keywords, dict(domain.aliases)) == (("a",), ("b",), {})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hosts: 3", "expected a mapping with a `hosts` list"),
        ("- a\n- b", "expected a mapping with a `hosts` list"),
        ("hosts:\n  - address: 10.0.0.1", "hosts[0] has no string `name`"),
        ("hosts: [\n", "cannot read the inventory"),
    ],
)
def test_a_bad_inventory_names_the_file(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_text(text)
    with pytest.raises(InventoryError, match=rf"^{path}: .*") as caught:
        read_inventory(path)
    assert message in str(caught.value)


def test_a_missing_inventory_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(InventoryError, match="cannot read the inventory"):
        read_inventory(tmp_path / "nope.yaml")


def _plain_term_pattern(terms: tuple[str, ...]) -> re.Pattern[str]:
    """The term alternation without the first-character lookahead (the reference)."""
    bounded, free = [], []
    for term in sorted(terms, key=len, reverse=True):
        tail = r"(?![\w-])" if re.search(r"[\w-]$", term) else ""
        (bounded if re.match(r"[\w-]", term) else free).append(re.escape(term) + tail)
    parts = [r"(?<![\w-])(?:" + "|".join(bounded) + ")"] if bounded else []
    return re.compile("|".join(parts + free), re.IGNORECASE)


TERM = st.text(alphabet="pvePVE01-._ kKsSiI:,\u0130\u0131\u017f\u212a", min_size=1, max_size=6)
TEXT_PART = st.one_of(TERM, st.sampled_from([" ", "\n", "-", "_", "é", "ssh ", "PVE01"]))


@settings(max_examples=300, deadline=None)
@given(
    terms=st.lists(TERM, min_size=1, max_size=8),
    text=st.lists(TEXT_PART, max_size=30).map("".join),
)
def test_the_term_lookahead_changes_no_match(terms: list[str], text: str) -> None:
    """The compiled pattern's first-character lookahead only skips positions where no term can
    start: the matches equal the plain alternation's, case folding (Kelvin sign, long s,
    dotted and dotless i) included."""
    pattern = _term_pattern(terms)
    assert pattern is not None
    key = tuple(sorted({t.lower() for t in terms if t}))
    assert pattern.findall(text) == _plain_term_pattern(key).findall(text)
