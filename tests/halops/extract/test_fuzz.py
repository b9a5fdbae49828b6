"""Property tests: arbitrary bytes and arbitrary JSON never crash extraction or lose good lines."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from halops.extract.session import extract_session

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Field names and values the extractor looks at, so random objects reach the deep code paths.
KEYS = st.sampled_from(
    [
        "type", "uuid", "parentUuid", "logicalParentUuid", "sessionId", "timestamp", "agentId",
        "message", "content", "id", "model", "text", "thinking", "name", "input", "tool_use_id",
        "is_error", "isMeta", "isCompactSummary", "sourceToolUseID", "toolUseResult", "data",
        "parentToolUseID", "subtype", "summary",
    ]
)  # fmt: skip
TYPES = st.sampled_from(
    ["user", "assistant", "system", "summary", "progress", "text", "tool_use", "tool_result",
     "thinking", "image", "agent_progress", "compact_boundary", "weird"]
)  # fmt: skip
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | TYPES
    | st.text()
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=6),
    max_leaves=30,
)

IDS = st.sampled_from(["u1", "u2", "t1", "t2", "m1", "a1"])
TEXT_BLOCK = st.fixed_dictionaries({"type": st.just("text"), "text": st.text(max_size=20)})
BLOCKS = st.one_of(
    TEXT_BLOCK,
    st.fixed_dictionaries({"type": st.just("thinking"), "thinking": st.text(max_size=20)}),
    st.fixed_dictionaries(
        {"type": st.just("tool_use"), "id": IDS, "name": IDS, "input": JSON_VALUES}
    ),
    st.fixed_dictionaries(
        {"type": st.just("tool_result"), "tool_use_id": IDS},
        optional={
            "content": st.text(max_size=20) | st.lists(TEXT_BLOCK, max_size=2),
            "is_error": st.booleans(),
        },
    ),
    st.fixed_dictionaries({"type": TYPES}),
)
MESSAGES = st.fixed_dictionaries(
    {"content": st.text(max_size=20) | st.lists(BLOCKS, max_size=4)},
    optional={"id": IDS, "model": IDS},
)
# Well-formed records built from a small id pool (so merges, duplicates, pairs and dangling
# ids all happen), then sometimes one field replaced by an arbitrary JSON value.
VALID_RECORDS = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["user", "assistant", "user", "assistant", "system", "progress"])
        | TYPES,
        "uuid": st.uuids().map(str) | IDS,
        "message": MESSAGES,
    },
    optional={
        "parentUuid": IDS,
        "logicalParentUuid": IDS,
        "agentId": IDS,
        "isMeta": st.booleans(),
        "isCompactSummary": st.booleans(),
        "sourceToolUseID": IDS,
        "toolUseResult": st.fixed_dictionaries({"agentId": IDS}),
        "data": st.fixed_dictionaries({"type": st.just("agent_progress"), "agentId": IDS}),
        "parentToolUseID": IDS,
        "subtype": st.sampled_from(["compact_boundary", "turn_duration"]),
        "content": st.text(max_size=20),
        "summary": st.text(max_size=20),
    },
)
RECORDS = VALID_RECORDS | st.tuples(VALID_RECORDS, KEYS, JSON_VALUES).map(
    lambda t: {**t[0], t[1]: t[2]}
)


def run(lines: list[bytes]) -> tuple[pd.DataFrame, list[dict], object]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        main = root / "p" / "s.jsonl"
        main.parent.mkdir()
        main.write_bytes(b"\n".join(lines))
        stats = extract_session(main, [], root, root / "o.parquet", root / "q.jsonl")
        quarantine = [json.loads(x) for x in (root / "q.jsonl").read_text().splitlines()]
        return pd.read_parquet(root / "o.parquet"), quarantine, stats


@SETTINGS
@given(st.binary(max_size=2000))
def test_random_bytes_never_crash(data):
    df, quarantine, stats = run([data])
    assert stats.records_read + stats.quarantined + stats.blank_lines == stats.lines
    assert len(quarantine) == stats.quarantined
    assert len(df) == stats.rows_written


@SETTINGS
@given(st.lists(JSON_VALUES, max_size=8))
def test_random_json_never_crashes(values):
    df, _, stats = run([json.dumps(v).encode() for v in values])
    assert stats.records_read + stats.quarantined + stats.blank_lines == stats.lines
    assert list(df.seq) == list(range(len(df)))


@SETTINGS
@given(st.lists(RECORDS, max_size=12))
def test_random_records_never_crash(records):
    df, quarantine, stats = run([json.dumps(r).encode() for r in records])
    assert stats.records_read + stats.quarantined == len(records)
    assert stats.paired <= stats.tool_results
    assert list(df.seq) == list(range(len(df)))
    assert all(q["location"].startswith("p/s.jsonl:") for q in quarantine)


def prompt(i: int) -> bytes:
    rec = {"type": "user", "uuid": f"good-{i}", "message": {"role": "user", "content": f"p{i}"}}
    return json.dumps(rec).encode()


@SETTINGS
@given(st.lists(st.binary(max_size=200) | JSON_VALUES.map(lambda v: json.dumps(v).encode())))
def test_good_lines_survive_any_neighbours(noise):
    lines: list[bytes] = []
    for i, junk in enumerate(noise):
        lines += [prompt(i), junk]
    df, _, _ = run(lines)
    kept = set(df.uuid.dropna())
    assert {f"good-{i}" for i in range(len(noise))} <= kept
