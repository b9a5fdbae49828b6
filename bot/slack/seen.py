"""Requests already accepted, kept in SQLite for the replay window, so that a replay is refused
after a restart too.

Two kinds of key: `event:<event_id>` (Slack redelivers an event it thinks was not acknowledged;
a second delivery must not start a second conversation, in HTTP or Socket Mode) and
`signature:<v0=...>` (the exact signed bytes of an HTTP request: a captured slash command or
click replayed within the signature's five minutes must not act twice).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from bot.database import SharedConnection

_SCHEMA = """
CREATE TABLE IF NOT EXISTS seen_requests (
    key     TEXT PRIMARY KEY,
    seen_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS seen_requests_by_age ON seen_requests (seen_at);
"""
PRUNE_EVERY = 256  # inserts between deletions of expired keys


class SeenRequests(SharedConnection):
    """`first_time(key)`: True once per key within `window_s` (and across restarts)."""

    def __init__(
        self, path: str | Path, window_s: float, clock: Callable[[], float] = time.time
    ) -> None:
        self.window_s, self._clock = window_s, clock
        self._inserts = 0
        # WAL + NORMAL: durable across a crash of the bot (a power cut may forget the last
        # keys, which only lets a replay of those few through); the other tables keep FULL.
        super().__init__(path, _SCHEMA, synchronous="NORMAL")

    def first_time(self, key: str) -> bool:
        now = self._clock()
        with self._lock:
            self._inserts += 1
            if self._inserts % PRUNE_EVERY == 1:
                self._db.execute(
                    "DELETE FROM seen_requests WHERE seen_at < ?", (now - self.window_s,)
                )
            # An expired key counts as new: replace it only when older than the window.
            cursor = self._db.execute(
                "INSERT INTO seen_requests (key, seen_at) VALUES (?, ?) ON CONFLICT (key) DO "
                "UPDATE SET seen_at = excluded.seen_at WHERE seen_requests.seen_at < ?",
                (key, now, now - self.window_s),
            )
            return cursor.rowcount == 1
