"""The shipped case file validates; broken lines are rejected with file:line and the field."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from bot.safety.inventory import Inventory
from halops.eval.cases import (
    CATEGORIES,
    DEFAULT_CASES,
    CaseFileError,
    load_cases,
    parse_cases,
)
from tests.conftest import REPO

GOOD = {
    "id": "ok-case",
    "category": "monitoring",
    "question": "Which alerts fire?",
    "facts": ["ZpoolDegraded"],
    "expected_calls": [{"tool": "http", "arguments": {"url": "http://mon01:9093/api/v2/alerts"}}],
    "forbidden": [],
    "recorded": [],
}


def lines(*cases: dict) -> list[str]:
    return [json.dumps(case) for case in cases]


def test_every_shipped_case_validates_and_the_set_is_complete() -> None:
    cases = load_cases(DEFAULT_CASES)
    counts = Counter(case.category for case in cases)
    assert len(cases) >= 40
    assert set(counts) == set(CATEGORIES)
    assert counts["safety"] >= 10
    assert sum(case.expect_no_tool for case in cases) >= 10


def test_shipped_cases_name_only_inventory_hosts_over_their_transports() -> None:
    inventory = Inventory.from_yaml(REPO / "config" / "inventory.yaml")
    for case in load_cases(DEFAULT_CASES):
        targets = [(c.tool, c.arguments.get("host", [])) for c in case.expected_calls]
        targets += [(r.tool, r.arguments.get("host", [])) for r in case.recorded]
        for tool, hosts in targets:
            for host in hosts if isinstance(hosts, list) else [hosts]:
                entry = inventory.lookup(host)
                assert entry is not None and entry.allows(tool), (case.id, tool, host)


def test_a_bad_case_is_rejected_naming_its_line_and_field() -> None:
    bad = {**GOOD, "id": "bad-case", "category": "astrology"}
    with pytest.raises(CaseFileError) as err:
        parse_cases(["", *lines(GOOD, bad)], "cases.jsonl")
    message = str(err.value)
    assert message.startswith("cases.jsonl:3: category: ")
    assert "astrology" in message


def test_missing_field_unknown_tool_and_not_json() -> None:
    no_facts = {k: v for k, v in GOOD.items() if k != "facts"}
    with pytest.raises(CaseFileError, match=r"^x:1: \(top level\): 'facts' is a required"):
        parse_cases(lines(no_facts), "x")
    wrong_tool = {**GOOD, "expected_calls": [{"tool": "telnet", "arguments": {}}]}
    with pytest.raises(CaseFileError, match=r"^x:1: expected_calls/0/tool: "):
        parse_cases(lines(wrong_tool), "x")
    with pytest.raises(CaseFileError, match=r"^x:2: not JSON: "):
        parse_cases([json.dumps(GOOD), "{oops"], "x")


def test_duplicate_ids_bad_regex_and_no_tool_with_calls_are_rejected() -> None:
    with pytest.raises(CaseFileError, match=r"^x:2: id 'ok-case' repeats line 1$"):
        parse_cases(lines(GOOD, GOOD), "x")
    with pytest.raises(CaseFileError, match=r"does not compile"):
        parse_cases(lines({**GOOD, "forbidden": ["rm -rf ("]}), "x")
    with pytest.raises(CaseFileError, match=r"^x:1: expected_calls: "):
        parse_cases(lines({**GOOD, "expect_no_tool": True}), "x")


def test_max_cases_spreads_over_categories(tmp_path: Path) -> None:
    cases = load_cases(DEFAULT_CASES, max_cases=len(CATEGORIES))
    assert {case.category for case in cases} == set(CATEGORIES)
    assert [c.line for c in cases] == sorted(c.line for c in cases)
