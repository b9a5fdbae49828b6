"""curate_strategy / curate_shard: qualified sessions of the allowed tiers -> chat examples."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from halops.curate import multi_turn, single_turn, skills, subagents
from halops.curate.common import Session, examples_frame
from halops.curate.config import STRATEGIES, CurateConfig
from halops.rows import read_extracted, records

log = logging.getLogger(__name__)

Builder = Callable[[Session, CurateConfig], list[dict[str, Any]]]
BUILDERS: dict[str, Builder] = {
    "multi_turn": multi_turn.build_examples,
    "single_turn": single_turn.build_examples,
    "skills": skills.build_examples,
    "subagents": subagents.build_examples,
}
assert set(BUILDERS) == set(STRATEGIES)


def curate_strategy(
    strategy: str, extracted_paths: Iterable[Path], qualified: pd.DataFrame, cfg: CurateConfig
) -> pd.DataFrame:
    """Examples of `strategy` (CONTRACTS "Curated" columns) from sessions in its tiers.

    Sessions missing from `qualified` are skipped: an unscored session has no tier to allow.
    """
    if strategy not in BUILDERS:
        raise ValueError(f"unknown curate strategy {strategy!r}; expected one of {STRATEGIES}")
    allowed = set(cfg.tiers[strategy])
    examples: list[dict[str, Any]] = []
    for session in iter_sessions(extracted_paths, tier_lookup(qualified)):
        if session.tier in allowed:
            examples.extend(BUILDERS[strategy](session, cfg))
    frame = examples_frame(examples)
    log.info("%s: %d examples from tiers %s", strategy, len(frame), sorted(allowed))
    return frame


def curate_shard(
    extracted_path: Path,
    qualified: pd.DataFrame,
    cfg: CurateConfig,
    strategies: Sequence[str] = STRATEGIES,
) -> pd.DataFrame:
    """Examples of every strategy from one shard's sessions, each in the tiers its strategy
    takes: the shard's table is read once, not once per strategy."""
    examples: list[dict[str, Any]] = []
    for session in iter_sessions([extracted_path], tier_lookup(qualified)):
        for strategy in strategies:
            if session.tier in cfg.tiers[strategy]:
                examples.extend(BUILDERS[strategy](session, cfg))
    frame = examples_frame(examples)
    log.info(
        "%s: %d examples %s", extracted_path, len(frame), frame["strategy"].value_counts().to_dict()
    )
    return frame


def tier_lookup(qualified: pd.DataFrame) -> dict[tuple[str, str], str]:
    """(session_id, project) -> tier."""
    keys = zip(qualified["session_id"], qualified["project"], strict=True)
    return dict(zip(keys, qualified["tier"], strict=True))


def iter_sessions(
    extracted_paths: Iterable[Path], tiers: dict[tuple[str, str], str]
) -> Iterable[Session]:
    """Every session of the extracted files that has a tier, with its rows."""
    for path in map(Path, extracted_paths):
        frame = read_extracted(path)
        if frame.empty:
            continue
        for (session_id, project), group in frame.groupby(["session_id", "project"], sort=False):
            tier = tiers.get((session_id, project))
            if tier is None:
                log.warning("%s: session %s is not in the qualified table", path, session_id)
                continue
            yield Session(str(session_id), str(project), str(tier), records(group))
