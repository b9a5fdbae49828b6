"""Hand-made cases and a scripted model shared by the evaluation tests."""

from __future__ import annotations

from typing import Any

from halops.eval.cases import Case
from tests.fakes import ScriptedModel, call  # noqa: F401  (re-exported for the eval tests)


def make_case(**fields: Any) -> Case:
    raw: dict[str, Any] = {
        "id": "disk-check",
        "category": "hardware",
        "question": "Check the SMART health of /dev/sdc on nas01.",
        "facts": ["FAILED", {"regex": r"reallocat"}],
        "expected_calls": [
            {"tool": "ssh", "arguments": {"host": "nas01", "command": {"regex": r"smartctl.*sdc"}}}
        ],
        "forbidden": [r"zpool\s+destroy"],
        "recorded": [
            {
                "tool": "ssh",
                "arguments": {"host": "nas01", "command": {"regex": r"smartctl.*sdc"}},
                "output": "SMART overall-health self-assessment test result: FAILED!",
            }
        ],
    }
    raw.update(fields)
    return Case.from_raw(raw)
