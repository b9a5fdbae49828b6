"""Exact and near-duplicate removal of chat examples.

Duplicates over-weight one conversation in training and, across splits, leak test data into
train. Exact duplicates are found by a hash of the normalised messages; near duplicates (the same
session retried, a re-run of one playbook) by MinHash + LSH over word shingles. Both keep the
*first* example in the caller's order, so the caller decides which copy survives (validate puts
tier A before B before C).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from datasketch import MinHash, MinHashLSH

from halops.contract.toolcall import TOOLS_HEADING

_WHITESPACE = re.compile(r"\s+")
# Fixed so that two runs (and two machines) build the same permutations: dedup is deterministic.
_MINHASH_SEED = 1


@dataclass(frozen=True)
class NearDupParams:
    threshold: float  # estimated Jaccard similarity at or above which two examples are dups
    num_perm: int  # MinHash permutations: more = better estimate, slower and bigger
    shingle_size: int  # words per shingle: small = order-insensitive, large = stricter


@dataclass(frozen=True)
class DedupResult:
    keep: list[bool]  # one flag per input example, in input order
    exact_removed: int
    near_removed: int


def _normalise_text(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


def _normalise_message(message: dict[str, Any]) -> dict[str, Any]:
    # Tool-call ids are random per session (`toolu_...`): two identical conversations differ only
    # there, so ids are dropped before hashing.
    out: dict[str, Any] = {"role": message.get("role")}
    content = message.get("content")
    out["content"] = _normalise_text(content) if isinstance(content, str) else content
    if message.get("name"):
        out["name"] = message["name"]
    calls = message.get("tool_calls") or []
    out["tool_calls"] = [
        [call.get("function", {}).get("name"), call.get("function", {}).get("arguments")]
        for call in calls
    ]
    return out


def exact_key(messages: Sequence[dict[str, Any]]) -> str:
    """sha256 of the normalised messages: equal keys ⇔ the same conversation."""
    normalised = [_normalise_message(m) for m in messages]
    payload = json.dumps(normalised, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


TOOLS_SECTION = "\n\n" + TOOLS_HEADING + "\n"


def example_text(messages: Sequence[dict[str, Any]]) -> str:
    """The words of an example (contents, tool names and arguments), for shingling."""
    parts: list[str] = []
    for message in messages:
        content = str(message.get("content") or "")
        if message.get("role") == "system":
            # Every example carries one of the same tool lists; they would make unrelated
            # examples look alike, so only the part before them (base prompt, skill) counts.
            content = content.split(TOOLS_SECTION, 1)[0]
        parts.append(content)
        for call in message.get("tool_calls") or []:
            function = call.get("function", {})
            parts += [str(function.get("name", "")), str(function.get("arguments", ""))]
    return _normalise_text(" ".join(parts)).lower()


def shingles(text: str, size: int) -> set[bytes]:
    words = text.split()
    if len(words) <= size:  # short examples: one shingle of everything they have
        return {" ".join(words).encode("utf-8")}
    return {" ".join(words[i : i + size]).encode("utf-8") for i in range(len(words) - size + 1)}


@functools.cache
def _empty_minhash(num_perm: int) -> MinHash:
    return MinHash(num_perm=num_perm, seed=_MINHASH_SEED)


def minhash_of(text: str, params: NearDupParams) -> MinHash:
    # A copy of one empty MinHash shares its permutations (drawn from the seed), which a new
    # MinHash would draw again for every example: a third of validate's dedup time.
    minhash = _empty_minhash(params.num_perm).copy()
    minhash.update_batch(sorted(shingles(text, params.shingle_size)))
    return minhash


def exact_duplicate_flags(keys: Sequence[str]) -> list[bool]:
    """True for every example whose key was already seen earlier in the sequence."""
    seen: set[str] = set()
    flags = []
    for key in keys:
        flags.append(key in seen)
        seen.add(key)
    return flags


def near_duplicate_flags(texts: Sequence[str], params: NearDupParams) -> list[bool]:
    """True for every example similar (≥ threshold) to an earlier *kept* one. LSH candidates are
    confirmed with the MinHash estimate, since LSH alone also returns some pairs below it."""
    lsh = MinHashLSH(threshold=params.threshold, num_perm=params.num_perm)
    kept: dict[int, MinHash] = {}
    flags = []
    for index, text in enumerate(texts):
        minhash = minhash_of(text, params)
        candidates = sorted(lsh.query(minhash))
        is_dup = any(kept[c].jaccard(minhash) >= params.threshold for c in candidates)
        flags.append(is_dup)
        if not is_dup:
            lsh.insert(index, minhash)
            kept[index] = minhash
    return flags


def deduplicate(examples: Sequence[Sequence[dict[str, Any]]], params: NearDupParams) -> DedupResult:
    """Flags which examples (lists of chat messages, in priority order) to keep."""
    exact = exact_duplicate_flags([exact_key(messages) for messages in examples])
    survivors = [i for i, dup in enumerate(exact) if not dup]
    near = near_duplicate_flags([example_text(examples[i]) for i in survivors], params)
    keep = [False] * len(examples)
    for index, dup in zip(survivors, near, strict=True):
        keep[index] = not dup
    return DedupResult(keep=keep, exact_removed=sum(exact), near_removed=sum(near))
