"""extract_session on hand-written sessions: merging, pairing, subagents, compaction, dedupe."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import yaml

from halops.rows import EXTRACTED_SCHEMA

REPO = Path(__file__).resolve().parents[3]


def test_split_assistant_records_merge_across_interleaved_results(extract_lines, transcript):
    t = transcript()
    lines = [
        t.user("check the disks"),
        t.thinking("m1", "let me look"),
        t.call("m1", "t1", "Bash", {"command": "zpool status"}),
        t.result("t1", "pool ok", is_error=False),  # arrives before the next block is written
        t.call("m1", "t2", "Read", {"file_path": "/etc/fstab"}),
        t.result("t2", "fstab"),
        t.text("m1", "All good."),
        t.text("m2", "Anything else?"),
    ]
    out = extract_lines(lines)
    df = out.df
    assert list(df.kind) == ["user_prompt", "assistant", "tool_result", "tool_result", "assistant"]
    first = df.iloc[1]
    assert first.n_records == 4 and first.message_id == "m1"
    assert first.source == "proj/main.jsonl:2" and first.uuid == "u2"
    assert first.thinking == "let me look" and first.text == "All good."
    assert first.model == "claude-test"
    assert json.loads(first.tool_calls) == [
        {"id": "t1", "name": "Bash", "input": {"command": "zpool status"}},
        {"id": "t2", "name": "Read", "input": {"file_path": "/etc/fstab"}},
    ]
    assert list(df.tool_name[2:4]) == ["Bash", "Read"]
    assert list(df.seq) == [0, 1, 2, 3, 4]
    assert json.loads(df.iloc[4].tool_calls) == []
    assert out.stats.by_kind == {"assistant": 2, "tool_result": 2, "user_prompt": 1}


def test_multiple_text_and_thinking_blocks_join(extract_lines, transcript):
    t = transcript()
    lines = [t.thinking("m", "a"), t.thinking("m", "b"), t.text("m", "x"), t.text("m", "y")]
    row = extract_lines(lines).df.iloc[0]
    assert (row.thinking, row.text) == ("a\n\nb", "x\ny")


def test_pairing_is_by_id_and_counts_unpaired(extract_lines, transcript):
    t = transcript()
    lines = [
        t.call("m1", "t1", "Bash"),
        t.call("m1", "t2", "Grep"),
        t.result("t2", "second first", is_error=True),  # out of order: pair by id
        t.result("t1", "first"),
        t.result("ghost", "no such call"),
        t.call("m2", "t3", "Edit"),  # never answered (file ends mid-turn)
    ]
    out = extract_lines(lines)
    results = out.df[out.df.kind == "tool_result"]
    assert list(results.tool_use_id) == ["t2", "t1", "ghost"]
    assert list(results.tool_name) == ["Grep", "Bash", None]
    assert list(results.is_error) == [True, False, False]
    s = out.stats
    assert (s.tool_calls, s.tool_results, s.paired, s.unanswered_calls) == (3, 3, 2, 1)


def test_tool_result_with_typed_text_gives_two_rows(extract_lines, transcript):
    t = transcript()
    block = {"type": "tool_result", "tool_use_id": "t1", "content": "ok"}
    lines = [t.call("m", "t1", "Bash"), t.user([block, {"type": "text", "text": "use sudo"}])]
    df = extract_lines(lines).df
    assert list(df.kind) == ["assistant", "tool_result", "user_prompt"]
    assert df.iloc[1].source == df.iloc[2].source == "proj/main.jsonl:2"
    assert df.iloc[2].text == "use sudo" and df.iloc[2].is_error is None


def test_skill_body_links_to_its_skill_call(extract_lines, transcript):
    t = transcript()
    lines = [
        t.user("<command-name>/review</command-name>"),
        t.call("m1", "toolu_skill", "Skill", {"skill": "review"}),
        t.result("toolu_skill", "Launching skill: review", toolUseResult={"success": True}),
        t.user(
            [{"type": "text", "text": "Base directory for this skill: /x\n\n# Review"}],
            isMeta=True,
            sourceToolUseID="toolu_skill",
        ),
        t.user("<local-command-caveat>Caveat</local-command-caveat>", isMeta=True),
    ]
    df = extract_lines(lines).df
    assert list(df.kind) == ["command", "assistant", "tool_result", "skill_body", "meta"]
    body = df.iloc[3]
    assert body.source_tool_use_id == "toolu_skill"
    assert body.text.endswith("# Review")
    assert df.iloc[2].tool_name == "Skill"


def test_compaction_boundary_bridges_to_the_pre_compaction_leaf(extract_lines, transcript):
    t = transcript()
    before = [t.user("long task"), t.text("m1", "working")]
    leaf = t.last
    t.last = None  # compaction restarts the parentUuid chain
    boundary = t.system(
        "compact_boundary",
        "Conversation compacted",
        logicalParentUuid=leaf,
        compactMetadata={"trigger": "auto", "preTokens": 170000},
    )
    summary = t.user("This session is being continued...", isCompactSummary=True)
    out = extract_lines([*before, boundary, summary, t.user("continue")])
    df = out.df
    assert list(df.kind) == [
        "user_prompt",
        "assistant",
        "compact_boundary",
        "compact_summary",
        "user_prompt",
    ]
    row = df.iloc[2]
    assert row.parent_uuid is None and row.logical_parent_uuid == leaf
    assert row.text == "Conversation compacted" and row.raw_type == "system"
    assert df.iloc[3].parent_uuid == row.uuid
    assert (out.stats.compactions, out.stats.compactions_bridged) == (1, 1)


def test_markup_interrupts_and_notifications(extract_lines, transcript):
    t = transcript()
    lines = [
        t.user("<bash-input>uptime</bash-input>"),
        t.user("<bash-stdout>up 3 days</bash-stdout><bash-stderr></bash-stderr>"),
        t.user("<local-command-stdout>done</local-command-stdout>"),
        t.user([{"type": "text", "text": "[Request interrupted by user]"}]),
        t.user("<task-notification>\n<task-id>b1</task-id>\n</task-notification>"),
        t.system("local_command", "<command-name>/model</command-name>"),
        t.system("turn_duration", durationMs=1200),
    ]
    df = extract_lines(lines).df
    assert list(df.kind) == [
        "bash_markup",
        "bash_markup",
        "command",
        "interrupt",
        "task_notification",
        "system",
        "system",
    ]
    assert df.iloc[6].text is None


def test_structural_records_are_counted_not_rows_and_unknown_types_kept(extract_lines, transcript):
    t = transcript()
    lines = [
        {"type": "summary", "summary": "Disk check", "leafUuid": "u9"},
        {"type": "file-history-snapshot", "messageId": "x", "snapshot": {}},
        t.user("hi"),
        t.envelope("progress", data={"type": "bash_progress", "output": "..."}),
        {"type": "queue-operation", "operation": "enqueue", "sessionId": "sess-1"},
        {"type": "pr-link", "prNumber": 12, "sessionId": "sess-1"},
        t.envelope("attachment", attachment={"type": "hook_success"}),
        {"type": "brand-new-type", "payload": [1, 2]},
    ]
    out = extract_lines(lines)
    df = out.df
    assert list(df.kind) == ["summary", "user_prompt", "other", "other", "other"]
    assert list(df.raw_type) == ["summary", "user", "pr-link", "attachment", "brand-new-type"]
    assert df.iloc[0].text == "Disk check"
    assert json.loads(df.iloc[4].text) == {"type": "brand-new-type", "payload": [1, 2]}
    assert out.stats.structural == 3
    assert out.stats.by_type["progress"] == 1
    assert out.stats.session_id == "sess-1"


def test_duplicate_uuids_keep_the_first_record(extract_lines, transcript):
    t = transcript()
    prompt = t.user("first copy")
    replay = dict(prompt, message={"role": "user", "content": "replayed copy"})
    call = t.call("m1", "t1", "Bash")
    out = extract_lines([prompt, call, replay, call, t.result("t1", "ok")])
    assert list(out.df.kind) == ["user_prompt", "assistant", "tool_result"]
    assert out.df.iloc[0].text == "first copy"
    assert out.df.iloc[1].n_records == 1
    assert out.stats.duplicates == 2 and out.stats.tool_calls == 1
    # only the tool_result row is a result (not the prompt, not the assistant row)
    assert (out.stats.tool_results, out.stats.paired, out.stats.unanswered_calls) == (1, 1, 0)


def test_era3_subagents_attach_to_their_spawning_calls(sessions_dir, write, extract, transcript):
    t = transcript("sess-9")
    main_lines = [
        t.user("explore and plan"),
        t.call("m1", "toolu_b", "Task", {"subagent_type": "Plan"}),
        t.call("m2", "toolu_a", "Agent", {"subagent_type": "Explore"}),
        t.envelope(
            "progress",
            data={"type": "agent_progress", "agentId": "bbb", "prompt": "plan"},
            parentToolUseID="toolu_b",
        ),
        t.result(
            "toolu_a",
            [{"type": "text", "text": "report"}],
            toolUseResult={"status": "completed", "agentId": "aaa"},
        ),
        t.result("toolu_b", [{"type": "text", "text": "plan"}]),
    ]
    main = write(sessions_dir / "proj" / "sess-9.jsonl", main_lines)
    subdir = sessions_dir / "proj" / "sess-9" / "subagents"
    subs = []
    for agent in ("aaa", "bbb", "ccc"):
        a = transcript("sess-9", agent_id=agent)
        lines = [a.user(f"task for {agent}"), a.text(f"{agent}-m", f"done {agent}")]
        subs.append(write(subdir / f"agent-{agent}.jsonl", lines))
    (subdir / "agent-ccc.meta.json").write_text('{"agentType": "x", "toolUseId": "toolu_c"}')
    out = extract(main, subs)
    df = out.df
    main_rows = df[df.agent_id.isna()]
    assert list(main_rows.seq) == list(range(len(main_rows)))
    assert main_rows.spawn_tool_use_id.isna().all()
    sub = df[df.agent_id.notna()]
    # toolu_b is called first in the main transcript, so agent bbb's rows come first.
    assert list(sub.agent_id) == ["bbb", "bbb", "aaa", "aaa", "ccc", "ccc"]
    assert list(sub.spawn_tool_use_id) == ["toolu_b"] * 2 + ["toolu_a"] * 2 + ["toolu_c"] * 2
    assert sub.iloc[0].source == "proj/sess-9/subagents/agent-bbb.jsonl:1"
    assert (df.session_id == "sess-9").all() and (df.project == "proj").all()
    assert list(df.seq) == list(range(len(df)))
    assert (out.stats.subagents, out.stats.subagents_attached) == (3, 3)
    results = df[df.kind == "tool_result"]
    assert dict(zip(results.tool_use_id, results.tool_name, strict=True)) == {
        "toolu_a": "Agent",
        "toolu_b": "Task",
    }


def test_era2_flat_subagent_and_cross_file_dedupe(sessions_dir, write, extract, transcript):
    t = transcript("sess-2")
    prompt = t.user("go")
    main_lines = [
        prompt,
        t.call("m1", "toolu_t", "Task"),
        t.result("toolu_t", "done", toolUseResult={"agentId": "f1"}),
    ]
    main = write(sessions_dir / "proj" / "main-file.jsonl", main_lines)
    a = transcript("sess-2", agent_id="f1")
    agent = write(
        sessions_dir / "proj" / "agent-f1.jsonl",
        [prompt, a.user("Warmup"), a.text("am", "ready")],  # first line replays a main record
    )
    out = extract(main, [agent])
    df = out.df
    assert list(df.kind) == ["user_prompt", "assistant", "tool_result", "user_prompt", "assistant"]
    assert list(df.agent_id) == [None, None, None, "f1", "f1"]
    assert df.iloc[3].text == "Warmup" and df.iloc[3].spawn_tool_use_id == "toolu_t"
    assert df.iloc[3].source == "proj/agent-f1.jsonl:2"
    assert out.stats.duplicates == 1


def test_orphan_agent_file_as_its_own_session(sessions_dir, write, extract, transcript):
    a = transcript("gone-parent", agent_id="z9")
    path = write(sessions_dir / "proj" / "agent-z9.jsonl", [a.user("hi"), a.text("m", "yo")])
    out = extract(path)
    assert list(out.df.agent_id) == ["z9", "z9"]
    assert out.stats.session_id == "gone-parent"


def test_parquet_has_the_contract_schema_even_when_empty(extract_lines, transcript, tmp_path):
    t = transcript()
    extract_lines([t.user("a")])
    assert pq.read_schema(tmp_path / "out" / "out.parquet") == EXTRACTED_SCHEMA
    extract_lines([])
    assert pq.read_schema(tmp_path / "out" / "out.parquet") == EXTRACTED_SCHEMA


def test_schema_doc_matches_the_code():
    doc = yaml.safe_load((REPO / "workflow" / "schemas" / "extracted.schema.yaml").read_text())
    arrow_names = {"string": "string", "int64": "int64", "bool": "bool"}
    documented = [(c["name"], arrow_names[c["type"]], c["nullable"]) for c in doc["columns"]]
    actual = [(f.name, str(f.type), f.nullable) for f in EXTRACTED_SCHEMA]
    assert documented == actual
    assert all(c["description"].strip() for c in doc["columns"])


def test_session_id_falls_back_to_the_stem_and_summary_only_file(extract_lines):
    out = extract_lines([{"type": "summary", "summary": "Title", "leafUuid": "x"}], name="s7.jsonl")
    assert out.stats.session_id == "s7"
    assert list(out.df.kind) == ["summary"]
