"""The bot's SQLite file, opened one way by every part that keeps state in it.

The audit log, the pending approvals, the thread memory and the replay guard each own tables in
the same file (`audit_db` of config/agent.yaml). They share these settings, so that no part can
open it differently: WAL (readers never block the writer), a busy timeout (two processes or
connections wait for each other instead of failing with "database is locked"), autocommit
(`isolation_level=None`: every statement is its own transaction unless a caller opens one),
and one connection per part that every thread uses under a re-entrant lock.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

# Seconds a statement waits for another connection's lock before "database is locked".
BUSY_TIMEOUT_S = 30


def connect(
    path: str | Path,
    *,
    foreign_keys: bool = False,
    recursive_triggers: bool = False,
    synchronous: str = "FULL",
) -> sqlite3.Connection:
    """A connection to `path` (its folder is created) with the bot's settings."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(
        path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_S
    )
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={synchronous}")
    if foreign_keys:
        db.execute("PRAGMA foreign_keys=ON")
    if recursive_triggers:
        db.execute("PRAGMA recursive_triggers=ON")
    return db


class SharedConnection:
    """Base of the parts that keep tables in the bot's SQLite file: `self._db`, used only under
    `self._lock` (Slack conversations and clicks run on several threads), and `close()`.

    `migrate` runs before `schema` (the `CREATE ... IF NOT EXISTS` script), so that an older
    file is brought to the current layout first.
    """

    def __init__(
        self,
        path: str | Path,
        schema: str,
        *,
        migrate: Callable[[sqlite3.Connection], None] | None = None,
        rows_by_name: bool = False,
        foreign_keys: bool = False,
        recursive_triggers: bool = False,
        synchronous: str = "FULL",
    ) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._db = connect(
            self.path,
            foreign_keys=foreign_keys,
            recursive_triggers=recursive_triggers,
            synchronous=synchronous,
        )
        if rows_by_name:
            self._db.row_factory = sqlite3.Row
        with self._lock:
            if migrate is not None:
                migrate(self._db)
            self._db.executescript(schema)

    def close(self) -> None:
        with self._lock:
            self._db.close()
