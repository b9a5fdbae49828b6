"""The `pairs` rule: mined and safety pairs -> scrubbed, deduplicated, session-split table.

The same steps, in the same order and with the same functions, as the SFT data
(`halops.validate_split`): scrub first (so pairs that differ only by a secret collapse), then drop
duplicates, then split by session, write, and re-read what was written to scan it again (fail
closed). A session keeps the split the SFT data gave it, so no pair from a validation or test
session is ever trained on; sessions without SFT examples (tier C, say) are split with the same
seeded function among themselves.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from halops.augment.config import PairsConfig
from halops.augment.mine import MineStats, Pair, mine_session
from halops.augment.safety import SafetyJudge, safety_pairs
from halops.curate.config import CurateConfig
from halops.curate.pipeline import iter_sessions, tier_lookup
from halops.datacard import approx_tokens
from halops.dedup import (
    NearDupParams,
    exact_duplicate_flags,
    exact_key,
    example_text,
    near_duplicate_flags,
)
from halops.qualify import QualifyConfig
from halops.split import SPLITS, assign_splits
from halops.validate_split import (
    SecretLeakError,
    ValidateConfig,
    priority_order,
    rescan,
    scrub_examples,
)

log = logging.getLogger(__name__)

PAIR_COLUMNS: dict[str, str] = {
    "pair_id": "string",
    "kind": "string",
    "reason": "string",
    "rule_id": "string",
    "session_id": "string",
    "project": "string",
    "tier": "string",
    "source": "string",
    "turn": "int64",
    "split": "string",
    # JSON text: a list of chat messages (prompt) and one-message lists (chosen, rejected),
    # trl's conversational preference format.
    "prompt": "string",
    "chosen": "string",
    "rejected": "string",
    "approx_tokens": "int64",
}


@dataclass(frozen=True)
class PairsInputs:
    extracted: list[Path]
    qualified: Path
    final_splits: dict[str, Path]  # split name -> results/final/{split}.parquet
    policy: Path
    inventory: Path


@dataclass(frozen=True)
class PairsOutputs:
    parquet: Path
    jsonl: Path
    card: Path


@dataclass(frozen=True)
class StageConfigs:
    pairs: PairsConfig
    curate: CurateConfig
    qualify: QualifyConfig
    validate: ValidateConfig


def build_pairs(inputs: PairsInputs, cfgs: StageConfigs, outputs: PairsOutputs) -> dict[str, Any]:
    """The whole rule; returns the card it wrote (counts only, never text)."""
    final = load_final_splits(inputs.final_splits)
    mined, mine_stats, n_sessions = mine_all(inputs, cfgs)
    log.info("mined %d pairs from %d sessions", len(mined), n_sessions)
    safety_card: dict[str, Any] = {}
    pairs = list(mined)
    if "safety" in cfgs.pairs.kinds:
        judge = SafetyJudge.from_files(inputs.policy, inputs.inventory)
        examples = final.to_dict(orient="records")
        made, stats = safety_pairs(
            examples, judge, cfgs.pairs.safety_per_request, cfgs.pairs.safety_max_pairs
        )
        log.info("%d safety pairs from %d requests", len(made), stats.requests)
        pairs += made
        safety_card = {
            "requests": stats.requests,
            "unsafe_transcript_answers": stats.unsafe_chosen,
            "rule_ids": dict(sorted(judge.verdicts.items())),
            "catalogue_entries_not_blocked": dict(sorted(stats.not_blocked.items())),
        }
    frame = pairs_frame(pairs)
    scrubbed, per_rule, with_secrets = scrub_pairs(frame)
    kept, removed = dedupe_pairs(scrubbed)
    kept["split"] = kept["session_id"].map(session_splits(kept["session_id"], final, cfgs.validate))
    write_pairs(kept, outputs)
    card = {
        "sessions_mined": n_sessions,
        "n_candidates": len(frame),
        "candidates_per_kind": {str(k): int(v) for k, v in frame["strategy"].value_counts().items()}
        if not frame.empty
        else {},
        "n_pairs": len(kept),
        "per_kind_split": per_kind_split(kept),
        "duplicates_removed": removed,
        "secrets_per_rule": dict(sorted(per_rule.items())),
        "pairs_with_secrets": with_secrets,
        "skipped": dict(sorted(mine_stats.skipped.items())),
        "safety": safety_card,
        "config": {"kinds": list(cfgs.pairs.kinds), "tiers": list(cfgs.pairs.tiers)},
    }
    outputs.card.write_text(json.dumps(card, indent=2, sort_keys=True) + "\n")
    _rescan_or_delete([outputs.jsonl, outputs.card], [outputs.parquet, outputs.jsonl, outputs.card])
    return card


def mine_all(inputs: PairsInputs, cfgs: StageConfigs) -> tuple[list[Pair], MineStats, int]:
    """Mined pairs of every qualified session of the configured tiers."""
    qualified = pd.read_parquet(inputs.qualified)
    stats, pairs, n_sessions = MineStats(), [], 0
    kinds = [k for k in cfgs.pairs.kinds if k != "safety"]
    for session in iter_sessions(inputs.extracted, tier_lookup(qualified)):
        if session.tier not in cfgs.pairs.tiers:
            continue
        n_sessions += 1
        pairs += mine_session(
            session, cfgs.curate, cfgs.qualify, cfgs.pairs.max_prompt_tokens, kinds, stats
        )
    return pairs, stats, n_sessions


def load_final_splits(paths: dict[str, Path]) -> pd.DataFrame:
    """The SFT splits with their split name, messages decoded."""
    frames = []
    for name, path in paths.items():
        frame = pd.read_parquet(path)
        frame["split"] = name
        frames.append(frame)
    final = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if final.empty:
        return pd.DataFrame(columns=["session_id", "split", "messages"])
    final["messages"] = [json.loads(m) if isinstance(m, str) else m for m in final["messages"]]
    return final


def pairs_frame(pairs: Iterable[Pair]) -> pd.DataFrame:
    """Pairs as rows, with prompt + chosen + rejected in one `messages` list so that the SFT
    data's scrub and dedup functions apply unchanged (`n_prompt` splits it back)."""
    rows = [
        {
            "example_id": pair.pair_id,
            "strategy": pair.kind,
            "reason": pair.reason,
            "rule_id": pair.rule_id,
            "session_id": pair.session_id,
            "project": pair.project,
            "tier": pair.tier,
            "source": pair.source,
            "turn": pair.turn,
            "n_prompt": len(pair.prompt),
            "messages": [*pair.prompt, pair.chosen, pair.rejected],
        }
        for pair in pairs
    ]
    frame = pd.DataFrame(rows, columns=[*_INTERNAL_COLUMNS])
    return frame.drop_duplicates("example_id", ignore_index=True)


