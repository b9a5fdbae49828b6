"""Validate and split: prepared shards → de-duplicated, session-split, re-scanned final dataset.

Order matters: scrub first (so duplicates that differ only by a secret collapse, and nothing
downstream ever holds a secret), then fit every example into the training window (`window`: split
at request boundaries, never inside an assistant message; a piece of a long conversation can
equal a single-turn example, which dedup then removes), then dedupe, then split (held-out
sessions pinned to test), then write, then re-read every written file from disk and scan it
again. The per-example steps (scrub, inventory reach, fit, token counts: `halops.prepared`) run
once per shard in the curate rule, so that one new session does not scrub everything again;
this stage does what is global (dedup, split) and the re-scan.

The re-scan is the guarantee: if any secret survived (a scrubber bug, a writer that re-encodes
text), the stage fails closed, deletes what it wrote and names the file and line. Every string
of every written file is read back and checked; one whose exact bytes a shard already scanned
clean with the same scanner is not scanned twice (`halops.scan_cache` says why that is sound).
"""

from __future__ import annotations

import json
import logging
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from halops.agreement import agreement_of
from halops.contract import scrub
from halops.datacard import DataCard, TokenStats, approx_tokens
from halops.dedup import NearDupParams, deduplicate
from halops.prepared import (  # noqa: F401  (scrub_examples, fit_frame: part of this API)
    TOKENS_COLUMN,
    Window,
    decode_messages,
    fit_frame,
    merge_stats,
    plain,
    prepare_examples,
    prepared_stats,
    scrub_examples,
)
from halops.qualify import read_tier_definitions
from halops.reach import Reach
from halops.scan_cache import (
    SecretLeakError,
    read_digests,
    rescan,
    scanner_fingerprint,
)
from halops.split import SPLITS, assign_splits
from halops.window import token_lengths

log = logging.getLogger(__name__)

# Which copy of a duplicate survives: the best tier, then the richest strategy.
TIER_ORDER = {"A": 0, "B": 1, "C": 2}
STRATEGY_ORDER = {"multi_turn": 0, "single_turn": 1, "skills": 2, "subagents": 3}
# Columns every curated parquet has (CONTRACTS); others are optional metadata, passed through.
REQUIRED_COLUMNS = ("example_id", "strategy", "session_id", "project", "tier", "messages")


@dataclass(frozen=True)
class ValidateConfig:
    split_ratios: dict[str, float] = field(
        default_factory=lambda: {"train": 0.8, "val": 0.1, "test": 0.1}
    )
    seed: int = 20261127
    near_dup_threshold: float = 0.85
    minhash_num_perm: int = 128
    shingle_size: int = 5

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> ValidateConfig:
        """Build from the config's ``validate`` section; missing keys take the defaults and
        errors name the key at fault."""
        data = dict(data or {})
        unknown = set(data) - {f for f in cls.__dataclass_fields__}
        if unknown:
            raise ValueError(f"validate: unknown key(s) {sorted(unknown)}")
        cfg = cls(**data)
        cfg.check()
        return cfg

    def check(self) -> None:
        ratios = self.split_ratios
        if set(ratios) != set(SPLITS) or any(not 0 <= r <= 1 for r in ratios.values()):
            raise ValueError(f"validate.split_ratios: need train/val/test in [0, 1], got {ratios}")
        if not math.isclose(sum(ratios.values()), 1.0, abs_tol=1e-6):
            raise ValueError(f"validate.split_ratios: must sum to 1, got {sum(ratios.values())}")
        if not 0 < self.near_dup_threshold <= 1:
            raise ValueError("validate.near_dup_threshold: must be in (0, 1]")
        if self.minhash_num_perm < 2 or self.shingle_size < 1:
            raise ValueError("validate: minhash_num_perm must be ≥ 2 and shingle_size ≥ 1")

    def near_dup_params(self) -> NearDupParams:
        return NearDupParams(self.near_dup_threshold, self.minhash_num_perm, self.shingle_size)


# --- reading -------------------------------------------------------------------------------------


