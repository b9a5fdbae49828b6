"""Curate: qualified sessions -> chat examples, one module per strategy.

`skill_system_prompt` is importable without pandas (the agent uses it); the pipeline entry
points load lazily for the same reason.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from halops.contract.prompts import skill_system_prompt

if TYPE_CHECKING:
    from halops.curate.config import CurateConfig
    from halops.curate.pipeline import curate_strategy

__all__ = ["CurateConfig", "curate_strategy", "skill_system_prompt"]


def __getattr__(name: str) -> Any:
    if name == "curate_strategy":
        from halops.curate.pipeline import curate_strategy

        return curate_strategy
    if name == "CurateConfig":
        from halops.curate.config import CurateConfig

        return CurateConfig
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
