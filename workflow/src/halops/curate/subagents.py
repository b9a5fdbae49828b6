"""subagents: a Task/Agent prompt as the request, the subagent's transcript as the work.

Each subagent (rows sharing an agent_id) gives one example. The user message is the `prompt`
input of the spawning Task/Agent call (found by spawn_tool_use_id); when that call is unknown,
the subagent's own first prompt, which is the same text as the subagent received it. The
assistant's work is every subagent row after that first prompt. Compaction agents and warm-up
pings (config `subagents`) carry no task and are skipped.
"""

from __future__ import annotations

from typing import Any

from halops.curate.common import Session, conversations, make_example
from halops.curate.config import CurateConfig
from halops.curate.messages import rows_to_messages, user_message
from halops.rows import Row, text_of

STRATEGY = "subagents"
SPAWN_TOOLS = frozenset({"Task", "Agent"})


def build_examples(session: Session, cfg: CurateConfig) -> list[dict[str, Any]]:
    """One example per subagent transcript of the session."""
    calls = session.calls_by_id()
    examples = []
    for rows in conversations(session.rows):
        agent_id = rows[0].get("agent_id")
        if agent_id is None or _skipped_agent(agent_id, cfg):
            continue
        prompt, work = split_prompt(rows, calls)
        if not prompt.strip() or prompt.strip() in cfg.subagents.skip_prompts:
            continue
        messages = [user_message(prompt), *rows_to_messages(work, cfg)]
        example = make_example(STRATEGY, session, rows, messages, cfg, agent_id=agent_id)
        if example is not None:
            examples.append(example)
    return examples


def _skipped_agent(agent_id: str, cfg: CurateConfig) -> bool:
    return any(agent_id.startswith(prefix) for prefix in cfg.subagents.skip_agent_prefixes)


def split_prompt(rows: list[Row], calls: dict[str, Row]) -> tuple[str, list[Row]]:
    """(the task prompt, the rows of the subagent's work)."""
    first = next((i for i, row in enumerate(rows) if row["kind"] == "user_prompt"), None)
    work = rows[first + 1 :] if first is not None else rows
    own_prompt = text_of(rows[first]) if first is not None else ""
    return spawn_prompt(rows, calls) or own_prompt, work


def spawn_prompt(rows: list[Row], calls: dict[str, Row]) -> str | None:
    """The `prompt` input of the Task/Agent call that spawned these rows, if known."""
    spawn_id = next(
        (row["spawn_tool_use_id"] for row in rows if row.get("spawn_tool_use_id")), None
    )
    call = calls.get(spawn_id or "")
    if not call or call.get("name") not in SPAWN_TOOLS:
        return None
    prompt = (call.get("input") or {}).get("prompt")
    return prompt if isinstance(prompt, str) and prompt.strip() else None
