"""Real Claude Code transcripts (../shared/sessions): no crash, and counts match a naive count.

The naive count is deliberately independent of the extractor: one json.loads per line, dedupe
by uuid, count tool_use blocks by (message.id, block id) and tool_result blocks per record.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from halops.extract.session import extract_session
from halops.extract.sessions import find_sessions

# <repo>/../shared/sessions/projects; this file is <repo>/tests/halops/extract/...
SHARED_SESSIONS = Path(__file__).resolve().parents[4] / "shared" / "sessions" / "projects"
REAL_FILES = sorted(SHARED_SESSIONS.rglob("*.jsonl")) if SHARED_SESSIONS.is_dir() else []
needs_real = pytest.mark.skipif(not REAL_FILES, reason=f"no transcripts at {SHARED_SESSIONS}")
pytestmark = pytest.mark.real_transcripts


def naive_counts(paths: list[Path]) -> tuple[int, int, int]:
    """(tool calls, tool results, results whose id names a call) straight from the raw lines."""
    seen: set[str] = set()
    calls: set[tuple[object, object]] = set()
    results: list[object] = []
    for path in paths:
        for line in path.read_bytes().splitlines():
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if not isinstance(obj, dict) or obj.get("uuid") in seen:
                continue
            if obj.get("uuid"):
                seen.add(obj["uuid"])
            message = obj.get("message")
            content = message.get("content") if isinstance(message, dict) else None
            for block in content if isinstance(content, list) else []:
                if obj.get("type") == "assistant" and block.get("type") == "tool_use":
                    calls.add((message.get("id"), block.get("id")))
                if obj.get("type") == "user" and block.get("type") == "tool_result":
                    results.append(block.get("tool_use_id"))
    call_ids = {block_id for _, block_id in calls}
    return len(calls), len(results), sum(1 for r in results if r in call_ids)


def rel(path: Path) -> str:
    return path.relative_to(SHARED_SESSIONS).as_posix()


@needs_real
@pytest.mark.parametrize("path", REAL_FILES, ids=rel)
def test_each_real_file_alone(path, tmp_path):
    out = tmp_path / "x.parquet"
    stats = extract_session(path, [], SHARED_SESSIONS, out, tmp_path / "q.jsonl")
    assert (stats.tool_calls, stats.tool_results, stats.paired) == naive_counts([path])
    assert stats.quarantined == 0  # the collected files are clean
    assert stats.records_read == stats.lines - stats.blank_lines
    assert stats.rows_written > 0


@needs_real
def test_each_real_session_with_its_subagents(tmp_path):
    refs = find_sessions(SHARED_SESSIONS)
    assert refs
    for ref in refs:
        paths = [ref.main_path, *ref.subagent_paths]
        stats = extract_session(
            ref.main_path,
            list(ref.subagent_paths),
            SHARED_SESSIONS,
            tmp_path / f"{ref.session}.parquet",
            tmp_path / f"{ref.session}.jsonl",
        )
        assert (stats.tool_calls, stats.tool_results, stats.paired) == naive_counts(paths), ref
        assert stats.subagents == len(ref.subagent_paths) + ref.main_path.name.startswith("agent-")


@pytest.fixture
def spotter(shared_sessions, tmp_path):
    import pandas as pd

    main = shared_sessions / "-home-USER-spotter" / "4d5611e5-241a-462a-8d15-5122611a9569.jsonl"
    subs = sorted((main.parent / main.stem / "subagents").glob("agent-*.jsonl"))
    extract_session(main, subs, shared_sessions, tmp_path / "s.parquet", tmp_path / "q.jsonl")
    return pd.read_parquet(tmp_path / "s.parquet")


def test_spotter_subagent_links_and_compaction(spotter):
    df = spotter
    explore = df[df.agent_id == "a2898e3"]
    assert (explore.spawn_tool_use_id == "toolu_017pLRuPHYTX5t99EnLyV53m").all()
    assert df[df.agent_id == "acompact-e1f845"].spawn_tool_use_id.isna().all()
    assert df.agent_id.isna().iloc[: (df.agent_id.isna()).sum()].all()  # main rows first
    assert list(df.seq) == list(range(len(df)))
    kinds = list(df.kind)
    boundary = kinds.index("compact_boundary")
    assert kinds[boundary + 1] == "compact_summary"
    assert df.iloc[boundary].logical_parent_uuid == "459e838f-d7ea-4f7d-94ad-2cb4d227dc77"
    assert "task_notification" in kinds
    # Every assistant row is one API message: no message.id repeats within a transcript.
    assistant = df[df.kind == "assistant"]
    assert not assistant.duplicated(["agent_id", "message_id"]).any()
    assert assistant.n_records.max() > 1


def test_entire_skill_body_points_at_a_skill_call(shared_sessions, tmp_path):
    import pandas as pd

    path = shared_sessions / "-Users-dev-entire-cli" / "51_0c10bf7b7a_0.jsonl"
    extract_session(path, [], shared_sessions, tmp_path / "e.parquet", tmp_path / "q.jsonl")
    df = pd.read_parquet(tmp_path / "e.parquet")
    [body] = df[df.kind == "skill_body"].itertuples()
    calls = [
        call
        for cell in df[df.kind == "assistant"].tool_calls
        for call in json.loads(cell)
        if call["name"] == "Skill"
    ]
    assert body.source_tool_use_id in {c["id"] for c in calls}
    assert body.text.startswith("# Review Command")