_INTERNAL_COLUMNS = (
    "example_id",
    "strategy",
    "reason",
    "rule_id",
    "session_id",
    "project",
    "tier",
    "source",
    "turn",
    "n_prompt",
    "messages",
)


def scrub_pairs(frame: pd.DataFrame) -> tuple[pd.DataFrame, Counter[str], int]:
    """halops.validate_split.scrub_examples: prompt, answers and every metadata string, one scrubber
    per pair (a password seen in the prompt is redacted in the answers too)."""
    if frame.empty:
        return frame, Counter(), 0
    scrubbed, per_rule, with_secrets = scrub_examples(frame)
    scrubbed["turn"] = frame["turn"].to_numpy()
    scrubbed["n_prompt"] = frame["n_prompt"].to_numpy()
    return scrubbed, per_rule, with_secrets


def dedupe_pairs(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Exact duplicates over the whole pair; near duplicates over the request and the two
    answers only, since many distinct pairs share one long prompt (two alternatives to the
    same request, two failed calls of one step) and would look alike by the prompt alone."""
    if frame.empty:
        return frame, {"exact": 0, "near": 0}
    ordered = priority_order(frame)
    exact = exact_duplicate_flags([exact_key(m) for m in ordered["messages"]])
    survivors = [i for i, dup in enumerate(exact) if not dup]
    texts = [
        example_text(_answers_view(ordered.at[i, "messages"], ordered.at[i, "n_prompt"]))
        for i in survivors
    ]
    near = near_duplicate_flags(texts, ANSWERS_NEAR_DUP)
    keep = np.zeros(len(ordered), dtype=bool)
    for index, dup in zip(survivors, near, strict=True):
        keep[index] = not dup
    kept = ordered.loc[keep].reset_index(drop=True)
    return kept, {"exact": int(sum(exact)), "near": int(sum(near))}


def _answers_view(messages: list[dict[str, Any]], n_prompt: int) -> list[dict[str, Any]]:
    last_user = next(m for m in reversed(messages[:n_prompt]) if m["role"] == "user")
    return [last_user, *messages[n_prompt:]]


# The SFT data's near-duplicate settings (config validate) suit whole conversations; a pair's
# request-and-answers view is a few dozen words, so it is shingled in word 3-grams.
ANSWERS_NEAR_DUP = NearDupParams(threshold=0.85, num_perm=128, shingle_size=3)


def session_splits(
    session_ids: Iterable[str], final: pd.DataFrame, cfg: ValidateConfig
) -> dict[str, str]:
    """Each session's SFT split; sessions the SFT data lacks are split among themselves."""
    known = dict(zip(final["session_id"].astype(str), final["split"], strict=True))
    unknown = sorted(set(map(str, session_ids)) - set(known))
    extra = assign_splits(unknown, cfg.split_ratios, cfg.seed) if unknown else {}
    return {**extra, **known}


def per_kind_split(frame: pd.DataFrame) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for (kind, split), n in frame.groupby(["strategy", "split"]).size().items():
        counts.setdefault(str(kind), dict.fromkeys(SPLITS, 0))[str(split)] = int(n)
    return dict(sorted(counts.items()))


def output_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The published columns (PAIR_COLUMNS) from the internal frame."""
    rows = []
    for row in frame.to_dict(orient="records"):
        messages, n = row["messages"], int(row["n_prompt"])
        rows.append(
            {
                "pair_id": row["example_id"],
                "kind": row["strategy"],
                "reason": row["reason"],
                "rule_id": row["rule_id"],
                "session_id": row["session_id"],
                "project": row["project"],
                "tier": row["tier"],
                "source": row["source"],
                "turn": int(row["turn"]),
                "split": row["split"],
                "prompt": json.dumps(messages[:n], ensure_ascii=False),
                "chosen": json.dumps([messages[n]], ensure_ascii=False),
                "rejected": json.dumps([messages[n + 1]], ensure_ascii=False),
                "approx_tokens": approx_tokens(messages),
            }
        )
    return pd.DataFrame(rows, columns=list(PAIR_COLUMNS)).astype(PAIR_COLUMNS)


def write_pairs(frame: pd.DataFrame, outputs: PairsOutputs) -> None:
    """The parquet (the rule's product) and the same rows as JSONL (for people and trl)."""
    table = output_table(frame)
    outputs.parquet.parent.mkdir(parents=True, exist_ok=True)
    table.to_parquet(outputs.parquet, index=False)
    with outputs.jsonl.open("w", encoding="utf-8") as handle:
        for row in table.to_dict(orient="records"):
            record = {key: json.loads(row[key]) for key in ("prompt", "chosen", "rejected")}
            record["metadata"] = {
                key: (None if pd.isna(value) else value)
                for key, value in row.items()
                if key not in record
            }
            handle.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")


def _rescan_or_delete(paths: list[Path], written: list[Path]) -> None:
    """halops.validate_split.rescan on what was written; a leak deletes every output (fail closed).
    The JSONL holds exactly the parquet's strings, read back from disk."""
    try:
        rescan(paths)
    except SecretLeakError as leak:
        for path in written:
            path.unlink(missing_ok=True)
        raise SecretLeakError(f"{leak}; the outputs were deleted") from None
