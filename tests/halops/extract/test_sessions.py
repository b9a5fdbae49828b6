"""Session discovery over both subagent layouts, orphans, junk, and a large tree."""

from __future__ import annotations

import json
import time
from pathlib import Path

from halops.extract.sessions import SessionRef, find_sessions, read_session_id


def rec(session_id: str, **extra) -> dict:
    return {"type": "user", "sessionId": session_id, "message": {"content": "x"}, **extra}


def put(path: Path, *lines: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = [x if isinstance(x, bytes) else json.dumps(x).encode() for x in lines]
    path.write_bytes(b"".join(line + b"\n" for line in raw))
    return path


def by_key(refs: list[SessionRef]) -> dict[str, SessionRef]:
    return {f"{r.project}/{r.session}": r for r in refs}


def test_missing_or_empty_dir(tmp_path):
    assert find_sessions(tmp_path / "nope") == []
    assert find_sessions(tmp_path) == []


def test_era3_subagents_skip_workflows_tool_results_and_sidecars(tmp_path):
    main = put(tmp_path / "p" / "s1.jsonl", rec("s1"))
    sub = tmp_path / "p" / "s1" / "subagents"
    a = put(sub / "agent-a1.jsonl", rec("s1", agentId="a1"))
    b = put(sub / "agent-acompact-9.jsonl", rec("s1"))
    (sub / "agent-a1.meta.json").write_text("{}")
    put(sub / "workflows" / "run1" / "agent-w.jsonl", rec("s1"))
    put(tmp_path / "p" / "s1" / "tool-results" / "agent-x.jsonl", rec("s1"))
    (tmp_path / "p" / "s1" / "tool-results" / "t.txt").write_text("big output")
    assert find_sessions(tmp_path) == [SessionRef("p", "s1", main, (a, b))]


def test_era2_flat_agents_match_by_stem_or_by_the_main_files_session_id(tmp_path):
    by_stem = put(tmp_path / "p" / "abc.jsonl", rec("abc"))
    renamed = put(
        tmp_path / "p" / "checkpoint.jsonl",
        {"type": "summary", "summary": "t"},  # no sessionId on the first line
        {"type": "file-history-snapshot", "messageId": "m"},
        rec("real-id"),
    )
    a1 = put(tmp_path / "p" / "agent-1.jsonl", rec("abc", agentId="1"))
    a2 = put(tmp_path / "p" / "agent-2.jsonl", b"{garbage", rec("real-id", agentId="2"))
    orphan = put(tmp_path / "p" / "agent-3.jsonl", rec("elsewhere", agentId="3"))
    empty = put(tmp_path / "p" / "agent-4.jsonl")
    refs = by_key(find_sessions(tmp_path))
    assert refs["p/abc"] == SessionRef("p", "abc", by_stem, (a1,))
    assert refs["p/checkpoint"] == SessionRef("p", "checkpoint", renamed, (a2,))
    assert refs["p/agent-3"] == SessionRef("p", "agent-3", orphan, ())
    assert refs["p/agent-4"] == SessionRef("p", "agent-4", empty, ())
    assert len(refs) == 4


def test_era3_folder_without_main_file_is_one_session(tmp_path):
    sub = tmp_path / "p" / "lost" / "subagents"
    a = put(sub / "agent-a.jsonl", rec("lost"))
    b = put(sub / "agent-b.jsonl", rec("lost"))
    (tmp_path / "p" / "plain-folder").mkdir()  # folders without subagents are not sessions
    assert find_sessions(tmp_path) == [SessionRef("p", "lost", a, (b,))]


def test_junk_is_ignored_and_order_is_stable(tmp_path):
    put(tmp_path / "b" / "s2.jsonl", rec("s2"))
    put(tmp_path / "a" / "s1.jsonl", rec("s1"))
    (tmp_path / "a" / "notes.txt").write_text("x")
    (tmp_path / "a" / "s1.json").write_text("{}")
    put(tmp_path / ".git" / "x.jsonl", rec("x"))
    (tmp_path / "stray.jsonl").write_text("{}")  # files directly in sessions_dir: no project
    assert [(r.project, r.session) for r in find_sessions(tmp_path)] == [
        ("a", "s1"),
        ("b", "s2"),
    ]


def test_read_session_id_on_a_huge_first_line(tmp_path):
    big = {"parentUuid": None, "sessionId": "s-big", "type": "user", "message": "x" * 3_000_000}
    path = put(tmp_path / "agent-big.jsonl", big)
    assert read_session_id(path) == "s-big"
    nested = {"type": "user", "message": {"content": 'say "sessionId": "fake"'}}
    path = put(tmp_path / "agent-n.jsonl", nested)
    assert read_session_id(path) is None


def test_real_sessions_layout(shared_sessions):
    refs = by_key(find_sessions(shared_sessions))
    fast = refs["-home-dev-fasthooks/sample_main_transcript"]
    assert [p.name for p in fast.subagent_paths] == ["agent-af1ff21.jsonl"]
    spotter = refs["-home-USER-spotter/4d5611e5-241a-462a-8d15-5122611a9569"]
    assert [p.name for p in spotter.subagent_paths] == [
        "agent-a2898e3.jsonl",
        "agent-acompact-e1f845.jsonl",
    ]
    assert not any(key.rsplit("/", 1)[1].startswith("agent-") for key in refs)


def test_large_tree_is_fast(tmp_path):
    # 40 projects x (100 mains + 100 flat agents) = 8,000 files; discovery must stay cheap.
    for p in range(40):
        proj = tmp_path / f"proj{p}"
        proj.mkdir()
        for s in range(100):
            (proj / f"s{s}.jsonl").write_text(json.dumps(rec(f"s{s}")) + "\n")
            (proj / f"agent-{s}.jsonl").write_text(json.dumps(rec(f"s{s}")) + "\n")
    start = time.perf_counter()
    refs = find_sessions(tmp_path)
    elapsed = time.perf_counter() - start
    assert len(refs) == 4000 and all(len(r.subagent_paths) == 1 for r in refs)
    assert elapsed < 5.0, f"discovery took {elapsed:.2f}s for 8,000 files"
