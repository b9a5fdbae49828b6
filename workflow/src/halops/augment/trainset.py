"""The SFT training set with synthetic examples added: results/augmented/train.jsonl.

Only the training split grows: validation and test stay the transcripts' own. Synthetic
examples that duplicate a real one (or each other) are dropped with the SFT data's dedup
functions, real examples first so that a real example always wins; the rest is capped so that
synthetic examples make up at most `max_share` of the result.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from halops.dedup import deduplicate
from halops.validate_split import ValidateConfig


def synthetic_cap(n_real: int, max_share: float) -> int:
    """Most synthetic examples s with s / (n_real + s) <= max_share."""
    if max_share <= 0:
        return 0
    return math.floor(max_share * n_real / (1 - max_share) + 1e-9)


def mix_training_set(
    train_jsonl: Path,
    synthetic_parquet: Path,
    max_share: float,
    cfg: ValidateConfig,
    out_jsonl: Path,
) -> dict[str, int]:
    """Write the mixed set; returns counts for the data card."""
    real = [
        json.loads(line)
        for line in train_jsonl.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    synthetic = pd.read_parquet(synthetic_parquet).to_dict(orient="records")
    ordered = sorted(
        synthetic, key=lambda r: hashlib.sha256(str(r["example_id"]).encode()).hexdigest()
    )
    messages = [r["messages"] for r in real] + [json.loads(s["messages"]) for s in ordered]
    keep = deduplicate([_dialogue(m) for m in messages], cfg.near_dup_params()).keep[len(real) :]
    fresh = [s for s, kept in zip(ordered, keep, strict=True) if kept]
    added = fresh[: synthetic_cap(len(real), max_share)]
    out_jsonl.parent.mkdir(parents=True, exist_ok=True)
    with out_jsonl.open("w", encoding="utf-8") as handle:
        for record in real:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        for row in added:
            handle.write(json.dumps(_record(row), ensure_ascii=False) + "\n")
    return {
        "real": len(real),
        "synthetic_offered": len(synthetic),
        "synthetic_duplicates": len(ordered) - len(fresh),
        "synthetic_over_cap": len(fresh) - len(added),
        "synthetic_added": len(added),
    }


def _dialogue(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The messages without the system prompt: runbook questions carry the whole runbook there,
    so two different questions about one runbook would look like near duplicates."""
    return [m for m in messages if m.get("role") != "system"]


def _record(row: dict[str, Any]) -> dict[str, Any]:
    metadata = {k: v for k, v in row.items() if k != "messages"}
    metadata.update(synthetic=True, split="train")
    return {"messages": json.loads(row["messages"]), "metadata": metadata}
