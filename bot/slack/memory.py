"""Conversation memory = the Slack thread, kept in SQLite beside the audit log.

Kept locally rather than re-read with `conversations.replies`: the thread also holds status
and approval messages that are not conversation, re-reading needs history scopes in every
channel, and a local table survives a restart just as well. Every key includes the channel
and the thread's ts, so two threads never share memory.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from bot.database import SharedConnection

_SCHEMA = """
CREATE TABLE IF NOT EXISTS thread_messages (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    channel   TEXT NOT NULL,
    thread_ts TEXT NOT NULL,
    role      TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    content   TEXT NOT NULL,
    ts        REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS thread_messages_by_thread ON thread_messages (channel, thread_ts, id);
"""

PREFIX = "slack"


@dataclass(frozen=True)
class ThreadKey:
    """One conversation: a thread in a channel (or DM)."""

    channel: str
    thread_ts: str

    @property
    def conversation_id(self) -> str:
        return f"{PREFIX}:{self.channel}:{self.thread_ts}"

    @classmethod
    def parse(cls, conversation_id: str) -> ThreadKey:
        prefix, channel, thread_ts = conversation_id.split(":", 2)
        if prefix != PREFIX or not channel or not thread_ts:
            raise ValueError(f"not a Slack conversation id: {conversation_id!r}")
        return cls(channel, thread_ts)


class ThreadMemory(SharedConnection):
    def __init__(self, path: str | Path) -> None:
        super().__init__(path, _SCHEMA)

    def load(self, key: ThreadKey, limit: int) -> list[dict[str, str]]:
        """The thread's last `limit` text messages, oldest first."""
        if limit == 0:
            return []
        with self._lock:
            rows = self._db.execute(
                "SELECT role, content FROM thread_messages WHERE channel = ? AND thread_ts = ?"
                " ORDER BY id DESC LIMIT ?",
                (key.channel, key.thread_ts, limit),
            ).fetchall()
        return [{"role": role, "content": content} for role, content in reversed(rows)]

    def append(self, key: ThreadKey, role: str, content: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO thread_messages (channel, thread_ts, role, content, ts)"
                " VALUES (?, ?, ?, ?, ?)",
                (key.channel, key.thread_ts, role, content, time.time()),
            )
