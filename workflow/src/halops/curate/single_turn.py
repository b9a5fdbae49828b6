"""single_turn: each real user request with the assistant's complete work on it.

A turn runs from a user prompt to the next user action (prompt, slash command, bash-mode
command). Its example is that prompt plus every assistant message, tool call and tool result
until then; compaction inside a turn is ignored (its rows are noise), because the example
already holds the pre-compaction work the summary stood in for. Turns started by a slash
command or bash-mode command have no typed request and give no example.
"""

from __future__ import annotations

from typing import Any

from halops.curate.common import Session, make_example, split_turns
from halops.curate.config import CurateConfig
from halops.curate.messages import rows_to_messages

STRATEGY = "single_turn"


def build_examples(session: Session, cfg: CurateConfig) -> list[dict[str, Any]]:
    """One example per answered user request of the main conversation."""
    examples = []
    for turn in split_turns(session.main()):
        if turn.kind != "user_prompt":
            continue
        example = make_example(STRATEGY, session, turn.rows, rows_to_messages(turn.rows, cfg), cfg)
        if example is not None:
            examples.append(example)
    return examples
