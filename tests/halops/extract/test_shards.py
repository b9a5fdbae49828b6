"""Shard assignment: stable under growth of the corpus, the same in every process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from halops.extract.sessions import SessionRef
from halops.extract.shards import session_key, sessions_by_shard, shard_label, shard_of

names = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00"),
    min_size=1,
    max_size=40,
)
refs = st.builds(
    lambda project, session: SessionRef(project, session, Path(project, f"{session}.jsonl")),
    names,
    names,
)


def assignment(corpus: list[SessionRef], n_shards: int) -> dict[str, str]:
    """session key -> shard label."""
    return {
        session_key(ref.project, ref.session): shard
        for shard, members in sessions_by_shard(corpus, n_shards).items()
        for ref in members
    }


@given(
    corpus=st.lists(refs, max_size=60, unique_by=lambda r: (r.project, r.session)),
    added=st.lists(refs, max_size=60, unique_by=lambda r: (r.project, r.session)),
    n_shards=st.integers(1, 300),
)
def test_adding_sessions_moves_no_existing_session(corpus, added, n_shards):
    before = assignment(corpus, n_shards)
    known = {(ref.project, ref.session) for ref in corpus}
    grown = corpus + [ref for ref in added if (ref.project, ref.session) not in known]
    after = assignment(grown, n_shards)
    assert {key: after[key] for key in before} == before


@given(corpus=st.lists(refs, max_size=60, unique_by=lambda r: (r.project, r.session)))
def test_every_session_is_in_exactly_one_shard_sorted(corpus):
    shards = sessions_by_shard(corpus, 16)
    members = [ref for group in shards.values() for ref in group]
    assert sorted(members, key=lambda r: (r.project, r.session)) == sorted(
        corpus, key=lambda r: (r.project, r.session)
    )
    assert list(shards) == sorted(shards)
    for group in shards.values():
        assert group and group == sorted(group, key=lambda r: session_key(r.project, r.session))


def test_assignment_is_the_same_in_a_fresh_interpreter():
    """Not Python's salted hash(): another process (another PYTHONHASHSEED) agrees."""
    keys = [f"-home-ops-p{i}/{i:08x}-session" for i in range(50)]
    here = [shard_of(key, 16) for key in keys]
    code = (
        "import sys; from halops.extract.shards import shard_of; "
        f"print([shard_of(k, 16) for k in {keys!r}])"
    )
    there = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345", "PYTHONPATH": ":".join(sys.path)},
    ).stdout
    assert there.strip() == str(here)


def test_known_assignments_never_change():
    """Pinned values: a change here re-extracts every user's whole history."""
    assert [shard_of(f"p/s{i}", 16) for i in range(8)] == [5, 2, 15, 4, 0, 4, 1, 11]


def test_shards_spread_sessions_evenly():
    counts = [0] * 16
    for i in range(16_000):
        counts[shard_of(f"-home-ops-lab/{i:032x}", 16)] += 1
    assert min(counts) > 800 and max(counts) < 1200


def test_labels_sort_in_shard_order():
    assert [shard_label(i, 16) for i in (0, 9, 15)] == ["00", "09", "15"]
    assert shard_label(3, 100) == "03" and shard_label(3, 101) == "003"
    assert shard_label(0, 1) == "0"


def test_shard_count_must_be_positive():
    with pytest.raises(ValueError, match="at least 1, got 0"):
        shard_of("p/s", 0)
