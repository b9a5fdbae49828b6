"""`search_runbooks`: retrieval as a tool, over the same index the system prompt draws from."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from bot.tools.base import ToolResult, cap_output, elapsed_since, require_str
from halops.contract.tools import SEARCH_RUNBOOKS_SPEC

# query -> [(title, text)], e.g. bot.agent.wiring.runbook_search over the rag_index collection
Search = Callable[[str], list[tuple[str, str]]]


class RunbookSearchExecutor:
    spec = SEARCH_RUNBOOKS_SPEC

    def __init__(self, search: Search, cap_bytes: int = 16 * 1024) -> None:
        self.search, self.cap_bytes = search, cap_bytes

    def execute(
        self, args: dict[str, Any], timeout_s: float, *, allow_compound: bool = False
    ) -> ToolResult:
        start = time.monotonic()
        query = require_str(args, "query")
        if query is None:
            return ToolResult.failure("bad_arguments", "missing string argument 'query'")
        passages = self.search(query)
        if not passages:
            return ToolResult(True, "no runbook passage matches", 0, None, elapsed_since(start))
        text = "\n\n".join(f"## {title}\n{body.strip()}" for title, body in passages)
        return ToolResult(True, cap_output(text, self.cap_bytes), 0, None, elapsed_since(start))
