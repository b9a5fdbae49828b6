"""Split by session: no session in two splits, deterministic, small corpora still evaluable."""

from __future__ import annotations

import pytest

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
