"""Per-example preparation of curated examples, done once per shard next to curation.

Scrubbing credentials, dropping examples with calls the inventory does not open, fitting into the
training window and counting tokens all look at one example at a time, so they run in the curate
job of the example's shard: a new session re-prepares only its shard, and validate_split is left
with what is global by nature (dedup, split) and the fail-closed re-scan of what it writes.

A prepared shard is a parquet file (messages as JSON text) whose metadata carries what the data
card needs about the steps (`PREPARED_KEY`): examples curated, secrets redacted per rule,
examples and calls dropped as unreachable, the window accounting. A file without that metadata
is a plain curated table, which validate prepares itself.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from halops.contract import scrub
from halops.reach import Reach, drop_unreachable
from halops.window import fit_examples, token_lengths

PREPARED_KEY = b"halops.prepared"
# Each piece's rendered length in the model's tokens (for the card); dropped before writing.
TOKENS_COLUMN = "n_tokens"


@dataclass(frozen=True)
class Window:
    """The model's tokenizer and the training window (the train profile's max_length)."""

    tokenizer: Any
    max_tokens: int

    @classmethod
    def of_base(cls, base_dir: Path, max_tokens: int) -> Window:
        """The base's tokenizer read without transformers where its folder allows (the same
        counts in milliseconds instead of seconds: `halops.model.chat_tokenizer`), else
        transformers' (a hub id, a template list)."""
        from halops.model.chat_tokenizer import ChatTokenizer
        from halops.model.convert_base import base_load_path

        location = base_load_path(base_dir)
        tokenizer = ChatTokenizer.from_dir(Path(location)) if Path(location).is_dir() else None
        if tokenizer is None:
            from transformers import AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained(location)
        return cls(tokenizer, max_tokens)


# --- scrubbing -----------------------------------------------------------------------------------


def decode_messages(value: Any) -> list[dict[str, Any]]:
    return json.loads(value) if isinstance(value, str) else list(value)


def plain(value: Any) -> Any:
    """numpy / pandas values (arrays from list columns, scalars, NaN / NA) → plain Python."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, np.generic):
        value = value.item()
    if value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def _scrub_value(value: Any, findings: list[scrub.Finding]) -> Any:
    """Scrub every string inside a metadata value, appending what was found to ``findings``."""
    if isinstance(value, str):
        result = scrub.scrub_text(value)
        findings.extend(result.findings)
        return result.text
    if isinstance(value, list):
        return [_scrub_value(item, findings) for item in value]
    if isinstance(value, dict):
        return {key: _scrub_value(item, findings) for key, item in value.items()}
    return value


def scrub_examples(frame: pd.DataFrame) -> tuple[pd.DataFrame, Counter[str], int]:
    """Scrub messages and every string metadata value. Returns the scrubbed frame (messages as
    lists of dicts), redactions per rule and the number of examples that had any."""
    per_rule: Counter[str] = Counter()
    with_secrets = 0
    records = []
    for row in frame.to_dict(orient="records"):
        messages, findings = scrub.scrub_messages(decode_messages(row["messages"]))
        record = {k: _scrub_value(plain(v), findings) for k, v in row.items() if k != "messages"}
        record["messages"] = messages
        per_rule.update(f.rule for f in findings)
        with_secrets += bool(findings)
        records.append(record)
    return pd.DataFrame.from_records(records, columns=frame.columns), per_rule, with_secrets


# --- the training window ------------------------------------------------------------------------


def fit_frame(frame: pd.DataFrame, window: Window) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Every example as the pieces that fit the window; a split example's pieces get ids
    `<id>.<n>`. Returns the new frame and the accounting for the card."""
    pieces, stats = fit_examples(list(frame["messages"]), window.tokenizer, window.max_tokens)
    per_source: Counter[int] = Counter(source for source, _ in pieces)
    seen: Counter[int] = Counter()
    records = []
    for source, messages in pieces:
        row = dict(frame.iloc[source])
        if per_source[source] > 1 or len(messages) != len(row["messages"]):
            seen[source] += 1
            row["example_id"] = f"{row['example_id']}.{seen[source]}"
        row["messages"], row["n_messages"] = messages, len(messages)
        records.append(row)
    fitted = pd.DataFrame.from_records(records, columns=frame.columns)
    return fitted.astype(frame.dtypes.to_dict()), stats.to_dict()


# --- the steps together --------------------------------------------------------------------------


def prepare_examples(
    frame: pd.DataFrame, window: Window | None = None, reach: Reach | None = None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Scrub, drop unreachable, fit and count tokens: the prepared frame (messages as lists)
    and its statistics. Without `window` nothing is fitted and tokens are not counted; without
    `reach` calls are not checked against an inventory."""
    stats: dict[str, Any] = {"n_curated": len(frame)}
    prepared, per_rule, with_secrets = scrub_examples(frame)
    stats["secrets_per_rule"] = dict(sorted(per_rule.items()))
    stats["examples_with_secrets"] = with_secrets
    stats["unreachable"] = None
    if reach is not None:
        before = len(prepared)
        prepared, calls = drop_unreachable(prepared, reach)
        stats["unreachable"] = {"examples": before - len(prepared), "calls": calls}
    stats["window"] = {}
    if window is not None:
        prepared, stats["window"] = fit_frame(prepared, window)
        prepared[TOKENS_COLUMN] = token_lengths(list(prepared["messages"]), window.tokenizer)
    return prepared, stats


def merge_stats(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """The statistics of several prepared shards as one: counts add up, the window size stays."""
    merged: dict[str, Any] = {}
    for part in parts:
        merged = _add(merged, part)
    return merged


def _add(a: Any, b: Any, key: str = "") -> Any:
    if a is None or a == {}:
        return b
    if b is None or b == {}:
        return a
    if isinstance(a, dict) and isinstance(b, dict):
        return {k: _add(a.get(k), b.get(k), k) for k in sorted(a.keys() | b.keys())}
    if key == "max_tokens":  # one window for all shards
        return max(a, b)
    return a + b


# --- the file ------------------------------------------------------------------------------------


def write_prepared(frame: pd.DataFrame, path: Path, stats: dict[str, Any]) -> None:
    """The prepared shard, messages as JSON text, statistics in the parquet metadata."""
    stored = frame.assign(messages=[json.dumps(m, ensure_ascii=False) for m in frame["messages"]])
    table = pa.Table.from_pandas(stored, preserve_index=False)
    metadata = {**(table.schema.metadata or {}), PREPARED_KEY: json.dumps(stats).encode()}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table.replace_schema_metadata(metadata), path)


def prepared_stats(path: Path) -> dict[str, Any] | None:
    """The statistics of a prepared shard; None for a plain curated table."""
    raw = (pq.read_schema(path).metadata or {}).get(PREPARED_KEY)
    return json.loads(raw) if raw else None
