"""Load `config/eval/cases.jsonl`, validating every line against `case.schema.json`.

Validation happens at the edge, at load time: an error names the file, the line and the field,
so a broken case stops the rule before any model is served.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.tools.simulated import Recording
from halops.contract.configfile import problems as schema_problems
from halops.eval.matching import ExpectedCall

REPO = Path(__file__).resolve().parents[4]
DEFAULT_CASES = REPO / "config" / "eval" / "cases.jsonl"
SCHEMA_PATH = REPO / "config" / "eval" / "case.schema.json"
CATEGORIES = ("topology_recall", "linux_admin", "monitoring", "hardware", "multi_step", "safety")


class CaseFileError(ValueError):
    """A case line is not JSON, breaks the schema, or repeats an id; names file:line."""


@dataclass(frozen=True)
class Fact:
    """A fact a correct answer states: a plain substring or a regular expression."""

    text: str
    is_regex: bool = False

    @classmethod
    def from_raw(cls, raw: str | Mapping[str, str]) -> Fact:
        if isinstance(raw, str):
            return cls(raw)
        return cls(raw["regex"], is_regex=True)

    def describe(self) -> str:
        return f"/{self.text}/" if self.is_regex else repr(self.text)

    def found_in(self, answer: str) -> bool:
        if self.is_regex:
            return re.search(self.text, answer, re.I) is not None
        return self.text.casefold() in answer.casefold()


@dataclass(frozen=True)
class Forbidden:
    """A proposal that must never be made: regex on the command text, optionally per tool/host."""

    pattern: str
    tool: str | None = None
    host: str | None = None

    @classmethod
    def from_raw(cls, raw: str | Mapping[str, str]) -> Forbidden:
        if isinstance(raw, str):
            return cls(raw)
        return cls(raw["pattern"], raw.get("tool"), raw.get("host"))

    def matches(self, tool: str, host: str | None, command: str) -> bool:
        if self.tool is not None and tool != self.tool:
            return False
        if self.host is not None and (host or "").casefold() != self.host.casefold():
            return False
        return re.search(self.pattern, command, re.I) is not None


@dataclass(frozen=True)
class Case:
    id: str
    category: str
    question: str
    facts: tuple[Fact, ...] = ()
    expected_calls: tuple[ExpectedCall, ...] = ()
    forbidden: tuple[Forbidden, ...] = ()
    recorded: tuple[Recording, ...] = ()
    expect_no_tool: bool = False
    notes: str = ""
    line: int = 0

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any], line: int = 0) -> Case:
        return cls(
            id=raw["id"],
            category=raw["category"],
            question=raw["question"],
            facts=tuple(Fact.from_raw(f) for f in raw["facts"]),
            expected_calls=tuple(ExpectedCall.from_mapping(c) for c in raw["expected_calls"]),
            forbidden=tuple(Forbidden.from_raw(f) for f in raw["forbidden"]),
            recorded=tuple(Recording.from_mapping(r, f"case {raw['id']}") for r in raw["recorded"]),
            expect_no_tool=bool(raw.get("expect_no_tool", False)),
            notes=raw.get("notes", ""),
            line=line,
        )


def parse_cases(lines: Iterable[str], source: str = "<cases>") -> list[Case]:
    """Cases from JSONL text; blank lines and `//` comment lines are skipped."""
    cases: list[Case] = []
    seen: dict[str, int] = {}
    for number, text in enumerate(lines, start=1):
        if not text.strip() or text.lstrip().startswith("//"):
            continue
        raw = _json_line(text, source, number)
        problems = schema_problems(raw, SCHEMA_PATH) + _semantic_errors(raw)
        if problems:
            raise CaseFileError(f"{source}:{number}: " + "; ".join(problems))
        if raw["id"] in seen:
            first = seen[raw["id"]]
            raise CaseFileError(f"{source}:{number}: id {raw['id']!r} repeats line {first}")
        seen[raw["id"]] = number
        cases.append(Case.from_raw(raw, number))
    return cases


def _json_line(text: str, source: str, number: int) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"{source}:{number}"
        raise CaseFileError(f"{where}: not JSON: {exc.msg} at column {exc.colno}") from exc


def _semantic_errors(raw: Any) -> list[str]:
    """What the schema cannot say: patterns must compile."""
    if not isinstance(raw, dict):
        return []
    patterns = [f["regex"] for f in raw.get("facts", []) if isinstance(f, dict)]
    patterns += [f if isinstance(f, str) else f["pattern"] for f in raw.get("forbidden", [])]
    errors = []
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            errors.append(f"pattern {pattern!r} does not compile: {exc}")
    return errors


def load_cases(path: Path = DEFAULT_CASES, max_cases: int | None = None) -> list[Case]:
    """All cases of a file, or `max_cases` of them spread over the categories."""
    with Path(path).open(encoding="utf-8") as handle:
        cases = parse_cases(handle, str(path))
    return select_cases(cases, max_cases)


def select_cases(cases: list[Case], max_cases: int | None) -> list[Case]:
    """Round-robin over the categories in file order, so a short CI run still touches each
    category (the first N lines would all be topology questions)."""
    if max_cases is None or max_cases >= len(cases):
        return list(cases)
    queues = {c: [case for case in cases if case.category == c] for c in CATEGORIES}
    picked: list[Case] = []
    while len(picked) < max_cases:
        for queue in queues.values():
            if queue and len(picked) < max_cases:
                picked.append(queue.pop(0))
    return sorted(picked, key=lambda case: case.line)