def load_curated(paths: Sequence[Path]) -> pd.DataFrame:
    frames = []
    for path in paths:
        frame = pd.read_parquet(path)
        missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
        if missing:
            raise ValueError(f"{path}: missing column(s) {missing}")
        frames.append(frame.astype({"messages": object}))
    if not frames:
        return pd.DataFrame(columns=list(REQUIRED_COLUMNS))
    return pd.concat(frames, ignore_index=True)


def quarantine_summary(paths: Sequence[Path]) -> dict[str, Any]:
    """Count quarantined lines and group them by the reason's head (before any ':' detail);
    `files` counts the transcript files with a bad line (quarantine files hold a shard each)."""
    reasons: Counter[str] = Counter()
    files: set[str] = set()
    for path in paths:
        for line in Path(path).read_text(encoding="utf-8", errors="replace").splitlines():
            if line.strip():
                reasons[_reason_head(line)] += 1
                files.add(_location_file(line))
    return {"files": len(files), "lines": sum(reasons.values()), "reasons": dict(reasons)}


def _location_file(line: str) -> str:
    try:
        return str(json.loads(line).get("location") or "").rsplit(":", 1)[0]
    except (ValueError, AttributeError):
        return ""


def _reason_head(line: str) -> str:
    try:
        reason = str(json.loads(line).get("reason") or "unknown")
    except (ValueError, AttributeError):
        reason = "unreadable quarantine record"
    # The card is published: reasons could quote raw text, so they are cut short and scrubbed.
    return scrub.scrub_text(reason.split(":", 1)[0].strip()[:80]).text


def qualified_summary(path: Path) -> dict[str, Any]:
    if not Path(path).exists():
        return {"sessions": 0, "per_tier": {}}
    frame = pd.read_parquet(path, columns=["tier"])
    per_tier = {str(k): int(v) for k, v in frame["tier"].value_counts().sort_index().items()}
    summary: dict[str, Any] = {"sessions": len(frame), "per_tier": per_tier}
    if tiers := read_tier_definitions(path):  # what the tiers meant, for the card to explain
        summary["tiers"] = tiers
    return summary


# --- ordering, dedup, split ----------------------------------------------------------------------


def priority_order(frame: pd.DataFrame) -> pd.DataFrame:
    """A stable order for 'keep the first': tier, strategy, session, example id."""
    keys = pd.DataFrame(
        {
            "tier": frame["tier"].map(lambda t: TIER_ORDER.get(str(t), len(TIER_ORDER))),
            "strategy": frame["strategy"].map(lambda s: STRATEGY_ORDER.get(s, len(STRATEGY_ORDER))),
            "session_id": frame["session_id"].astype(str),
            "example_id": frame["example_id"].astype(str),
        }
    )
    order = keys.sort_values(list(keys.columns), kind="stable").index
    return frame.loc[order].reset_index(drop=True)


def dedupe_frame(frame: pd.DataFrame, cfg: ValidateConfig) -> tuple[pd.DataFrame, dict[str, int]]:
    result = deduplicate(list(frame["messages"]), cfg.near_dup_params())
    removed = {"exact": result.exact_removed, "near": result.near_removed}
    keep = np.asarray(result.keep, dtype=bool)  # a plain empty list would select no *columns*
    return frame.loc[keep].reset_index(drop=True), removed


def split_frame(
    frame: pd.DataFrame, cfg: ValidateConfig, pinned: dict[str, str] | None = None
) -> dict[str, pd.DataFrame]:
    ids = frame["session_id"].astype(str)
    assignment = assign_splits(ids, cfg.split_ratios, cfg.seed, pinned)
    labels = frame["session_id"].astype(str).map(assignment)
    return {name: frame[labels == name].reset_index(drop=True) for name in SPLITS}


# --- writing -------------------------------------------------------------------------------------


def _jsonl_record(row: dict[str, Any]) -> dict[str, Any]:
    metadata = {k: plain(v) for k, v in row.items() if k != "messages"}
    return {"messages": row["messages"], "metadata": metadata}


