"""Retrieved passages -> the system prompt, in the layout the skills strategy trained on."""

from __future__ import annotations

from collections.abc import Sequence

from bot.retrieval.index import Passage
from halops.contract.prompts import skill_system_prompt


def passages_to_documents(passages: Sequence[Passage]) -> list[tuple[str, str]]:
    """(title, body) pairs for `skill_system_prompt`, best passage first.

    The title path stands where a skill's name stood in training; the body is the passage as
    written, so commands reach the model verbatim.
    """
    return [(p.title, p.text) for p in passages]


def retrieval_system_prompt(base_prompt: str, passages: Sequence[Passage]) -> str:
    """The agent's system prompt with the retrieved passages as reference documents."""
    return skill_system_prompt(base_prompt, passages_to_documents(passages))
