"""qualify: every component on hand-made sessions, tiers, reasons and bad input."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from halops.qualify import (
    COLUMNS,
    DomainConfig,
    QualifyConfig,
    assign_tier,
    domain_terms,
    qualify_sessions,
    score_session,
    weighted_score,
)
from halops.rows import build_rows

DOMAIN = DomainConfig(
    hosts=("pve01", "nas01", "bmc-pve01"), keywords=("zfs", "zpool", "ssh", "systemctl")
)
CFG = QualifyConfig(
    weights=dict.fromkeys(
        ("tool_success", "recovery", "completion", "no_corrections", "depth", "relevance"), 1.0
    ),
    tier_a=0.75,
    tier_b=0.5,
    depth_cap=4,
    relevance_cap=4,
    correction_phrases=("no,", "that's wrong", "actually", "stop,"),
    correction_scan_chars=40,
)


def bash(call_id: str, command: str) -> dict:
    return {"id": call_id, "name": "Bash", "input": {"command": command}}


def result(call_id: str, text: str, error: bool = False, name: str | None = "Bash") -> dict:
    return {
        "kind": "tool_result",
        "tool_use_id": call_id,
        "tool_name": name,
        "text": text,
        "is_error": error,
    }


CLEAN = [
    {"kind": "user_prompt", "text": "Check the zpool on pve01"},
    {
        "kind": "assistant",
        "text": "Checking.",
        "tool_calls": [bash("t1", "ssh pve01 zpool status")],
    },
    result("t1", "pool: tank\n state: ONLINE"),
    {"kind": "assistant", "tool_calls": [bash("t2", "ssh pve01 systemctl status zfs-zed")]},
    result("t2", "active (running)"),
    {"kind": "assistant", "text": "The pool is healthy."},
]

MESSY = [
    {"kind": "user_prompt", "text": "restart nfs on nas01"},
    {"kind": "assistant", "tool_calls": [bash("t1", "ssh nas01 systemctl restart nfs")]},
    result("t1", "Exit code 1\nPermission denied", error=True),
    {"kind": "assistant", "tool_calls": [bash("t2", "ssh nas01 sudo systemctl restart nfs")]},
    result("t2", "ok"),
    {
        "kind": "assistant",
        "tool_calls": [{"id": "t3", "name": "Read", "input": {"file_path": "/etc/exports"}}],
    },
    result("t3", "File does not exist.", error=True, name="Read"),
    {"kind": "user_prompt", "text": "No, that's the wrong file"},
    {"kind": "assistant", "tool_calls": [bash("t4", "ssh pve01 ls")]},
    result("t4", "The user doesn't want to proceed with this tool use.", error=True),
    {"kind": "interrupt", "text": "[Request interrupted by user for tool use]"},
]

OFF_TOPIC = [
    {"kind": "user_prompt", "text": "Fix the failing CSS build"},
    {"kind": "assistant", "tool_calls": [bash("t1", "npm run build")]},
    result("t1", "built in 2s"),
    {"kind": "assistant", "text": "Fixed."},
]

COMPONENTS = ("tool_success", "recovery", "completion", "no_corrections", "depth", "relevance")


def components(score: dict) -> dict:
    return {name: score[name] for name in COMPONENTS}


def test_clean_session_is_tier_a() -> None:
    score = score_session(build_rows(CLEAN, "clean", "lab"), CFG, DOMAIN)
    assert components(score) == {
        "tool_success": 1.0,
        "recovery": 1.0,
        "completion": 1.0,
        "no_corrections": 1.0,
        "depth": 0.5,
        "relevance": 1.0,
    }
    assert score["score"] == pytest.approx(5.5 / 6)
    assert score["tier"] == "A"
    assert (score["session_id"], score["project"]) == ("clean", "lab")
    assert score["n_domain_terms"] == 4  # pve01 ssh zpool systemctl; not zfs inside zfs-zed
    assert score["reason"] == (
        "tier A: 2 tool calls, 100% success, 0 corrections, 0 interruptions, relevance 1.0, "
        "ends with an answer"
    )


def test_messy_session_is_tier_c() -> None:
    score = score_session(build_rows(MESSY), CFG, DOMAIN)
    assert components(score) == pytest.approx(
        {
            "tool_success": 0.25,
            "recovery": 1 / 3,
            "completion": 0.0,
            "no_corrections": 0.0,
            "depth": 1.0,
            "relevance": 1.0,
        }
    )
    assert score["score"] == pytest.approx((0.25 + 1 / 3 + 2) / 6)
    assert score["tier"] == "C"
    counts = {key: score[key] for key in ("n_errors", "n_recovered", "n_corrections")}
    assert counts == {"n_errors": 3, "n_recovered": 1, "n_corrections": 1}
    assert score["n_interrupts"] == 1
    assert score["reason"] == (
        "tier C: 4 tool calls, 25% success, 1/3 errors recovered, 1 correction, 1 interruption, "
        "relevance 1.0, no final answer"
    )


def test_off_topic_session_scores_lower_relevance() -> None:
    score = score_session(build_rows(OFF_TOPIC), CFG, DOMAIN)
    assert score["relevance"] == 0.0
    assert score["depth"] == 0.25
    assert score["score"] == pytest.approx(4.25 / 6)
    assert score["tier"] == "B"


# The operator's correction after a request: its errors are then not "reported" (recovery
# counts only a later success on the same tool and host).
STEERED = {"kind": "user_prompt", "text": "no, that's wrong"}


def diagnosis(*after: dict) -> list[dict]:
    """A request whose one command exits non-zero with the finding, answered in text."""
    return [
        {"kind": "user_prompt", "text": "is nginx running on pve01?"},
        {"kind": "assistant", "tool_calls": [bash("t1", "ssh pve01 systemctl status nginx")]},
        result("t1", "Exit code 3\n● nginx.service - failed", error=True),
        {"kind": "assistant", "text": "No: nginx on pve01 failed at 03:12."},
        *after,
    ]


@pytest.mark.parametrize(
    ("after", "recovered"),
    [
        ((), 1),  # the finding was reported and the session ended there
        (({"kind": "user_prompt", "text": "thanks, and nas01?"},), 1),  # the operator moved on
        ((STEERED,), 0),  # the operator had to correct the answer
        (({"kind": "interrupt", "text": "[Request interrupted by user]"},), 0),
    ],
)
def test_an_error_the_answer_reports_counts_as_handled(after: tuple, recovered: int) -> None:
    score = score_session(build_rows(diagnosis(*after)), CFG, DOMAIN)
    assert (score["n_errors"], score["n_recovered"], score["recovery"]) == (1, recovered, recovered)
    assert score["tool_success"] == 0.0  # the non-zero exit still counts as an error there


def test_an_error_without_an_answer_is_not_reported() -> None:
    rows = diagnosis()[:3]  # no answer: the request ends on the failed command
    score = score_session(build_rows(rows), CFG, DOMAIN)
    assert (score["n_errors"], score["n_recovered"]) == (1, 0)


def test_recovery_needs_same_host() -> None:
    rows = [
        {"kind": "user_prompt", "text": "x"},
        {"kind": "assistant", "tool_calls": [bash("t1", "ssh nas01 df")]},
        result("t1", "timeout", error=True),
        {"kind": "assistant", "tool_calls": [bash("t2", "ssh pve01 df")]},
        result("t2", "ok"),
        {"kind": "assistant", "text": "done"},
        STEERED,  # so the answer does not count as reporting the error either
    ]
    assert score_session(build_rows(rows), CFG, DOMAIN)["recovery"] == 0.0
    rows[3] = {"kind": "assistant", "tool_calls": [bash("t2", "ssh NAS01 df -h")]}
    assert score_session(build_rows(rows), CFG, DOMAIN)["recovery"] == 1.0


def test_recovery_of_a_file_edit_needs_the_same_file() -> None:
    def edit(call_id: str, path: str) -> dict:
        return {
            "kind": "assistant",
            "tool_calls": [{"id": call_id, "name": "Edit", "input": {"file_path": path}}],
        }

    rows = [
        {"kind": "user_prompt", "text": "x"},
        edit("e1", "/etc/a.conf"),
        result("e1", "String to replace not found", error=True, name="Edit"),
        edit("e2", "/etc/b.conf"),
        result("e2", "updated", name="Edit"),
        edit("e3", "/etc/a.conf"),
        result("e3", "updated", name="Edit"),
    ]
    assert score_session(build_rows(rows[:5]), CFG, DOMAIN)["n_recovered"] == 0
    assert score_session(build_rows(rows), CFG, DOMAIN)["n_recovered"] == 1


def test_recovery_stays_within_one_conversation() -> None:
    rows = [
        {"kind": "user_prompt", "text": "x"},
        {"kind": "assistant", "tool_calls": [bash("t1", "uptime")]},
        result("t1", "boom", error=True),
        {"kind": "assistant", "text": "failed"},
        STEERED,
        {"kind": "assistant", "text": "sorry"},
        {"kind": "user_prompt", "text": "task", "agent_id": "a1"},
        {"kind": "assistant", "tool_calls": [bash("t2", "uptime")], "agent_id": "a1"},
        result("t2", "up 3 days") | {"agent_id": "a1"},
    ]
    score = score_session(build_rows(rows), CFG, DOMAIN)
    assert (score["n_errors"], score["n_recovered"]) == (1, 0)
    # Subagent rows count for tool work but not as the operator's prompts.
    assert (score["n_tool_calls"], score["n_prompts"]) == (2, 2)
    assert score["completion"] == 1.0


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("No, use the other pool", 1),
        ("no, that’s wrong", 1),  # curly apostrophe
        ("Actually check nas01", 1),
        ("Stop, this is prod", 1),
        ("stop nginx on pve01", 0),  # an ops request, not a correction
        ("Nothing changed?", 0),  # "no" inside a word
        ("Please look at the zfs pool and then tell me, actually", 0),  # past the opening
    ],
)
def test_corrections(prompt: str, expected: int) -> None:
    rows = [{"kind": "user_prompt", "text": prompt}, {"kind": "assistant", "text": "ok"}]
    assert score_session(build_rows(rows), CFG, DOMAIN)["n_corrections"] == expected


@pytest.mark.parametrize(
    ("last", "expected"),
    [
        ({"kind": "assistant", "text": "Done."}, 1.0),
        ({"kind": "assistant", "text": "API Error: 500", "model": "<synthetic>"}, 0.0),
        ({"kind": "assistant", "text": "Running", "tool_calls": [bash("t9", "ls")]}, 0.0),
        ({"kind": "assistant", "text": "", "thinking": "hmm"}, 0.0),
        ({"kind": "interrupt", "text": "[Request interrupted by user]"}, 0.0),
        ({"kind": "user_prompt", "text": "hello?"}, 0.0),
        ({"kind": "system", "text": "turn took 3s"}, 1.0),  # noise after the answer is ignored
    ],
)
def test_completion(last: dict, expected: float) -> None:
    rows = [{"kind": "user_prompt", "text": "x"}, {"kind": "assistant", "text": "Done."}, last]
    assert score_session(build_rows(rows), CFG, DOMAIN)["completion"] == expected


def test_domain_terms_are_whole_words() -> None:
    text = "ssh-keygen on BMC-PVE01, then PVE01.lab; zfs; nas011 and zpools"
    assert domain_terms(text, DOMAIN) == {"bmc-pve01", "pve01", "zfs"}


def test_session_without_prompt_is_tier_c() -> None:
    rows = [
        {"kind": "meta", "text": "Caveat: local command"},
        {"kind": "command", "text": "<command-name>/cost</command-name>"},
        {"kind": "system", "text": "Conversation compacted"},
    ]
    score = score_session(build_rows(rows), CFG, DOMAIN)
    assert score["tier"] == "C"
    assert score["reason"] == "tier C: no user prompt"
    assert score["n_prompts"] == 0


def test_orphan_subagent_session_is_scored_on_its_own_prompt() -> None:
    rows = [{**row, "agent_id": "a7"} for row in CLEAN]
    score = score_session(build_rows(rows), CFG, DOMAIN)
    assert (score["tier"], score["n_prompts"]) == ("A", 1)


def test_unpaired_tool_result_still_counts() -> None:
    rows = [
        {"kind": "user_prompt", "text": "x"},
        result("ghost", "oops", error=True, name=None),
        {"kind": "assistant", "text": "ok"},
        STEERED,
    ]
    score = score_session(build_rows(rows), CFG, DOMAIN)
    assert (score["n_tool_results"], score["n_errors"], score["recovery"]) == (1, 1, 0.0)


def test_weights_and_tiers() -> None:
    assert weighted_score({"depth": 0.5, "relevance": 1.0}, {"depth": 3, "relevance": 1}) == 0.625
    assert weighted_score({"depth": 0.5}, {"depth": 0}) == 0.0
    assert [assign_tier(s, 1, CFG) for s in (0.75, 0.7499, 0.5, 0.49)] == ["A", "B", "B", "C"]
    assert assign_tier(1.0, 0, CFG) == "C"


def test_qualify_sessions_reads_shard_files_and_handles_empty(tmp_path: Path) -> None:
    shard = tmp_path / "shard-00.parquet"
    frames = [build_rows(CLEAN, "clean", "lab"), build_rows(MESSY, "messy", "lab")]
    pd.concat(frames, ignore_index=True).to_parquet(shard)
    empty = tmp_path / "shard-01.parquet"
    build_rows([]).to_parquet(empty)
    single = tmp_path / "shard-02.parquet"
    build_rows(OFF_TOPIC, "web", "site").to_parquet(single)
    frame = qualify_sessions([shard, empty, single], CFG, DOMAIN)
    assert list(frame.columns) == list(COLUMNS)
    assert frame[["session_id", "project", "tier"]].values.tolist() == [
        ["clean", "lab", "A"],
        ["messy", "lab", "C"],
        ["web", "site", "B"],
    ]
    assert all(frame[name].dtype == "float64" for name in (*COMPONENTS, "score"))


def test_a_shard_scores_each_session_as_alone(tmp_path: Path) -> None:
    shard = tmp_path / "shard.parquet"
    frames = [build_rows(MESSY, "messy", "lab"), build_rows(CLEAN, "clean", "lab")]
    pd.concat(frames, ignore_index=True).to_parquet(shard)
    together = qualify_sessions([shard], CFG, DOMAIN).set_index("session_id")
    for name, rows in (("clean", CLEAN), ("messy", MESSY)):
        alone = score_session(build_rows(rows, name, "lab"), CFG, DOMAIN)
        assert together.loc[name, "score"] == alone["score"]
        assert together.loc[name, "reason"] == alone["reason"]


def test_qualify_sessions_of_nothing_is_an_empty_table() -> None:
    frame = qualify_sessions([], CFG, DOMAIN)
    assert frame.empty and list(frame.columns) == list(COLUMNS)
    assert isinstance(frame, pd.DataFrame)


def test_tier_minimums_keep_a_high_score_out_of_a_tier() -> None:
    gated = QualifyConfig(
        minimums={"A": {"relevance": 0.5, "tool_success": 0.4}, "B": {"tool_success": 0.4}}
    )
    on_topic = {"relevance": 1.0, "tool_success": 1.0}
    off_topic = {"relevance": 0.0, "tool_success": 1.0}
    failing = {"relevance": 1.0, "tool_success": 0.2}
    assert assign_tier(0.9, 1, gated, on_topic) == "A"
    assert assign_tier(0.9, 1, gated, off_topic) == "B"
    assert assign_tier(0.9, 1, gated, failing) == "C"
    assert assign_tier(0.6, 1, gated, on_topic) == "B"
