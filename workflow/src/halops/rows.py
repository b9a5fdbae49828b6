"""The extracted table: its format, how extract writes it and how qualify and curate read it.

This module owns the format. `EXTRACTED_SCHEMA` is the one definition of the columns (documented
column by column in `workflow/schemas/extracted.schema.yaml`, kept in step by a test); the
extract stage builds its columns and hands them to `table_from_columns`/`ExtractedWriter`, and
every reader goes through `read_extracted`/`iter_sessions`/`records`, which know how nulls,
JSON-encoded tool calls and the main-transcript / subagent split look.

One file holds the sessions of one shard (`results/extracted/shard-NN.parquet`): each session's
rows are contiguous and in conversation order (`seq`), sessions sorted by (project, session).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

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

_PANDAS_DTYPES = {_STR: "string", _INT: "int64", pa.bool_(): "boolean"}
# Columns of the extracted parquet, in schema order, with the dtype pandas should give them.
EXTRACTED_COLUMNS: dict[str, str] = {f.name: _PANDAS_DTYPES[f.type] for f in EXTRACTED_SCHEMA}
# Rows per parquet row group: sessions are small, so they are buffered into groups of about
# this size (one group per session would make reading slow); bounds the writer's memory.
ROW_GROUP_ROWS = 20_000

# The CLI writes API failures as assistant messages from this pseudo-model
# (transcript-format.md §3).
SYNTHETIC_MODEL = "<synthetic>"

Row = dict[str, Any]


# --- writing -------------------------------------------------------------------------------


def table_from_columns(columns: Mapping[str, Sequence[object]]) -> pa.Table:
    """One Table with EXTRACTED_SCHEMA from column lists (an all-null column keeps its type)."""
    arrays = [pa.array(columns[f.name], type=f.type) for f in EXTRACTED_SCHEMA]
    return pa.Table.from_arrays(arrays, schema=EXTRACTED_SCHEMA)


class ExtractedWriter:
    """Appends session tables to one parquet file; the file exists (maybe empty) once closed."""

    def __init__(self, path: Path, row_group_rows: int = ROW_GROUP_ROWS) -> None:
        self.path = Path(path)
        self.row_group_rows = row_group_rows
        self._pending: list[pa.Table] = []
        self._pending_rows = 0
        self._writer: pq.ParquetWriter | None = None

    def write(self, table: pa.Table) -> None:
        self._pending.append(table)
        self._pending_rows += table.num_rows
        if self._pending_rows >= self.row_group_rows:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = pq.ParquetWriter(self.path, EXTRACTED_SCHEMA)
        self._writer.write_table(pa.concat_tables(self._pending))
        self._pending, self._pending_rows = [], 0

    def close(self) -> None:
        self._flush()
        if self._writer is None:  # no session had a row: still a valid, empty file
            self.path.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(EXTRACTED_SCHEMA.empty_table(), self.path)
        else:
            self._writer.close()

    def __enter__(self) -> ExtractedWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- reading -------------------------------------------------------------------------------


def read_extracted(path: Path) -> pd.DataFrame:
    """Read one extracted parquet as written: sessions contiguous, each in conversation order."""
    return pd.read_parquet(path)


def iter_sessions(path: Path, batch_rows: int = ROW_GROUP_ROWS) -> Iterator[list[Row]]:
    """Each session of an extracted file as a list of plain row dicts (nulls are None).

    Streams record batches, so memory follows one batch plus one session, not the file; and
    converts with Arrow's `to_pylist`, several times faster than going through pandas.
    """
    current: list[Row] = []
    key: tuple[Any, ...] | None = None
    for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_rows):
        for row in batch.to_pylist():
            row_key = (row["project"], row["session_id"])
            if row_key != key and current:
                yield current
                current = []
            key = row_key
            current.append(row)
    if current:
        yield current


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


def records(frame: pd.DataFrame) -> list[Row]:
    """Rows as plain dicts with every null (None, NaN, pd.NA) turned into None.

    Column by column rather than `DataFrame.to_dict("records")`, which boxes every cell through
    pandas' indexing and was most of the time qualify and curate spent.
    """
    names = list(frame.columns)
    columns = [_plain_values(frame[name]) for name in names]
    return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]


def _plain_values(series: pd.Series) -> list[Any]:
    values = series.to_numpy(dtype=object, copy=True)
    missing = series.isna().to_numpy()  # None, NaN and pd.NA alike
    if missing.any():
        values[missing] = None
    return values.tolist()


def clean(value: Any) -> Any:
    """None for any pandas/numpy null, the value otherwise."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def main_transcript(rows: list[Row]) -> list[Row]:
    """The rows of the main conversation (no agent_id).

    A flat agent file with no main session is extracted as a session of its own; all
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
    """A tool result's error flag; absent means success (transcript-format.md §5)."""
    return bool(row.get("is_error"))


def text_of(row: Row) -> str:
    """The row's text, '' when null."""
    return row.get("text") or ""
