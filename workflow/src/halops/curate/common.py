"""Helpers shared by the curate strategies: sessions, turns, examples and the output table."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from halops.contract.tools import agent_tools_prompt
from halops.curate.agent_tools import unmapped_tools
from halops.curate.config import CurateConfig
from halops.curate.messages import Message, estimate_tokens, has_assistant
from halops.rows import Row, tool_calls

# Rows that start a new turn: something the user did. Only user_prompt turns hold a request.
USER_ACTIONS = frozenset({"user_prompt", "command", "bash_markup"})

EXAMPLE_COLUMNS: dict[str, str] = {
    "example_id": "string",
    "strategy": "string",
    "session_id": "string",
    "project": "string",
    "tier": "string",
    "source": "string",
    "messages": "string",
    "n_messages": "int64",
    # Optional metadata (CONTRACTS allows extra columns): where the example came from and size.
    "seq_start": "int64",
    "seq_end": "int64",
    "approx_tokens": "int64",
    "skill": "string",
    "agent_id": "string",
}


@dataclass(frozen=True)
class Session:
    """One qualified session's rows (conversation order) and its tier."""

    session_id: str
    project: str
    tier: str
    rows: list[Row]

    def main(self) -> list[Row]:
        """The main conversation: rows without agent_id (subagents have their own strategy)."""
        return [row for row in self.rows if row.get("agent_id") is None]

    def calls_by_id(self) -> dict[str, Row]:
        """Every tool call of the session (main and subagents) by tool_use id."""
        return {call["id"]: call for row in self.rows for call in tool_calls(row) if call.get("id")}


@dataclass(frozen=True)
class Turn:
    """Rows from one user action up to the next; `kind` is the starting row's kind."""

    kind: str
    rows: list[Row]


def split_turns(rows: list[Row], starts: frozenset[str] = USER_ACTIONS) -> list[Turn]:
    """Cut rows into turns at every row whose kind is in `starts`.

    Rows before the first start (a session that begins mid-way) form a turn of kind "lead".
    """
    turns: list[Turn] = []
    for row in rows:
        if row["kind"] in starts or not turns:
            kind = row["kind"] if row["kind"] in starts else "lead"
            turns.append(Turn(kind, []))
        turns[-1].rows.append(row)
    return turns


def conversations(rows: list[Row]) -> list[list[Row]]:
    """Rows grouped by agent_id (main conversation first), each in conversation order."""
    groups: dict[Any, list[Row]] = {}
    for row in rows:
        groups.setdefault(row.get("agent_id"), []).append(row)
    return list(groups.values())


def make_example(
    strategy: str,
    session: Session,
    span: list[Row],
    messages: list[Message],
    cfg: CurateConfig,
    system_prompt: str | None = None,
    **metadata: Any,
) -> dict[str, Any] | None:
    """An output row, or None when the messages do not form a trainable example.

    A trainable example starts with a user message and has at least one assistant message;
    the system message is prepended here so every strategy starts with system then user.
    """
    if not messages or messages[0]["role"] != "user" or not has_assistant(messages):
        return None
    if cfg.agent_tools.drop_unmapped_examples and unmapped_tools(messages):
        return None  # the agent could not run these calls, so do not teach them
    content = cfg.system_prompt if system_prompt is None else system_prompt
    if cfg.agent_tools.tools_in_system_prompt:
        # Exactly the agent's own system-prompt tail (bot.agent.loop.Agent.system_message): the
        # agent offers search_runbooks together with retrieved passages, and only then; a custom
        # system prompt here is the skills strategy's, which carries such passages.
        with_documents = system_prompt is not None
        content = f"{content}\n\n{agent_tools_prompt(with_local=with_documents)}"
    system = {"role": "system", "content": content}
    full = [system, *messages]
    first, last = span[0], span[-1]
    return {
        "example_id": example_id(strategy, session.session_id, first["source"], last["source"]),
        "strategy": strategy,
        "session_id": session.session_id,
        "project": session.project,
        "tier": session.tier,
        "source": first["source"],
        "messages": json.dumps(full, ensure_ascii=False),
        "n_messages": len(full),
        "seq_start": first["seq"],
        "seq_end": last["seq"],
        "approx_tokens": estimate_tokens(full, cfg.chars_per_token),
        "skill": metadata.get("skill"),
        "agent_id": metadata.get("agent_id"),
    }


def example_id(strategy: str, session_id: str, first_source: str, last_source: str) -> str:
    """Stable id: a hash of the strategy, session and the raw-line span the example covers.

    Raw `path:LINE` locations, not row positions, so re-extracting the same files with a
    changed extractor keeps ids stable as long as the span covers the same lines.
    """
    key = "\x1f".join([strategy, session_id, str(first_source), str(last_source)])
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def examples_frame(examples: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """The curated table (EXAMPLE_COLUMNS), one row per distinct example_id."""
    frame = pd.DataFrame(list(examples), columns=list(EXAMPLE_COLUMNS))
    frame = frame.drop_duplicates("example_id", ignore_index=True)
    return frame.astype(EXAMPLE_COLUMNS)