def write_split(frame: pd.DataFrame, out_dir: Path, name: str) -> list[Path]:
    """``{name}.jsonl`` (the format trl reads) and ``{name}.parquet`` (messages as JSON text)."""
    jsonl, parquet = out_dir / f"{name}.jsonl", out_dir / f"{name}.parquet"
    frame = frame.drop(columns=[TOKENS_COLUMN], errors="ignore")  # the card's, not training's
    with jsonl.open("w", encoding="utf-8") as handle:
        for row in frame.to_dict(orient="records"):
            # default=str: timestamps and other exotic metadata become text, not a crash
            handle.write(json.dumps(_jsonl_record(row), ensure_ascii=False, default=str) + "\n")
    table = frame.assign(
        messages=[json.dumps(m, ensure_ascii=False) for m in frame["messages"]], split=name
    )
    table.to_parquet(parquet, index=False)
    return [jsonl, parquet]


# --- the independent re-scan ---------------------------------------------------------------------


def _rescan_or_delete(
    paths: Sequence[Path], written: Sequence[Path], clean: set[bytes] | None = None
) -> None:
    """Fail closed: on a leak, every file the stage wrote is removed before raising. Strings in
    `clean` were scanned clean, byte for byte, by this scanner (`halops.scan_cache`)."""
    try:
        rescan(paths, clean)
    except SecretLeakError as leak:
        for path in written:
            path.unlink(missing_ok=True)
        raise SecretLeakError(f"{leak}; the outputs were deleted") from None


# --- the stage -----------------------------------------------------------------------------------


def _counts(frame: pd.DataFrame, column: str) -> dict[str, int]:
    return {str(k): int(v) for k, v in frame[column].value_counts().sort_index().items()}


def build_card(splits: dict[str, pd.DataFrame], tokenizer: Any = None, **fields: Any) -> DataCard:
    """Counts per split, tier and strategy; tokens with `tokenizer` if given, else estimated."""
    final = pd.concat(list(splits.values()), ignore_index=True)

    counted = all(TOKENS_COLUMN in frame.columns for frame in splits.values())

    def lengths(frame: pd.DataFrame) -> list[int]:
        if counted:  # counted with the model's tokenizer when the shard was prepared
            return [int(n) for n in frame[TOKENS_COLUMN]]
        if tokenizer is not None:
            return token_lengths(list(frame["messages"]), tokenizer)
        return [approx_tokens(m) for m in frame["messages"]]

    per_strategy_split: dict[str, dict[str, int]] = {}
    for name, frame in splits.items():
        for strategy, n in _counts(frame, "strategy").items():
            per_strategy_split.setdefault(strategy, {s: 0 for s in SPLITS})[name] = n
    return DataCard(
        n_output_examples=len(final),
        per_split={name: len(frame) for name, frame in splits.items()},
        sessions_per_split={n: int(f["session_id"].nunique()) for n, f in splits.items()},
        per_tier=_counts(final, "tier"),
        per_strategy=_counts(final, "strategy"),
        per_strategy_split=per_strategy_split,
        token_stats={name: TokenStats.of(lengths(frame)) for name, frame in splits.items()},
        token_counter="the model's tokenizer"
        if counted or tokenizer is not None
        else "characters / 4",
        **fields,
    )


def load_holdout(path: Path | None) -> dict[str, Any]:
    """The generator's held-out list (sessions pinned to test, wordings, combinations)."""
    if path is None or not Path(path).is_file():
        return {}
    return json.loads(Path(path).read_text(encoding="utf-8"))


def heldout_summary(holdout: dict[str, Any], test: pd.DataFrame) -> dict[str, Any]:
    if not holdout:
        return {}
    pinned = set(holdout.get("sessions", []))
    in_test = test["session_id"].astype(str).isin(pinned)
    return {
        "sessions": len(pinned),
        "test_examples": int(in_test.sum()),
        "wordings": holdout.get("wordings", {}),
        "combinations": holdout.get("combinations", {}),
    }


