"""Pending approvals in SQLite, beside the audit log (same file, own table).

The audit log is append-only and says what happened; this table says what state each approval
is in *now*, and is what makes a decision apply once: every state change is a compare-and-set
(`UPDATE ... WHERE id = ? AND state = ?`), so a double click, a retried delivery or a second
approver finds the row no longer `pending` and changes nothing.

States: pending -> approved | rejected | expired | cancelled;
approved -> executed | failed | not_run | interrupted.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from bot.agent.confirm import ApprovalRequest
from bot.database import SharedConnection
from bot.safety.audit import EVENT_KINDS

# Every state an approval moves to is recorded as the audit event of the same name; the audit
# log's other kinds (a verdict proposed, a request refused) are not approval states.
STATES = ("pending", *(kind for kind in EVENT_KINDS if kind not in {"proposed", "refused"}))

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS approvals (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    verdict_id      INTEGER NOT NULL,
    conversation_id TEXT NOT NULL,
    channel         TEXT NOT NULL,
    thread_ts       TEXT NOT NULL,
    message_ts      TEXT,
    requester       TEXT NOT NULL,
    tool            TEXT NOT NULL,
    transport       TEXT NOT NULL,
    host            TEXT,
    command         TEXT NOT NULL,
    rule_id         TEXT NOT NULL,
    reason          TEXT NOT NULL,
    created_at      REAL NOT NULL,
    deadline        REAL NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ({", ".join(repr(s) for s in STATES)})),
    decided_by      TEXT,
    decided_at      REAL,
    exit_status     INTEGER,
    result          TEXT
);
CREATE INDEX IF NOT EXISTS approvals_by_state ON approvals (state);
CREATE INDEX IF NOT EXISTS approvals_by_conversation ON approvals (conversation_id, state);
"""


@dataclass(frozen=True, kw_only=True)
class Approval(ApprovalRequest):
    """A request as stored: the request's own fields (`arguments` excepted: the row keeps the
    command as the approver saw it), where it was posted, and what state it is in."""

    id: int
    channel: str
    thread_ts: str
    message_ts: str | None
    created_at: float
    deadline: float
    state: str
    decided_by: str | None = None
    decided_at: float | None = None
    exit_status: int | None = None
    result: str | None = None


# The request's fields that are columns (all but `arguments`).
REQUEST_COLUMNS = tuple(f.name for f in fields(ApprovalRequest) if f.name != "arguments")
# What a new approval is created with; the decision and result columns are filled later.
_NEW_COLUMNS = (
    *REQUEST_COLUMNS,
    "channel",
    "thread_ts",
    "message_ts",
    "created_at",
    "deadline",
)


class ApprovalStore(SharedConnection):
    """Listener and conversation threads share one connection (bot.database)."""

    def __init__(self, path: str | Path) -> None:
        super().__init__(path, _SCHEMA, rows_by_name=True)

    def create(self, **values: Any) -> Approval:
        """Insert a pending approval; `values` are the Approval fields other than id/state."""
        columns = [c for c in _NEW_COLUMNS if c in values]
        placeholders = ", ".join("?" for _ in columns)
        sql = (
            f"INSERT INTO approvals ({', '.join(columns)}, state) "
            f"VALUES ({placeholders}, 'pending')"
        )
        with self._lock:
            cursor = self._db.execute(sql, [values[c] for c in columns])
        approval = self.get(int(cursor.lastrowid or 0))
        assert approval is not None
        return approval

    def get(self, approval_id: int) -> Approval | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM approvals WHERE id = ?", (approval_id,))
            found = row.fetchone()
        return Approval(**dict(found)) if found else None

    def transition(self, approval_id: int, from_state: str, to_state: str, **values: Any) -> bool:
        """Compare-and-set: change the state only if it is still `from_state`. True if changed."""
        assignments = ", ".join(f"{name} = ?" for name in ["state", *values])
        sql = f"UPDATE approvals SET {assignments} WHERE id = ? AND state = ?"
        with self._lock:
            cursor = self._db.execute(sql, [to_state, *values.values(), approval_id, from_state])
        return cursor.rowcount == 1

    def set_message(self, approval_id: int, message_ts: str) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE approvals SET message_ts = ? WHERE id = ?", (message_ts, approval_id)
            )

    def in_state(self, state: str, conversation_id: str | None = None) -> list[Approval]:
        sql, args = "SELECT * FROM approvals WHERE state = ?", [state]
        if conversation_id is not None:
            sql, args = sql + " AND conversation_id = ?", [*args, conversation_id]
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY id", args).fetchall()
        return [Approval(**dict(row)) for row in rows]


def now() -> float:
    """Wall-clock seconds: deadlines must survive a restart, so no monotonic clock."""
    return time.time()
