"""The qualifier against ground truth: the sample generator's manifest says what each session
is; this says which tier each kind should get and how many sessions got it.

Expected tiers, by what a tier feeds (config curate.tiers): A is whole conversations for
multi-turn training, B single requests only, C nothing.
- clean: A. Requests done without steering; a diagnostic non-zero exit the answer reports
  (a failed unit, a lost ping) is the finding, not a flaw.
- messy: B. The operator had to correct a request (a mistyped host): the conversation would
  teach the wrong first attempt, its other requests are still good single-turn examples.
- off-topic: C. Nothing about this lab.
- abandoned, scripted story: C. The whole session is the failed attempt.
- abandoned, shift: B. Several good requests, then one the operator gives up on (interrupted):
  as for messy, single turns yes, the whole conversation no.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

TIERS = ("A", "B", "C")
# manifest kind -> the tier the qualifier should give it (module docstring says why).
EXPECTED_TIER = {
    "clean": "A",
    "messy": "B",
    "offtopic": "C",
    "abandoned (scripted)": "C",
    "abandoned (shift)": "B",
}


class ManifestError(ValueError):
    """A manifest line that is not a JSON object with session_id, scenario and quality."""


def manifest_kind(scenario: str, quality: str) -> str:
    if quality == "abandoned":
        return f"abandoned ({'shift' if scenario == 'shift' else 'scripted'})"
    return quality


def load_manifest(path: Path) -> pd.DataFrame:
    """session_id and kind of every session in the generator's manifest.jsonl."""
    rows = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            rows.append(
                {
                    "session_id": str(record["session_id"]),
                    "kind": manifest_kind(str(record["scenario"]), str(record["quality"])),
                }
            )
        except (ValueError, KeyError, TypeError) as error:
            raise ManifestError(f"{path}:{number}: not a manifest record ({error})") from error
    return pd.DataFrame(rows, columns=["session_id", "kind"])


def tier_agreement(scores: pd.DataFrame, manifest: pd.DataFrame) -> dict[str, Any]:
    """Sessions per manifest kind and tier, the expected tier per kind, and the share of
    scored sessions of a known kind that got their expected tier. Sessions only in one of the
    two tables (not scored, or not generated) are counted apart, not guessed."""
    joined = scores[["session_id", "tier"]].astype({"session_id": str})
    joined = joined.merge(manifest, on="session_id", how="inner")
    known = joined[joined["kind"].isin(EXPECTED_TIER)]
    table = {
        kind: {
            tier: int(((known["kind"] == kind) & (known["tier"] == tier)).sum()) for tier in TIERS
        }
        for kind in EXPECTED_TIER
        if (known["kind"] == kind).any()
    }
    agreeing = int((known["tier"] == known["kind"].map(EXPECTED_TIER)).sum())
    return {
        "table": table,
        "expected": {kind: EXPECTED_TIER[kind] for kind in table},
        "sessions": len(known),
        "agreeing": agreeing,
        "share": round(agreeing / len(known), 4) if len(known) else None,
        "unknown_kind": int(len(joined) - len(known)),
        "not_in_manifest": int(len(scores) - len(joined)),
    }


def agreement_of(qualified_path: Path, manifest_path: Path | None) -> dict[str, Any]:
    """The agreement of the qualified sessions with a manifest; {} without one."""
    if manifest_path is None:
        return {}
    return tier_agreement(pd.read_parquet(qualified_path), load_manifest(manifest_path))
