"""Split by session: no session in two splits, deterministic, small corpora still evaluable."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from halops.split import SPLITS, assign_splits, split_sizes

RATIOS = {"train": 0.8, "val": 0.1, "test": 0.1}


def test_every_session_goes_to_exactly_one_split() -> None:
    sessions = [f"s{i:03d}" for i in range(100)]
    assignment = assign_splits(sessions + sessions[:10], RATIOS, seed=7)  # repeats are one session
    assert set(assignment) == set(sessions)
    assert set(assignment.values()) == set(SPLITS)
    counts = {name: list(assignment.values()).count(name) for name in SPLITS}
    assert counts == {"train": 80, "val": 10, "test": 10}


def test_split_is_deterministic_and_seeded() -> None:
    sessions = [f"s{i}" for i in range(50)]
    first = assign_splits(sessions, RATIOS, seed=1)
    assert assign_splits(list(reversed(sessions)), RATIOS, seed=1) == first
    assert assign_splits(sessions, RATIOS, seed=2) != first


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, {"train": 0, "val": 0, "test": 0}),
        (1, {"train": 1, "val": 0, "test": 0}),
        (2, {"train": 2, "val": 0, "test": 0}),
        (3, {"train": 1, "val": 1, "test": 1}),
        (5, {"train": 3, "val": 1, "test": 1}),
        (20, {"train": 16, "val": 2, "test": 2}),
    ],
)
def test_split_sizes(n: int, expected: dict[str, int]) -> None:
    assert split_sizes(n, RATIOS) == expected


def test_small_corpus_has_val_and_test() -> None:
    assignment = assign_splits(["a", "b", "c"], RATIOS, seed=0)
    assert sorted(assignment.values()) == ["test", "train", "val"]


def test_train_is_never_emptied_by_large_holdouts() -> None:
    assert split_sizes(3, {"train": 0.0, "val": 0.5, "test": 0.5})["train"] == 1


def test_pinned_sessions_go_to_their_split_and_count_towards_it() -> None:
    sessions = [f"s{i:03d}" for i in range(100)]
    pinned = {f"s{i:03d}": "test" for i in range(0, 100, 20)}  # 5 sessions
    assignment = assign_splits(sessions, RATIOS, seed=7, pinned=pinned)
    assert all(assignment[sid] == "test" for sid in pinned)
    counts = {name: list(assignment.values()).count(name) for name in SPLITS}
    assert counts == {"train": 80, "val": 10, "test": 10}


def test_more_pinned_than_the_share_leaves_test_to_them() -> None:
    sessions = [f"s{i:03d}" for i in range(40)]
    pinned = {sid: "test" for sid in sessions[:8]}  # share is 4
    assignment = assign_splits(sessions, RATIOS, seed=7, pinned=pinned)
    assert {sid for sid, split in assignment.items() if split == "test"} == set(pinned)
    assert list(assignment.values()).count("val") == 4


def test_pins_of_absent_sessions_are_ignored_and_unknown_splits_refused() -> None:
    assignment = assign_splits(["a", "b", "c"], RATIOS, seed=1, pinned={"zzz": "test"})
    assert set(assignment) == {"a", "b", "c"}
    with pytest.raises(ValueError, match="unknown splits"):
        assign_splits(["a", "b"], RATIOS, seed=1, pinned={"a": "holdout"})


@given(
    n=st.integers(min_value=0, max_value=60),
    pinned_every=st.integers(min_value=1, max_value=10),
    seed=st.integers(min_value=0, max_value=5),
)
def test_pinning_keeps_every_session_in_one_split(n: int, pinned_every: int, seed: int) -> None:
    sessions = [f"s{i}" for i in range(n)]
    pinned = {sid: "test" for sid in sessions[::pinned_every]}
    assignment = assign_splits(sessions, RATIOS, seed=seed, pinned=pinned)
    assert set(assignment) == set(sessions)
    assert all(assignment[sid] == "test" for sid in pinned)
    if n > len(pinned):  # an unpinned session is left for training
        assert "train" in assignment.values()
    unpinned = {sid: s for sid, s in assignment.items() if sid not in pinned}
    assert assign_splits(sessions, RATIOS, seed=seed, pinned=pinned) == assignment
    assert set(unpinned.values()) <= set(SPLITS)
