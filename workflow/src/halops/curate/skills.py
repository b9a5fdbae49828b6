"""skills: a skill's body as system-prompt instructions, the request, and the work it guided.

For every skill_body row (the SKILL.md text the CLI injects after a `Skill` tool call,
workflow/docs/transcript-format.md §8) the example is:
- system: `skill_system_prompt(cfg.system_prompt, [(skill name, body)])`;
- user: the request of the turn the skill was launched in;
- then the assistant's work after the body, up to the next user action.
The Skill call and its "Launching skill" result are left out: the body is already in the
system prompt, which is how the agent will present retrieved runbooks. A skill launched from a
slash command (no typed request in its turn) gives no example.
"""

from __future__ import annotations

import re
from typing import Any

from halops.contract.prompts import skill_system_prompt
from halops.curate.common import Session, Turn, conversations, make_example, split_turns
from halops.curate.config import CurateConfig
from halops.curate.messages import rows_to_messages
from halops.rows import Row, text_of

__all__ = ["build_examples", "skill_body", "skill_system_prompt"]

STRATEGY = "skills"
# The CLI prefixes a skill body with its local install directory: a path, not instructions.
_BASE_DIR = re.compile(r"\ABase directory for this skill: [^\n]*\n+")


def build_examples(session: Session, cfg: CurateConfig) -> list[dict[str, Any]]:
    """One example per skill body in an answered request, in the main or a subagent thread."""
    calls = session.calls_by_id()
    examples = []
    for rows in conversations(session.rows):
        for turn in split_turns(rows):
            if turn.kind == "user_prompt":
                examples.extend(_turn_examples(session, turn, calls, cfg))
    return examples


def _turn_examples(
    session: Session, turn: Turn, calls: dict[str, Row], cfg: CurateConfig
) -> list[dict[str, Any]]:
    examples = []
    for index, row in enumerate(turn.rows):
        if row["kind"] != "skill_body":
            continue
        name = skill_name(row, calls)
        system = skill_system_prompt(cfg.system_prompt, [(name, skill_body(text_of(row)))])
        work = turn.rows[index + 1 :]
        messages = rows_to_messages([turn.rows[0], *work], cfg)
        span = [row, *work]
        example = make_example(STRATEGY, session, span, messages, cfg, system, skill=name)
        if example is not None:
            examples.append(example)
    return examples


def skill_name(row: Row, calls: dict[str, Row]) -> str:
    """The `skill` input of the Skill call that launched this body, else "skill"."""
    call = calls.get(row.get("source_tool_use_id") or "", {})
    name = (call.get("input") or {}).get("skill")
    return str(name) if name else "skill"


def skill_body(text: str) -> str:
    """The SKILL.md text without the CLI's "Base directory for this skill:" line."""
    return _BASE_DIR.sub("", text).strip()
