"""Read the final splits as text-only chat messages (tool calls rendered by contract.toolcall).

Kept apart from `data` so that the check rule reads questions without importing `datasets`.
"""

from __future__ import annotations

import json
from pathlib import Path

from halops.contract.toolcall import render_messages_for_training


def load_conversations(path: Path) -> list[list[dict[str, str]]]:
    """Read `{"messages": [...], "tools"?: [...]}` lines and render tool calls to text."""
    conversations = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                messages = record["messages"]
                conversations.append(render_messages_for_training(messages, record.get("tools")))
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"{path}:{number}: {exc}") from exc
    return conversations
