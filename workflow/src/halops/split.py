"""Train / val / test split by session.

Examples of one session share hosts, commands and wording (a multi-turn example and its
single-turn slices are near copies), so splitting by example would leak test data into train.
Every session goes to exactly one split. Sessions are ordered by a seeded hash of their id rather
than shuffled: the order of a session does not depend on which other sessions exist, so adding
transcripts later moves few existing sessions between splits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

SPLITS = ("train", "val", "test")


def _rank(session_id: str, seed: int) -> str:
    return hashlib.sha256(f"{seed}:{session_id}".encode()).hexdigest()


def split_sizes(n_sessions: int, ratios: dict[str, float]) -> dict[str, int]:
    """Sessions per split. With 3 or more sessions val and test each get at least one (a tiny
    corpus still needs an evaluation set), and train keeps the rest (at least one)."""
    sizes = {name: round(n_sessions * ratios.get(name, 0.0)) for name in ("val", "test")}
    if n_sessions >= 3:
        sizes = {name: max(1, size) for name, size in sizes.items()}
    while n_sessions > 0 and sizes["val"] + sizes["test"] > n_sessions - 1:
        largest = max(("test", "val"), key=lambda name: sizes[name])  # shrink the larger first
        if sizes[largest] == 0:
            break
        sizes[largest] -= 1
    sizes["train"] = n_sessions - sizes["val"] - sizes["test"]
    return {name: sizes[name] for name in SPLITS}


def assign_splits(
    session_ids: Iterable[str], ratios: dict[str, float], seed: int
) -> dict[str, str]:
    """Map every distinct session id to "train", "val" or "test"; deterministic for a seed."""
    ordered = sorted(set(session_ids), key=lambda sid: (_rank(sid, seed), sid))
    sizes = split_sizes(len(ordered), ratios)
    assignment: dict[str, str] = {}
    cursor = 0
    # test and val are cut first so that their (small) sizes are exact.
    for name in ("test", "val", "train"):
        for session_id in ordered[cursor : cursor + sizes[name]]:
            assignment[session_id] = name
        cursor += sizes[name]
    return assignment
