"""The audit log: records round-trip, and SQLite itself refuses to change history."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from bot.safety import AuditLog, CommandPolicy
from bot.safety.audit import AuditError


@pytest.fixture
def audit(tmp_path: Path):
    ticks = iter(f"2026-11-27T06:00:{s:02d}.000+00:00" for s in range(60))
    with AuditLog(tmp_path / "audit" / "audit.sqlite", clock=lambda: next(ticks)) as log:
        yield log


def _record(audit: AuditLog, command: str = "reboot") -> int:
    verdict = CommandPolicy().evaluate(command)
    return audit.record_verdict(
        verdict, command=command, transport="shell", requester="U123", request_id="req-1"
    )


def test_verdict_round_trips(audit: AuditLog) -> None:
    verdict_id = _record(audit, "ls; reboot")
    [entry] = audit.recent(5)
    assert entry.id == verdict_id
    assert (entry.ts, entry.request_id, entry.requester) == (
        "2026-11-27T06:00:00.000+00:00",
        "req-1",
        "U123",
    )
    assert (entry.transport, entry.host, entry.command) == ("shell", None, "ls; reboot")
    assert (entry.decision, entry.rule_id) == ("confirm", "power.shutdown_reboot")
    assert entry.reason == "reboot of the host (in: reboot)"
    assert {f["rule_id"] for f in entry.findings} >= {"shell.readonly", "power.shutdown_reboot"}
    assert (entry.approver, entry.state, entry.exit_status) == (None, None, None)


def test_approval_lifecycle_is_a_sequence_of_events(audit: AuditLog) -> None:
    verdict_id = _record(audit)
    audit.record_event(verdict_id, "proposed", expires_at="2026-11-27T06:10:00+00:00")
    audit.record_event(verdict_id, "approved", actor="U_ALICE")
    audit.record_event(verdict_id, "executed", exit_status=0, detail={"duration_s": 1.5})
    [entry] = audit.recent(1)
    assert (entry.approver, entry.state, entry.exit_status) == ("U_ALICE", "executed", 0)
    kinds = [(e.kind, e.actor, e.expires_at, e.exit_status) for e in audit.events(verdict_id)]
    assert kinds == [
        ("proposed", None, "2026-11-27T06:10:00+00:00", None),
        ("approved", "U_ALICE", None, None),
        ("executed", None, None, 0),
    ]
    assert audit.events(verdict_id)[-1].detail == {"duration_s": 1.5}


def test_recent_is_newest_first_and_limited(audit: AuditLog) -> None:
    ids = [_record(audit, c) for c in ("ls", "reboot", "rm -rf /")]
    assert [e.id for e in audit.recent(2)] == ids[:0:-1]
    assert [e.decision for e in audit.recent(3)] == ["block", "confirm", "allow"]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE verdicts SET decision = 'allow'",
        "DELETE FROM verdicts",
        "INSERT OR REPLACE INTO verdicts (id, ts, request_id, requester, transport, command,"
        " decision, rule_id, reason) VALUES (1, 't', 'r', 'x', 'shell', 'ls', 'allow', 'a', 'b')",
        "UPDATE events SET actor = 'mallory'",
        "DELETE FROM events",
        "INSERT OR REPLACE INTO events (id, verdict_id, ts, kind) VALUES (1, 1, 't', 'approved')",
    ],
)
def test_history_cannot_be_changed(audit: AuditLog, statement: str) -> None:
    verdict_id = _record(audit)
    audit.record_event(verdict_id, "rejected", actor="U_BOB")
    # A separate connection, as a buggy or hostile component would open it (no pragmas).
    other = sqlite3.connect(audit.path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        other.execute(statement)
    other.close()
    [entry] = audit.recent(1)
    assert (entry.decision, entry.approver) == ("confirm", "U_BOB")


def test_events_need_an_existing_verdict_and_a_known_kind(audit: AuditLog) -> None:
    with pytest.raises(AuditError, match="unknown verdict"):
        audit.record_event(999, "approved", actor="U1")
    verdict_id = _record(audit)
    with pytest.raises(AuditError, match="unknown event kind"):
        audit.record_event(verdict_id, "approved-by-magic")


def test_log_is_in_wal_mode_and_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite"
    with AuditLog(path) as audit:
        _record(audit)
    with AuditLog(path) as audit:
        assert [e.command for e in audit.recent(5)] == ["reboot"]
        mode = audit._db.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_verdict_ids_stay_right_when_threads_write_at_once(tmp_path) -> None:
    from bot.safety.policy import Verdict

    audit = AuditLog(tmp_path / "audit.sqlite")
    errors: list[Exception] = []

    def worker(n: int) -> None:
        for i in range(40):
            try:
                command = f"cmd-{n}-{i}"
                vid = audit.record_verdict(
                    Verdict("confirm", "r", "why"), command=command, transport="ssh", requester="U"
                )
                audit.record_event(vid, "proposed", actor=command)
            except Exception as exc:  # collected: a thread's exception would be lost
                errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for entry in audit.recent(240):
        assert [e.actor for e in audit.events(entry.id)] == [entry.command]
    audit.close()


def test_outcomes_without_a_run_and_refused_clicks_are_events(audit: AuditLog) -> None:
    verdict_id = _record(audit)
    audit.record_event(verdict_id, "approved", actor="U_ALICE")
    audit.record_event(verdict_id, "not_run", detail={"reason": "rate limit"})
    audit.record_refusal("U_MALLORY", "not an approver", verdict_id=verdict_id)
    unknown = audit.record_refusal("U_MALLORY", "unknown approval", detail={"value": "999"})
    kinds = [(e.kind, e.actor) for e in audit.events(verdict_id)]
    assert kinds == [("approved", "U_ALICE"), ("not_run", None), ("refused", "U_MALLORY")]
    [newest, older] = audit.refusals(2)
    assert (newest.id, newest.verdict_id, newest.detail) == (
        unknown,
        None,
        {"reason": "unknown approval", "value": "999"},
    )
    assert older.verdict_id == verdict_id
    with pytest.raises(AuditError, match="needs a verdict"):
        audit.record_event(None, "interrupted")


OLD_EVENTS = """
CREATE TABLE verdicts (id INTEGER PRIMARY KEY AUTOINCREMENT, ts TEXT NOT NULL,
    request_id TEXT NOT NULL, requester TEXT NOT NULL, transport TEXT NOT NULL, host TEXT,
    command TEXT NOT NULL, decision TEXT NOT NULL CHECK (decision IN ('allow','confirm','block')),
    rule_id TEXT NOT NULL, reason TEXT NOT NULL, findings TEXT NOT NULL DEFAULT '[]');
CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT,
    verdict_id INTEGER NOT NULL REFERENCES verdicts(id), ts TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('proposed','approved','rejected','expired','executed',
        'failed','cancelled')),
    actor TEXT, expires_at TEXT, exit_status INTEGER, detail TEXT NOT NULL DEFAULT '{}');
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'append-only'); END;
CREATE VIEW audit_trail AS SELECT v.* FROM verdicts v;
INSERT INTO verdicts VALUES (1, 't', 'r', 'U1', 'ssh', 'pve01', 'reboot', 'confirm', 'x', 'y',
    '[]');
INSERT INTO events VALUES (1, 1, 't1', 'proposed', 'U1', NULL, NULL, '{}');
INSERT INTO events VALUES (7, 1, 't2', 'approved', 'U2', NULL, NULL, '{}');
"""


def test_a_file_from_before_the_new_kinds_is_migrated_with_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(OLD_EVENTS)
    with AuditLog(path) as audit:
        assert [(e.id, e.kind, e.actor) for e in audit.events(1)] == [
            (1, "proposed", "U1"),
            (7, "approved", "U2"),
        ]
        audit.record_event(1, "interrupted")
        assert audit.recent(1)[0].state == "interrupted"
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            audit._db.execute("DELETE FROM events WHERE id = 1")
    with AuditLog(path) as again:  # reopening migrates nothing twice
        assert [e.kind for e in again.events(1)] == ["proposed", "approved", "interrupted"]
