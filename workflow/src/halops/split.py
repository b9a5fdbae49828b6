"""Train / val / test split by session.

Examples of one session share hosts, commands and wording (a multi-turn example and its
single-turn slices are near copies), so splitting by example would leak test data into train.
Every session goes to exactly one split. Sessions are ordered by a seeded hash of their id rather
than shuffled: the order of a session does not depend on which other sessions exist, so adding
transcripts later moves few existing sessions between splits.

Sessions can be pinned to a split (the sample lab pins its held-out sessions to test, so that
wordings and host/service combinations only they use are never trained on). Pinned sessions
count towards their split's share; the others fill the rest of each share in hash order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

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
    session_ids: Iterable[str],
    ratios: dict[str, float],
    seed: int,
    pinned: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Map every distinct session id to "train", "val" or "test"; deterministic for a seed.

    `pinned` maps session ids to the split they must go to (ids not present are ignored)."""
    distinct = set(session_ids)
    fixed = {sid: split for sid, split in (pinned or {}).items() if sid in distinct}
    unknown = set(fixed.values()) - set(SPLITS)
    if unknown:
        raise ValueError(f"pinned sessions name unknown splits {sorted(unknown)}")
    ordered = sorted(distinct - set(fixed), key=lambda sid: (_rank(sid, seed), sid))
    sizes = _free_sizes(split_sizes(len(distinct), ratios), fixed, len(ordered))
    assignment: dict[str, str] = dict(fixed)
    cursor = 0
    # test and val are cut first so that their (small) sizes are exact.
    for name in ("test", "val", "train"):
        for session_id in ordered[cursor : cursor + sizes[name]]:
            assignment[session_id] = name
        cursor += sizes[name]
    return assignment


def _free_sizes(total: dict[str, int], fixed: Mapping[str, str], free: int) -> dict[str, int]:
    """What each split still takes from the unpinned sessions; train keeps one if it can."""
    sizes = {
        name: max(0, total[name] - sum(1 for split in fixed.values() if split == name))
        for name in ("val", "test")
    }
    while sizes["val"] + sizes["test"] > max(free - 1, 0) and sizes["val"] + sizes["test"] > 0:
        largest = max(("test", "val"), key=lambda name: sizes[name])
        sizes[largest] -= 1
    sizes["train"] = free - sizes["val"] - sizes["test"]
    return sizes
