"""The append-only audit log (SQLite): every verdict, and what happened to it afterwards.

Two tables, both append-only. `verdicts` holds one row per policy decision (who asked, what,
where, the decision, rule id and reason). What follows a verdict — a proposal shown to a
person, their approval or rejection, its expiry or cancellation, the execution and its exit
status, a command that was approved but never ran (`not_run`) or whose result never came back
(`interrupted`), a refused click (`refused`) — is a row in `events`, linked by `verdict_id`.
A refused click on an approval nobody knows (an unknown or tampered id) has no verdict: it is
an event without one. Rows are never changed: state is read by replaying events, which is what
an audit trail needs (the approval bot appends, it never edits).

Append-only is enforced inside SQLite by triggers that abort UPDATE and DELETE, and an
INSERT that would overwrite a row (`INSERT OR REPLACE`). That stops the application and its
bugs, not someone with write access to the file: ship the file off the host for that.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.database import SharedConnection
from bot.safety.policy import Verdict

EVENT_KINDS = (
    "proposed",
    "approved",
    "rejected",
    "expired",
    "cancelled",
    "executed",
    "failed",
    "not_run",
    "interrupted",
    "refused",
)
# PRAGMA user_version of the current layout; older files are migrated when opened.
SCHEMA_VERSION = 1

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS verdicts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    ts          TEXT NOT NULL,
    request_id  TEXT NOT NULL,
    requester   TEXT NOT NULL,
    transport   TEXT NOT NULL,
    host        TEXT,
    command     TEXT NOT NULL,
    decision    TEXT NOT NULL CHECK (decision IN ('allow', 'confirm', 'block')),
    rule_id     TEXT NOT NULL,
    reason      TEXT NOT NULL,
    findings    TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    verdict_id  INTEGER REFERENCES verdicts(id),
    ts          TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ({", ".join(repr(k) for k in EVENT_KINDS)})),
    actor       TEXT,
    expires_at  TEXT,
    exit_status INTEGER,
    detail      TEXT NOT NULL DEFAULT '{{}}',
    CHECK (verdict_id IS NOT NULL OR kind = 'refused')
);
CREATE INDEX IF NOT EXISTS events_by_verdict ON events (verdict_id, id);
CREATE INDEX IF NOT EXISTS verdicts_by_request ON verdicts (request_id);
"""


def _append_only_triggers(table: str) -> str:
    message = f"audit log is append-only: {table} rows cannot be changed"
    return f"""
CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table}
BEGIN SELECT RAISE(ABORT, '{message}'); END;
CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table}
BEGIN SELECT RAISE(ABORT, '{message}'); END;
CREATE TRIGGER IF NOT EXISTS {table}_no_overwrite BEFORE INSERT ON {table}
WHEN EXISTS (SELECT 1 FROM {table} WHERE id = NEW.id)
BEGIN SELECT RAISE(ABORT, '{message}'); END;
"""


# Foreign keys are a per-connection pragma; a trigger holds the link for every connection.
_EVENT_LINK_TRIGGER = """
CREATE TRIGGER IF NOT EXISTS events_need_verdict BEFORE INSERT ON events
WHEN NEW.verdict_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM verdicts WHERE id = NEW.verdict_id)
BEGIN SELECT RAISE(ABORT, 'event for an unknown verdict'); END;
"""

# The audit trail as a person reads it: each verdict with its latest approval and execution.
_TRAIL_VIEW = """
CREATE VIEW IF NOT EXISTS audit_trail AS
SELECT v.*,
    (SELECT e.actor FROM events e WHERE e.verdict_id = v.id
        AND e.kind IN ('approved', 'rejected') ORDER BY e.id DESC LIMIT 1) AS approver,
    (SELECT e.kind FROM events e WHERE e.verdict_id = v.id ORDER BY e.id DESC LIMIT 1) AS state,
    (SELECT e.exit_status FROM events e WHERE e.verdict_id = v.id
        AND e.kind IN ('executed', 'failed') ORDER BY e.id DESC LIMIT 1) AS exit_status
FROM verdicts v;
"""


class AuditError(RuntimeError):
    """A write the audit log refused (e.g. an event for an unknown verdict)."""


@dataclass(frozen=True)
class AuditEntry:
    """One verdict with what happened to it so far (from `audit_trail`)."""

    id: int
    ts: str
    request_id: str
    requester: str
    transport: str
    host: str | None
    command: str
    decision: str
    rule_id: str
    reason: str
    findings: list[dict[str, Any]]
    approver: str | None
    state: str | None  # the latest event kind, None while nothing followed the verdict
    exit_status: int | None


