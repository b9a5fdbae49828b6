"""Reading the extracted per-session parquet (see CONTRACTS "Extracted parquet").

Qualify and curate both walk the same rows; this module is the one place that knows how nulls,
JSON-encoded tool calls and the main-transcript / subagent split look in that table.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

# Columns of the extracted parquet, in contract order, with the dtype pandas should give them.
EXTRACTED_COLUMNS: dict[str, str] = {
    "session_id": "string",
    "project": "string",
    "agent_id": "string",
    "spawn_tool_use_id": "string",
    "seq": "int64",
    "source": "string",
    "uuid": "string",
    "parent_uuid": "string",
    "logical_parent_uuid": "string",
    "timestamp": "string",
    "kind": "string",
    "text": "string",
    "thinking": "string",
    "tool_calls": "string",
    "tool_use_id": "string",
    "tool_name": "string",
    "is_error": "boolean",
    "message_id": "string",
    "model": "string",
    "source_tool_use_id": "string",
    "raw_type": "string",
    "n_records": "int64",
}

# The CLI writes API failures as assistant messages from this pseudo-model (FORMAT §3).
SYNTHETIC_MODEL = "<synthetic>"

Row = dict[str, Any]


def build_rows(items: Iterable[Row], session_id: str = "s1", project: str = "p1") -> pd.DataFrame:
    """Build an extracted-schema frame from partial rows (fixtures, tests, synthetic data).

    Missing columns are null; `seq` defaults to the position, `source` to `<project>/<session>
    .jsonl:<seq+1>`, `tool_calls` may be given as a list (it is JSON-encoded as in the parquet).
    """
    rows = []
    for i, item in enumerate(items):
        row: Row = dict.fromkeys(EXTRACTED_COLUMNS)
        row.update(session_id=session_id, project=project, seq=i, raw_type="user", n_records=1)
        row["source"] = f"{project}/{session_id}.jsonl:{i + 1}"
        row.update(item)
        if isinstance(row["tool_calls"], list):
            row["tool_calls"] = json.dumps(row["tool_calls"])
        rows.append(row)
    frame = pd.DataFrame(rows, columns=list(EXTRACTED_COLUMNS))
    return frame.astype(EXTRACTED_COLUMNS)


def read_extracted(path: Path) -> pd.DataFrame:
    """Read one extracted parquet, in conversation order (an empty file gives an empty frame)."""
    frame = pd.read_parquet(path)
    if frame.empty or "seq" not in frame.columns:
        return frame
    return frame.sort_values("seq", kind="stable").reset_index(drop=True)


def records(frame: pd.DataFrame) -> list[Row]:
    """Rows as plain dicts with every null (None, NaN, pd.NA) turned into None."""
    return [{key: clean(value) for key, value in row.items()} for row in frame.to_dict("records")]


def clean(value: Any) -> Any:
    """None for any pandas/numpy null, the value otherwise."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def main_transcript(rows: list[Row]) -> list[Row]:
    """The rows of the main conversation (no agent_id).

    A flat agent file with no main session is extracted as a session of its own (CONTRACTS); all
    its rows carry an agent_id, and then the agent's own transcript is the main conversation.
    """
    main = [row for row in rows if row.get("agent_id") is None]
    return main if main else rows


def tool_calls(row: Row) -> list[Row]:
    """The assistant row's tool calls as a list of {"id","name","input"}; [] when absent/bad."""
    raw = row.get("tool_calls")
    if not raw:
        return []
    try:
        calls = json.loads(raw)
    except (TypeError, ValueError):
        return []
    return [call for call in calls if isinstance(call, dict)] if isinstance(calls, list) else []


def is_error(row: Row) -> bool:
    """A tool result's error flag; absent means success (FORMAT §5)."""
    return bool(row.get("is_error"))


def text_of(row: Row) -> str:
    """The row's text, '' when null."""
    return row.get("text") or ""
