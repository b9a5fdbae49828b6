"""AST-style call matching (BFCL semantics plus free unlisted arguments and regex values)."""

from __future__ import annotations

import pytest

from halops.contract.toolcall import ToolCall
from halops.eval.matching import (
    ExpectedCall,
    match_call,
    match_calls,
    standardize,
    value_matches,
)


def expected(tool: str, **arguments: object) -> ExpectedCall:
    return ExpectedCall.from_mapping({"tool": tool, "arguments": arguments})


def test_standardize_ignores_case_spaces_and_bfcl_punctuation() -> None:
    assert standardize("PVE01") == standardize("pve01")
    assert standardize("zpool  status -x") == standardize("zpool status x")
    assert standardize("it's") == 'it"s'


@pytest.mark.parametrize(
    ("value", "acceptable", "ok"),
    [
        ("bmc-pve02", ["bmc-pve01", "BMC-PVE02"], True),
        ("bmc-pve03", ["bmc-pve01", "bmc-pve02"], False),
        ("zpool status -v tank", [{"regex": r"^zpool\s+status\b"}], True),
        ("zfs list", [{"regex": r"^zpool"}], False),
        (True, [True], True),
        (True, [1], False),  # BFCL compares types exactly: a bool is not the integer 1
        ("x", [""], False),  # "" only marks the argument optional; it matches no value
    ],
)
def test_value_matches_any_acceptable_value(value: object, acceptable: list, ok: bool) -> None:
    assert value_matches(value, acceptable) is ok


def test_exact_match_and_unlisted_arguments_are_free() -> None:
    call = ToolCall("ipmi", {"host": "bmc-pve02", "action": "bootdev_set", "bootdev": "pxe"})
    # bootdev is not listed by the case: free (BFCL would reject it).
    assert match_call(call, expected("ipmi", host="bmc-pve02", action="bootdev_set")).ok


def test_wrong_function_name() -> None:
    result = match_call(ToolCall("shell", {"command": "uptime"}), expected("ssh", host="pve01"))
    assert (result.ok, result.error_type) == (False, "wrong_func_name")


def test_missing_required_argument_of_the_tool() -> None:
    result = match_call(ToolCall("ssh", {"command": "uptime"}), expected("ssh"))
    assert (result.error_type, result.reason) == (
        "missing_required",
        "required argument 'host' missing",
    )


def test_argument_the_tool_does_not_declare_is_rejected() -> None:
    call = ToolCall("ssh", {"host": "pve01", "command": "uptime", "sudo": True})
    result = match_call(call, expected("ssh", host="pve01"))
    assert (result.error_type, result.reason) == (
        "unexpected_param",
        "the tool has no argument 'sudo'",
    )


def test_wrong_type() -> None:
    call = ToolCall("ipmi", {"host": "bmc-pve01", "action": "bootdev_set", "persistent": "yes"})
    assert match_call(call, expected("ipmi")).error_type == "type_error"


def test_wrong_value_names_the_argument() -> None:
    result = match_call(
        ToolCall("ssh", {"host": "pve02", "command": "uptime"}), expected("ssh", host="pve01")
    )
    assert result.error_type == "value_error"
    assert result.reason == "host='pve02' is not one of ['pve01']"


def test_optional_marker_allows_omission_and_defaults_fill_in() -> None:
    call = ToolCall("http", {"url": "http://mon01:9093/api/v2/alerts"})
    assert match_call(call, expected("http", url=call.arguments["url"], body=["", "x"])).ok
    # The spec's default method is GET, so "GET" matches a call that leaves it out.
    assert match_call(call, expected("http", method="GET")).ok
    assert not match_call(call, expected("http", body="x")).ok


def test_match_calls_is_one_to_one_in_any_order_and_reports_extras() -> None:
    proposed = [
        ToolCall("ssh", {"host": "nas01", "command": "smartctl -H /dev/sdc"}),
        ToolCall("ssh", {"host": "nas01", "command": "zpool status tank"}),
        ToolCall("ssh", {"host": "nas01", "command": "zpool status tank"}),
    ]
    want = [
        expected("ssh", host="nas01", command={"regex": "^zpool status"}),
        expected("ssh", host="nas01", command={"regex": "^smartctl"}),
    ]
    result = match_calls(proposed, want)
    assert result.matched == [(0, 1), (1, 0)]
    assert (result.missing, result.extra, result.all_matched) == ([], [2], True)


def test_one_proposal_cannot_satisfy_two_expected_calls() -> None:
    proposed = [ToolCall("ssh", {"host": "pve01", "command": "pvecm status"})]
    want = [
        expected("ssh", command={"regex": "pvecm"}),
        expected("ssh", command={"regex": "pvecm"}),
    ]
    result = match_calls(proposed, want)
    assert result.missing == [(1, "no ssh call proposed")]


def test_missing_reason_prefers_a_call_to_the_right_tool() -> None:
    proposed = [
        ToolCall("http", {"url": "http://mon01:9090/"}),
        ToolCall("ssh", {"host": "pve02", "command": "uptime"}),
    ]
    result = match_calls(proposed, [expected("ssh", host="pve01")])
    assert result.missing == [(0, "ssh: host='pve02' is not one of ['pve01']")]