@dataclass(frozen=True)
class AuditEvent:
    id: int
    verdict_id: int | None  # None only for a refused click on an unknown approval
    ts: str
    kind: str
    actor: str | None
    expires_at: str | None
    exit_status: int | None
    detail: dict[str, Any]


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class AuditLog(SharedConnection):
    """Append-only verdict and event log in one SQLite file (WAL, so readers never block)."""

    def __init__(self, path: str | Path, clock: Callable[[], str] = _utc_now) -> None:
        self._clock = clock
        # One connection serves every thread (Slack conversations and clicks): without the lock
        # `cursor.lastrowid` can be another thread's row, and events attach to the wrong verdict.
        super().__init__(
            path,
            _SCHEMA
            + _append_only_triggers("verdicts")
            + _append_only_triggers("events")
            + _EVENT_LINK_TRIGGER
            + _TRAIL_VIEW
            + f"PRAGMA user_version = {SCHEMA_VERSION};",
            migrate=_migrate,
            rows_by_name=True,
            foreign_keys=True,
            # REPLACE deletes without firing delete triggers unless recursive triggers are on.
            recursive_triggers=True,
        )

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def record_verdict(
        self,
        verdict: Verdict,
        *,
        command: str,
        transport: str,
        host: str | None = None,
        requester: str,
        request_id: str | None = None,
    ) -> int:
        """Append one verdict; returns its id, which later events refer to."""
        findings = json.dumps([f.to_dict() for f in verdict.findings])
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO verdicts (ts, request_id, requester, transport, host, command,"
                " decision, rule_id, reason, findings) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    self._clock(),
                    request_id or uuid.uuid4().hex,
                    requester,
                    transport,
                    host,
                    command,
                    verdict.decision,
                    verdict.rule_id,
                    verdict.reason,
                    findings,
                ),
            )
        return int(cursor.lastrowid or 0)

    def record_event(
        self,
        verdict_id: int | None,
        kind: str,
        *,
        actor: str | None = None,
        exit_status: int | None = None,
        expires_at: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> int:
        """Append what happened to a verdict: proposed (with expires_at), approved/rejected
        (actor = the approver), expired, cancelled, executed/failed (with exit_status),
        not_run, interrupted, refused (actor = the clicker; the only kind without a verdict)."""
        if kind not in EVENT_KINDS:
            raise AuditError(f"unknown event kind {kind!r}; known: {', '.join(EVENT_KINDS)}")
        if verdict_id is None and kind != "refused":
            raise AuditError(f"a {kind} event needs a verdict")
        try:
            with self._lock:
                cursor = self._insert_event(
                    verdict_id, kind, actor, expires_at, exit_status, detail
                )
        except sqlite3.IntegrityError as exc:
            raise AuditError(str(exc)) from exc
        return int(cursor.lastrowid or 0)

    def _insert_event(
        self,
        verdict_id: int | None,
        kind: str,
        actor: str | None,
        expires_at: str | None,
        exit_status: int | None,
        detail: Mapping[str, Any] | None,
    ) -> sqlite3.Cursor:
        return self._db.execute(
            "INSERT INTO events (verdict_id, ts, kind, actor, expires_at, exit_status, detail)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                verdict_id,
                self._clock(),
                kind,
                actor,
                expires_at,
                exit_status,
                json.dumps(dict(detail or {})),
            ),
        )

    def record_refusal(
        self,
        actor: str,
        reason: str,
        *,
        verdict_id: int | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> int:
        """A refused click: who, why, on which verdict (None: the approval was unknown)."""
        return self.record_event(
            verdict_id,
            "refused",
            actor=actor,
            detail={"reason": reason, **(detail or {})},
        )

    def refusals(self, n: int = 20) -> list[AuditEvent]:
        """The last `n` refused clicks, newest first (also those on unknown approvals)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM events WHERE kind = 'refused' ORDER BY id DESC LIMIT ?", (n,)
            )
            return [_event(row) for row in rows]

    def recent(self, n: int = 20) -> list[AuditEntry]:
        """The last `n` verdicts, newest first, each with its approver, state and exit status."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM audit_trail ORDER BY id DESC LIMIT ?", (n,))
            return [_entry(row) for row in rows]

    def events(self, verdict_id: int) -> list[AuditEvent]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM events WHERE verdict_id = ? ORDER BY id", (verdict_id,)
            )
            return [_event(row) for row in rows]


def _migrate(db: sqlite3.Connection) -> None:
    """Files written before SCHEMA_VERSION 1 have an events table whose CHECK lacks the newer
    kinds and needs a verdict for every event. Its rows move into the new layout unchanged,
    ids included; DROP TABLE removes the old table without firing its delete triggers."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    has_events = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'"
    ).fetchone()
    if version >= SCHEMA_VERSION or not has_events:
        return
    db.executescript(
        "BEGIN IMMEDIATE;"
        "DROP VIEW IF EXISTS audit_trail;"
        "ALTER TABLE events RENAME TO events_v0;"
        + _SCHEMA
        + "INSERT INTO events SELECT * FROM events_v0;"
        "DROP TABLE events_v0;"
        "COMMIT;"
    )


def _entry(row: sqlite3.Row) -> AuditEntry:
    data = dict(row)
    data["findings"] = json.loads(data["findings"])
    return AuditEntry(**data)


def _event(row: sqlite3.Row) -> AuditEvent:
    data = dict(row)
    data["detail"] = json.loads(data["detail"])
    return AuditEvent(**data)
