"""The generated sessions are deterministic and follow the real transcript format
(workflow/docs/transcript-format.md)."""

from __future__ import annotations

import itertools
import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from halops.samplegen import (
    DEFAULT_SEED,
    DEFAULT_SESSIONS,
    LAB,
    PLANTED_SECRET_KINDS,
    PLANTED_SECRETS,
    SCENARIOS,
    cli_main,
    generate_corpus,
)

REPO = Path(__file__).resolve().parents[3]
COMMITTED = REPO / "workflow" / "resources" / "sessions"
KNOWN_TYPES = {
    "user",
    "assistant",
    "system",
    "progress",
    "summary",
    "file-history-snapshot",
    "queue-operation",
}
CHAINED = {"user", "assistant", "system", "progress"}
ENVELOPE = [
    "parentUuid",
    "isSidechain",
    "userType",
    "cwd",
    "sessionId",
    "version",
    "gitBranch",
    "type",
    "uuid",
    "timestamp",
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sessions")
    generate_corpus(out, DEFAULT_SESSIONS, DEFAULT_SEED)
    return out


def _load(root: Path) -> dict[Path, list[dict]]:
    return {
        p: [json.loads(line) for line in p.read_text("utf-8").splitlines()]
        for p in sorted(root.rglob("*.jsonl"))
    }


@pytest.fixture(scope="module")
def files(corpus: Path) -> dict[Path, list[dict]]:
    return _load(corpus)


@pytest.fixture(scope="module", params=["default", "scaled"])
def any_files(
    request: pytest.FixtureRequest, corpus: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[Path, list[dict]]:
    """Format checks run on the default corpus and on a scaled one (long sessions)."""
    if request.param == "default":
        return _load(corpus)
    out = tmp_path_factory.mktemp("scaled")
    generate_corpus(out, 2, seed=5, scale_bytes=3_000_000)
    return _load(out)


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def _session_records(files: dict[Path, list[dict]]) -> dict[str, list[dict]]:
    """All records of a session (main file and every agent file), keyed by sessionId."""
    by_session: dict[str, list[dict]] = defaultdict(list)
    for recs in files.values():
        for r in recs:
            if "sessionId" in r:
                by_session[r["sessionId"]].append(r)
    return by_session


def test_two_runs_are_byte_identical(corpus: Path, tmp_path: Path) -> None:
    generate_corpus(tmp_path, DEFAULT_SESSIONS, DEFAULT_SEED)
    assert _tree(tmp_path) == _tree(corpus)


def test_other_seed_gives_other_corpus(corpus: Path, tmp_path: Path) -> None:
    generate_corpus(tmp_path, 5, seed=1)
    assert set(_tree(tmp_path)).isdisjoint(_tree(corpus))


def test_committed_default_corpus_is_regenerable(corpus: Path) -> None:
    assert COMMITTED.is_dir(), "run the command in halops.samplegen's docstring"
    assert _tree(COMMITTED) == _tree(corpus)


def test_every_line_is_a_known_record_with_envelope(any_files: dict[Path, list[dict]]) -> None:
    for path, recs in any_files.items():
        assert recs, path
        for r in recs:
            assert r["type"] in KNOWN_TYPES, (path, r["type"])
            if r["type"] in CHAINED:
                missing = [k for k in ENVELOPE if k not in r]
                assert not missing, (path, missing)
                assert r["userType"] == "external"
                assert r["timestamp"].endswith("Z") and len(r["timestamp"]) == 24


def test_uuids_unique_and_parents_resolve(any_files: dict[Path, list[dict]]) -> None:
    for session, recs in _session_records(any_files).items():
        uuids = [r["uuid"] for r in recs if "uuid" in r]
        assert len(uuids) == len(set(uuids)), session
        known = set(uuids)
        for r in recs:
            if r.get("parentUuid") is not None:
                assert r["parentUuid"] in known, (session, r["uuid"])
            if "logicalParentUuid" in r:
                assert r["parentUuid"] is None and r["logicalParentUuid"] in known


def test_timestamps_never_go_back_within_a_file(any_files: dict[Path, list[dict]]) -> None:
    for path, recs in any_files.items():
        stamps = [r["timestamp"] for r in recs if "timestamp" in r]
        assert stamps == sorted(stamps), path


def test_assistant_records_hold_one_block_and_share_ids(any_files: dict[Path, list[dict]]) -> None:
    request_of: dict[str, str] = {}
    sizes: Counter[int] = Counter()
    for recs in any_files.values():
        groups = Counter(r["message"]["id"] for r in recs if r["type"] == "assistant")
        sizes.update(groups.values())
        for r in recs:
            if r["type"] != "assistant":
                continue
            assert len(r["message"]["content"]) == 1
            assert request_of.setdefault(r["message"]["id"], r["requestId"]) == r["requestId"]
            block = r["message"]["content"][0]
            if block["type"] == "thinking":
                assert block["thinking"] and block["signature"].startswith("E")
    assert sizes[1] and sum(n for size, n in sizes.items() if size >= 3)


def test_tool_results_interleave_some_message_groups(files: dict[Path, list[dict]]) -> None:
    interleaved = 0
    for recs in files.values():
        chained = [r for r in recs if r["type"] in ("user", "assistant")]
        last_index: dict[str, int] = {}
        for i, r in enumerate(chained):
            if r["type"] == "assistant":
                mid = r["message"]["id"]
                if mid in last_index and any(
                    c["type"] == "user" for c in chained[last_index[mid] + 1 : i]
                ):
                    interleaved += 1
                last_index[mid] = i
    assert interleaved >= 10


def test_every_tool_use_has_exactly_one_result(any_files: dict[Path, list[dict]]) -> None:
    for path, recs in any_files.items():
        uses = {}
        for r in recs:
            if r["type"] == "assistant" and r["message"]["content"][0]["type"] == "tool_use":
                uses[r["message"]["content"][0]["id"]] = r["uuid"]
        results = Counter()
        for r in recs:
            content = r.get("message", {}).get("content") if r["type"] == "user" else None
            for block in content if isinstance(content, list) else []:
                if block["type"] == "tool_result":
                    results[block["tool_use_id"]] += 1
                    assert r["parentUuid"] == uses[block["tool_use_id"]]
                    if "sourceToolAssistantUUID" in r:
                        assert r["sourceToolAssistantUUID"] == r["parentUuid"]
                    assert "toolUseResult" in r
        assert set(results) == set(uses) and set(results.values()) <= {1}, path


def test_errors_interruptions_and_recovery_shapes(files: dict[Path, list[dict]]) -> None:
    texts = Counter()
    for recs in files.values():
        for r in recs:
            if r["type"] != "user" or not isinstance(r["message"]["content"], list):
                continue
            block = r["message"]["content"][0]
            if block["type"] == "tool_result" and block.get("is_error"):
                assert isinstance(r["toolUseResult"], str)
                if block["content"].startswith("Exit code"):
                    assert r["toolUseResult"] == "Error: " + block["content"]
                    texts["exit"] += 1
                if "Connection timed out" in block["content"]:
                    texts["timeout"] += 1
            if block["type"] == "text" and block["text"].startswith("[Request interrupted"):
                texts["interrupt"] += 1
    assert texts["exit"] >= 10 and texts["timeout"] and texts["interrupt"]


def test_skill_call_result_and_injected_body(any_files: dict[Path, list[dict]]) -> None:
    found = 0
    for recs in any_files.values():
        skills = {
            r["message"]["content"][0]["id"]: r["message"]["content"][0]["input"]["skill"]
            for r in recs
            if r["type"] == "assistant" and r["message"]["content"][0].get("name") == "Skill"
        }
        for r in recs:
            if r.get("sourceToolUseID"):
                assert r["isMeta"] is True and r["sourceToolUseID"] in skills
                assert r["message"]["content"][0]["text"].startswith("Base directory")
                found += 1
    assert found


def test_compaction_boundary_then_summary(any_files: dict[Path, list[dict]]) -> None:
    seen = 0
    for recs in any_files.values():
        for a, b in itertools.pairwise(recs):
            if a.get("subtype") == "compact_boundary":
                assert b.get("isCompactSummary") and b["parentUuid"] == a["uuid"]
                assert b["message"]["content"].startswith("This session is being continued")
                seen += 1
    assert seen >= 2


def test_both_subagent_layouts_are_linked(corpus: Path, files: dict[Path, list[dict]]) -> None:
    flat = [p for p in files if p.name.startswith("agent-") and p.parent.parent == corpus]
    nested = [p for p in files if p.parent.name == "subagents"]
    assert flat and nested
    mains = {p.stem: p for p in files if not p.name.startswith("agent-")}
    for p in flat:
        session = files[p][0]["sessionId"]
        assert session in mains and mains[session].parent == p.parent
    for p in flat + nested:
        recs = files[p]
        assert recs[0]["parentUuid"] is None or "acompact" in p.name
        assert all(r["isSidechain"] and r["agentId"] == p.stem[6:] for r in recs)
    for path, recs in files.items():
        for r in recs:
            tur = r.get("toolUseResult")
            if isinstance(tur, dict) and "agentId" in tur:
                agent = f"agent-{tur['agentId']}.jsonl"
                assert (path.parent / agent).exists() or (
                    path.parent / path.stem / "subagents" / agent
                ).exists()
                assert isinstance(r["message"]["content"][0]["content"], list)


def test_progress_and_harness_records_present(files: dict[Path, list[dict]]) -> None:
    kinds = Counter()
    for recs in files.values():
        for r in recs:
            kinds[r["type"] + ":" + (r.get("subtype") or r.get("data", {}).get("type") or "")] += 1
    for kind in (
        "progress:agent_progress",
        "progress:bash_progress",
        "progress:hook_progress",
        "system:turn_duration",
        "system:stop_hook_summary",
        "summary:",
        "queue-operation:",
        "file-history-snapshot:",
        "system:compact_boundary",
    ):
        assert kinds[kind], kind


def test_every_planted_secret_kind_is_in_the_raw_corpus(corpus: Path) -> None:
    raw = "".join(p.read_text("utf-8") for p in corpus.rglob("*.jsonl"))
    for kind, secrets in PLANTED_SECRET_KINDS.items():
        for secret in secrets:
            assert json.dumps(secret)[1:-1] in raw, kind
    assert len(PLANTED_SECRETS) == sum(len(v) for v in PLANTED_SECRET_KINDS.values())


def test_all_scenarios_projects_and_lab_hosts_used(corpus: Path) -> None:
    raw = "".join(p.read_text("utf-8") for p in corpus.rglob("*.jsonl"))
    for name in (
        "pve01",
        "pve02",
        "pve03",
        "bmc-pve01",
        "nas01",
        "mon01",
        "ipmitool -I lanplus",
        "/api/v1/query",
        "/api/v2/alerts",
        "zpool status",
        "smartctl",
        "bridge vlan",
        "journalctl",
        "systemctl",
    ):
        assert name in raw, name
    assert LAB["monitoring"]["mon01"]["services"]["prometheus"] == 9090
    assert {p.name for p in corpus.iterdir()} == {s.project for s in SCENARIOS}


def test_scale_bytes_adds_long_sessions_after_the_regular_ones(
    corpus: Path, tmp_path: Path
) -> None:
    stats = generate_corpus(tmp_path, DEFAULT_SESSIONS, DEFAULT_SEED, scale_bytes=3_000_000)
    assert stats.bytes >= 3_000_000 and stats.per_scenario["long_session"] >= 2
    small, big = _tree(corpus), _tree(tmp_path)
    assert all(big[name] == data for name, data in small.items())


def test_sessions_do_not_depend_on_corpus_size(corpus: Path, tmp_path: Path) -> None:
    generate_corpus(tmp_path, 5, DEFAULT_SEED)
    small, big = _tree(tmp_path), _tree(corpus)
    assert small and all(big[name] == data for name, data in small.items())


def test_cli_writes_corpus_and_prints_stats(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert cli_main(["--out", str(tmp_path), "--sessions", "3", "--seed", "7"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["sessions"] == 3 and stats["files"] == len(list(tmp_path.rglob("*.jsonl")))
    assert sum(stats["per_scenario"].values()) == 3
    assert set(stats["per_scenario"]) <= {s.name for s in SCENARIOS}


def test_manifest_names_every_session_with_its_intended_quality(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.jsonl"
    generate_corpus(tmp_path / "s", DEFAULT_SESSIONS, DEFAULT_SEED, manifest_path=manifest)
    rows = [json.loads(line) for line in manifest.read_text().splitlines()]
    mains = {p.stem for p in (tmp_path / "s").glob("*/*.jsonl") if not p.name.startswith("agent-")}
    assert {r["session_id"] for r in rows} == mains
    qualities = Counter(r["quality"] for r in rows)
    assert set(qualities) == {"clean", "messy", "abandoned", "offtopic"}
    assert qualities["clean"] < 0.8 * len(rows)
