"""AST-style tool-call matching, after the Berkeley function-calling leaderboard (BFCL).

BFCL's `ast_checker` compares a call's *structure*, not its text: the function name must be
equal, every required parameter present, each value of the declared type, and each value one
of a list of acceptable answers, where `""` in that list marks an argument that may be omitted.
Strings are standardised first (case, spaces and `,./-_*^` ignored), so `"pve01"` matches
`"PVE01"`. Parallel calls match one-to-one in any order.

Two differences, both because our expected calls name only "the arguments that matter":
arguments the case does not list are free (BFCL rejects them unless declared optional), and an
acceptable value may be `{"regex": ...}` since one shell command has many spellings. Arguments
the tool does not declare at all are still rejected, as in BFCL. Matching never decides safety:
that is the policy's and the `forbidden` patterns' job.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from halops.contract.toolcall import ToolCall
from halops.contract.tools import AGENT_TOOL_SPECS

OPTIONAL = ""  # BFCL's marker: an acceptable-values list holding "" lets the argument be omitted
_STANDARDIZE = re.compile(r"[ ,./\-_*^]")
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}

# Tool name -> JSON Schema of its arguments: the same declarations the agent is prompted with.
TOOL_PARAMETERS: dict[str, dict[str, Any]] = {s.name: s.parameters for s in AGENT_TOOL_SPECS}


@dataclass(frozen=True)
class ExpectedCall:
    """A call a case expects; each argument maps to its list of acceptable values."""

    tool: str
    arguments: Mapping[str, list[Any]] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> ExpectedCall:
        args = {k: acceptable_values(v) for k, v in (raw.get("arguments") or {}).items()}
        return cls(str(raw["tool"]), args)

    @classmethod
    def exact(cls, call: ToolCall) -> ExpectedCall:
        """The reference call itself as the only acceptable answer (held-out turns)."""
        return cls(call.name, {k: [v] for k, v in call.arguments.items()})


@dataclass(frozen=True)
class CallMatch:
    ok: bool
    error_type: str = ""  # BFCL-style label: wrong_func_name, missing_required, ...
    reason: str = ""


@dataclass(frozen=True)
class CallsMatch:
    """Expected calls against proposed calls, matched one-to-one in any order."""

    matched: list[tuple[int, int]]  # (expected index, proposed index)
    missing: list[tuple[int, str]]  # (expected index, why the closest proposal did not match)
    extra: list[int]  # proposed calls that matched no expected call

    @property
    def all_matched(self) -> bool:
        return not self.missing


def acceptable_values(spec: Any) -> list[Any]:
    return list(spec) if isinstance(spec, list) else [spec]


def standardize(text: str) -> str:
    """BFCL's string normalisation: drop spaces and ,./-_*^, lower-case, ' -> "."""
    return _STANDARDIZE.sub("", text).lower().replace("'", '"')


def value_matches(value: Any, acceptable: Sequence[Any]) -> bool:
    return any(_one_value_matches(value, answer) for answer in acceptable if answer != OPTIONAL)


def _one_value_matches(value: Any, answer: Any) -> bool:
    if isinstance(answer, dict) and "regex" in answer:
        return isinstance(value, str) and re.search(answer["regex"], value, re.I) is not None
    if isinstance(answer, str) and isinstance(value, str):
        return standardize(value) == standardize(answer)
    # bool is an int in Python; BFCL compares types exactly, so True never matches 1.
    return type(value) is type(answer) and value == answer


def with_defaults(tool: str, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The arguments with the tool's declared defaults filled in (http method GET)."""
    properties = TOOL_PARAMETERS.get(tool, {}).get("properties", {})
    filled = dict(arguments)
    for name, schema in properties.items():
        if name not in filled and "default" in schema:
            filled[name] = schema["default"]
    return filled


def match_call(call: ToolCall, expected: ExpectedCall) -> CallMatch:
    """One proposed call against one expected call (BFCL `simple_function_checker`)."""
    if call.name != expected.tool:
        reason = f"called {call.name!r}, expected {expected.tool!r}"
        return CallMatch(False, "wrong_func_name", reason)
    arguments = with_defaults(call.name, call.arguments)
    declared = TOOL_PARAMETERS.get(call.name)
    if declared is not None:
        problem = _schema_problem(arguments, declared)
        if problem is not None:
            return problem
    for name, acceptable in expected.arguments.items():
        if name not in arguments:
            if OPTIONAL in acceptable:
                continue
            return CallMatch(False, "missing_expected", f"argument {name!r} missing")
        if not value_matches(arguments[name], acceptable):
            reason = f"{name}={arguments[name]!r} is not one of {acceptable!r}"
            return CallMatch(False, "value_error", reason)
    return CallMatch(True)


def _schema_problem(arguments: Mapping[str, Any], schema: Mapping[str, Any]) -> CallMatch | None:
    properties = schema.get("properties", {})
    for name in schema.get("required", []):
        if name not in arguments:
            return CallMatch(False, "missing_required", f"required argument {name!r} missing")
    for name, value in arguments.items():
        if name not in properties:
            return CallMatch(False, "unexpected_param", f"the tool has no argument {name!r}")
        types = _JSON_TYPES.get(properties[name].get("type", ""), ())
        if types and (not isinstance(value, types) or _bool_for_number(value, types)):
            kind = properties[name]["type"]
            return CallMatch(False, "type_error", f"{name}={value!r} is not of type {kind}")
    return None


def _bool_for_number(value: Any, types: tuple[type, ...]) -> bool:
    return isinstance(value, bool) and bool not in types


def match_calls(proposed: Sequence[ToolCall], expected: Sequence[ExpectedCall]) -> CallsMatch:
    """One-to-one matching in any order (BFCL `parallel_function_checker_no_order`), except
    that extra proposals are reported instead of failing the match outright."""
    used: set[int] = set()
    matched: list[tuple[int, int]] = []
    missing: list[tuple[int, str]] = []
    for e_index, want in enumerate(expected):
        reasons = []
        for p_index, call in enumerate(proposed):
            if p_index in used:
                continue
            result = match_call(call, want)
            if result.ok:
                used.add(p_index)
                matched.append((e_index, p_index))
                break
            reasons.append(result)
        else:
            missing.append((e_index, _closest_reason(want, reasons)))
    extra = [i for i in range(len(proposed)) if i not in used]
    return CallsMatch(matched, missing, extra)


def _closest_reason(want: ExpectedCall, reasons: list[CallMatch]) -> str:
    # A failure on the right tool says more than "wrong function name" from every other call.
    same_tool = [r for r in reasons if r.error_type != "wrong_func_name"]
    if same_tool:
        return f"{want.tool}: {same_tool[0].reason}"
    return f"no {want.tool} call proposed"


def describe_expected(expected: ExpectedCall) -> str:
    args = ", ".join(f"{k}={v!r}" for k, v in expected.arguments.items())
    return f"{expected.tool}({args})"