def load_prepared(
    curated_paths: Sequence[Path], window: Window | None, reach: Reach | None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Every example prepared (scrubbed, reachable, fitted), with the merged statistics.

    Shards the curate rule prepared are only read; plain curated tables (tests, benchmarks,
    older outputs) are prepared here, with `window` and `reach`."""
    frames, parts, plain_tables = [], [], []
    for path in map(Path, curated_paths):
        stats = prepared_stats(path)
        if stats is None:
            plain_tables.append(path)
            continue
        frame = load_curated([path])
        frames.append(frame.assign(messages=[decode_messages(m) for m in frame["messages"]]))
        parts.append(stats)
    if plain_tables or not frames:
        frame, stats = prepare_examples(load_curated(plain_tables), window, reach)
        frames.append(frame)
        parts.append(stats)
    frames = [frame for frame in frames if not frame.empty] or frames[:1]
    return pd.concat(frames, ignore_index=True), merge_stats(parts)


def validate_and_split(
    curated_paths: list[Path],
    quarantine_paths: list[Path],
    qualified_path: Path,
    cfg: ValidateConfig,
    out_dir: Path,
    window: Window | None = None,
    holdout_path: Path | None = None,
    reach: Reach | None = None,
    scanned_paths: Sequence[Path] = (),
    manifest_path: Path | None = None,
) -> DataCard:
    """The whole stage; see the module docstring. Returns the data card it wrote.

    Prepared shards (the curate rule's) come scrubbed, filtered and fitted; for plain curated
    tables: without `window` examples are not fitted (and tokens are estimated), without
    `reach` (no inventory) calls are not checked against the inventory. Without
    `holdout_path` no session is pinned. `scanned_paths`: the shards' digests of strings
    scanned clean (`halops.scan_cache`), which the final re-scan need not scan again. With
    `manifest_path` (the generated corpus) the card compares the tiers with what the generator
    says each session is."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    prepared, stats = load_prepared(curated_paths, window, reach)
    per_rule = stats["secrets_per_rule"]
    log.info(
        "read %d examples (%d curated) from %d files; %d secrets redacted in %d examples",
        len(prepared),
        stats["n_curated"],
        len(curated_paths),
        sum(per_rule.values()),
        stats["examples_with_secrets"],
    )
    if stats["unreachable"] is not None:
        log.info("dropped as outside the inventory: %s", stats["unreachable"])
    if stats["window"]:
        log.info("fitted to %d tokens: %s", stats["window"]["max_tokens"], stats["window"])
    kept, removed = dedupe_frame(priority_order(prepared), cfg)
    log.info("removed duplicates: %s", removed)
    holdout = load_holdout(holdout_path)
    splits = split_frame(kept, cfg, dict.fromkeys(holdout.get("sessions", []), "test"))
    written = [p for name, frame in splits.items() for p in write_split(frame, out_dir, name)]
    clean, ignored = read_digests(scanned_paths, scanner_fingerprint())
    if ignored:
        log.info("re-scanning in full: %s were made by another scanner", ignored)
    known = len(clean)
    _rescan_or_delete(written, written, clean)
    log.info("re-scanned %d strings; %d known clean from the shards", len(clean) - known, known)
    card = build_card(
        splits,
        tokenizer=window.tokenizer if window is not None else None,
        n_input_examples=stats["n_curated"],
        duplicates_removed=removed,
        secrets_per_rule=dict(sorted(per_rule.items())),
        examples_with_secrets=stats["examples_with_secrets"],
        quarantine=quarantine_summary([Path(p) for p in quarantine_paths]),
        qualified=qualified_summary(Path(qualified_path)),
        config=asdict(cfg),
        files=sorted(p.name for p in written),
        window=stats["window"],
        heldout=heldout_summary(holdout, splits["test"]),
        tool_call_turns={name: tool_call_turns(frame) for name, frame in splits.items()},
        unreachable=stats["unreachable"],
        qualifier_agreement=agreement_of(Path(qualified_path), manifest_path),
    )
    card_paths = card.write(out_dir)
    _rescan_or_delete(card_paths, [*written, *card_paths], clean)
    log.info("wrote %s", {name: len(frame) for name, frame in splits.items()})
    return card


def tool_call_turns(frame: pd.DataFrame) -> int:
    """Assistant messages with tool calls: what the held-out next-call score is computed on."""
    return sum(
        1
        for messages in frame["messages"]
        for m in messages
        if m.get("role") == "assistant" and m.get("tool_calls")
    )
