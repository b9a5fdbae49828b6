"""Exact and near-duplicate removal keeps the first example and counts what it removed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from halops.dedup import (
    _MINHASH_SEED,
    NearDupParams,
    deduplicate,
    exact_key,
    example_text,
    minhash_of,
    shingles,
)

PARAMS = NearDupParams(threshold=0.8, num_perm=128, shingle_size=3)

LOG = " ".join(
    f"Nov 03 08:{i:02d}:12 pve01 pveproxy[{1000 + i}]: worker started" for i in range(40)
)


def conversation(question: str, answer: str, call_id: str = "call_1") -> list[dict]:
    call = {
        "id": call_id,
        "type": "function",
        "function": {"name": "Bash", "arguments": '{"command": "journalctl -u pveproxy"}'},
    }
    return [
        {"role": "user", "content": question},
        {"role": "assistant", "content": "", "tool_calls": [call]},
        {"role": "tool", "tool_call_id": call_id, "name": "Bash", "content": LOG},
        {"role": "assistant", "content": answer},
    ]


def test_exact_key_ignores_whitespace_and_tool_call_ids() -> None:
    a = conversation("why is pveproxy restarting?", "It is healthy.", call_id="toolu_A")
    b = conversation("why is  pveproxy restarting?\n", "It is healthy.", call_id="toolu_B")
    assert exact_key(a) == exact_key(b)
    assert exact_key(a) != exact_key(conversation("why is pveproxy restarting?", "It is down."))


def test_exact_and_near_duplicates_are_removed_with_counts() -> None:
    original = conversation(
        "why is pveproxy restarting on pve01?", "It restarts after the upgrade."
    )
    exact = conversation(
        "why is pveproxy restarting on pve01?", "It restarts after the upgrade.", "x"
    )
    near = conversation("why does pveproxy restart on pve01?", "It restarts after the upgrade.")
    other = [
        {"role": "user", "content": "zpool status tank shows DEGRADED, which disk failed?"},
        {"role": "assistant", "content": "sdc has 14 read errors; replace it with zpool replace."},
    ]
    result = deduplicate([original, exact, near, other], PARAMS)
    assert result.keep == [True, False, False, True]
    assert (result.exact_removed, result.near_removed) == (1, 1)


def test_the_first_copy_survives_whatever_the_order() -> None:
    a = conversation("restart pveproxy on pve01", "done")
    b = conversation("restart  pveproxy on pve01", "done")
    assert deduplicate([b, a], PARAMS).keep == [True, False]
    assert deduplicate([a, b], PARAMS).keep == [True, False]


def test_near_dedup_is_deterministic() -> None:
    examples = [conversation(f"question {i % 3} about pve0{i % 3}", "answer") for i in range(9)]
    first = deduplicate(examples, PARAMS)
    assert deduplicate(examples, PARAMS) == first
    # The 40-line journal dominates: the three questions are near copies of each other.
    assert first.keep == [True] + [False] * 8
    assert (first.exact_removed, first.near_removed) == (6, 2)


def test_distinct_short_examples_are_kept() -> None:
    examples = [[{"role": "user", "content": w}] for w in ("uptime", "df -h", "free -m", "uptime")]
    result = deduplicate(examples, PARAMS)
    assert result.keep == [True, True, True, False]
    assert result.exact_removed == 1


def test_shingles_of_short_text_are_one_shingle() -> None:
    assert shingles("a b", 3) == {b"a b"}
    assert shingles("a b c d", 3) == {b"a b c", b"b c d"}


@pytest.mark.parametrize("with_local", [True, False])
def test_the_tools_section_does_not_count_towards_similarity(with_local: bool) -> None:
    """Every example carries one of two tool lists (with or without search_runbooks); only what
    precedes it in the system prompt is compared."""
    from halops.contract.tools import agent_tools_prompt

    system = {"role": "system", "content": f"Base prompt.\n\n{agent_tools_prompt(with_local)}"}
    request = {"role": "user", "content": "is pveproxy running on pve01?"}
    text = example_text([system, request])
    assert text == "base prompt. is pveproxy running on pve01?"


@given(
    words=st.lists(st.sampled_from(["ssh", "pve01", "zpool", "status", "-v", "é"]), max_size=30),
    num_perm=st.sampled_from([16, 128]),
)
def test_minhash_of_equals_a_fresh_minhash(words: list[str], num_perm: int) -> None:
    """The shared permutations (a copy of one empty MinHash) give the signature a MinHash made
    afresh for the example gives: dedup decisions do not change."""
    from datasketch import MinHash

    text = " ".join(words)
    params = NearDupParams(threshold=0.8, num_perm=num_perm, shingle_size=3)
    fresh = MinHash(num_perm=num_perm, seed=_MINHASH_SEED)
    fresh.update_batch(sorted(shingles(text, params.shingle_size)))
    assert minhash_of(text, params) == fresh
    assert list(minhash_of(text, params).digest()) == list(fresh.digest())
