"""The extracted parquet's schema (CONTRACTS.md), and rows -> one pyarrow Table.

Kept explicit so an all-null column still gets its declared type and every session file has
the identical schema; `workflow/schemas/extracted.schema.yaml` documents the same columns and a
test keeps the two in step.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa

from halops.transcripts.assemble import Assembly
from halops.transcripts.reader import dump_json

_STR = pa.string()
_INT = pa.int64()

EXTRACTED_SCHEMA = pa.schema(
    [
        pa.field("session_id", _STR, nullable=False),
        pa.field("project", _STR, nullable=False),
        pa.field("agent_id", _STR),
        pa.field("spawn_tool_use_id", _STR),
        pa.field("seq", _INT, nullable=False),
        pa.field("source", _STR, nullable=False),
        pa.field("uuid", _STR),
        pa.field("parent_uuid", _STR),
        pa.field("logical_parent_uuid", _STR),
        pa.field("timestamp", _STR),
        pa.field("kind", _STR, nullable=False),
        pa.field("text", _STR),
        pa.field("thinking", _STR),
        pa.field("tool_calls", _STR),
        pa.field("tool_use_id", _STR),
        pa.field("tool_name", _STR),
        pa.field("is_error", pa.bool_()),
        pa.field("message_id", _STR),
        pa.field("model", _STR),
        pa.field("source_tool_use_id", _STR),
        pa.field("raw_type", _STR, nullable=False),
        pa.field("n_records", _INT, nullable=False),
    ]
)

# Columns copied straight from Row attributes of the same name.
_ROW_COLUMNS = (
    "source",
    "uuid",
    "parent_uuid",
    "logical_parent_uuid",
    "timestamp",
    "kind",
    "text",
    "thinking",
    "tool_use_id",
    "tool_name",
    "is_error",
    "message_id",
    "model",
    "source_tool_use_id",
    "raw_type",
    "n_records",
)


def _tool_calls_column(asm: Assembly) -> list[str | None]:
    return [dump_json(r.tool_calls) if r.tool_calls is not None else None for r in asm.rows]


def to_table(asm: Assembly, session_id: str, project: str) -> pa.Table:
    """One Table with EXTRACTED_SCHEMA; columns are built as lists, then converted once."""
    n = len(asm.rows)
    columns: dict[str, Sequence[object]] = {
        "session_id": [session_id] * n,
        "project": [project] * n,
        "agent_id": asm.agent_ids,
        "spawn_tool_use_id": asm.spawn_ids,
        "seq": range(n),
        "tool_calls": _tool_calls_column(asm),
    }
    for name in _ROW_COLUMNS:
        columns[name] = [getattr(r, name) for r in asm.rows]
    arrays = [pa.array(columns[f.name], type=f.type) for f in EXTRACTED_SCHEMA]
    return pa.Table.from_arrays(arrays, schema=EXTRACTED_SCHEMA)
