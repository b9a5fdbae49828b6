"""Stable hash shards of sessions: one extract (and qualify) job per shard instead of per session.

A job per session paid one Python interpreter, its imports and Snakemake's script preamble for
every session (over 90% of the data stages' time); a job for everything would re-extract the
whole history for one new session. A shard is the middle: a session's shard is a hash of its
name (`<project>/<session>`) modulo the configured shard count, so

- it depends on nothing but the session's own name: adding, removing or changing other sessions
  never moves a session to another shard, and a new session reruns only its own shard;
- it is the same on every machine and Python run (blake2b, not the salted built-in `hash`);
- changing the shard count reshuffles everything (and re-extracts everything once).

Stdlib only: Snakemake imports this at every DAG build.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from halops.extract.sessions import SessionRef


def session_key(project: str, session: str) -> str:
    """The name a session is sharded by: its project folder and file stem."""
    return f"{project}/{session}"


def shard_of(key: str, n_shards: int) -> int:
    """The shard (0 .. n_shards-1) of a session key; uniform over keys, stable forever."""
    if n_shards < 1:
        raise ValueError(f"the shard count must be at least 1, got {n_shards}")
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % n_shards


def shard_label(index: int, n_shards: int) -> str:
    """Zero-padded shard number, so that file names sort in shard order (`07` of 16)."""
    return f"{index:0{len(str(n_shards - 1))}d}"


def sessions_by_shard(refs: Iterable[SessionRef], n_shards: int) -> dict[str, list[SessionRef]]:
    """Non-empty shards (label -> sessions sorted by key), in shard order.

    Empty shards get no job: a shard appears when its first session does.
    """
    shards: dict[int, list[SessionRef]] = {}
    for ref in refs:
        shards.setdefault(shard_of(session_key(ref.project, ref.session), n_shards), []).append(ref)
    return {
        shard_label(index, n_shards): sorted(
            shards[index], key=lambda r: session_key(r.project, r.session)
        )
        for index in sorted(shards)
    }
