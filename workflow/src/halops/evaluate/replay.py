"""Replay executors: one per agent tool, answering from a case's recorded outputs.

They sit where the real executors sit, behind the agent loop, so the real safety policy still
judges every call before it reaches them; what they never see (blocked, denied) is exactly what
would not have run on the lab. Lookup is by tool and normalised arguments first, then by the
recording's acceptable values (the call matcher), so a recording can cover `zpool status tank`
and `zpool status -v tank` alike.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.tools.base import ToolExecutor, ToolResult, ToolSpec
from halops.contract.toolcall import ToolCall
from halops.contract.tools import AGENT_TOOL_SPECS
from halops.evaluate.cases import Recording
from halops.evaluate.matching import ExpectedCall, match_call, with_defaults

NO_RECORDING = (
    "no recorded output for this call (evaluation replay: only the case's recorded calls "
    "have outputs; nothing ran)"
)


def normalise_arguments(tool: str, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """Defaults filled in, strings trimmed and whitespace collapsed, hosts and methods in one
    case: the differences a shell or an inventory lookup would not notice either."""
    normal: dict[str, Any] = {}
    for key, value in with_defaults(tool, arguments).items():
        if isinstance(value, str):
            value = re.sub(r"\s+", " ", value.strip())
            if key == "host":
                value = value.lower()
            elif key == "method":
                value = value.upper()
        normal[key] = value
    return normal


def recording_key(tool: str, arguments: Mapping[str, Any]) -> str:
    return json.dumps([tool, normalise_arguments(tool, arguments)], sort_keys=True)


def _exact_arguments(recording: Recording) -> dict[str, Any] | None:
    """The recording's arguments when each is a single plain value (usable as a key)."""
    exact = {}
    for key, value in recording.arguments.items():
        if isinstance(value, (list, dict)):
            return None
        exact[key] = value
    return exact


@dataclass
class ReplayExecutor:
    """Stands in for one transport's executor; records every call that reached it."""

    spec: ToolSpec
    recordings: list[Recording] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._by_key = {}
        for recording in self.recordings:
            exact = _exact_arguments(recording)
            if exact is not None:
                self._by_key.setdefault(recording_key(self.spec.name, exact), recording)

    def execute(self, args: dict[str, Any], timeout_s: float, **_: Any) -> ToolResult:
        # **_: the loop passes allow_compound=True for shell lines that need bash; the policy
        # has already judged the line, and nothing runs here anyway.
        self.calls.append(dict(args))
        recording = self.lookup(args)
        if recording is None:
            return ToolResult.failure("refused", NO_RECORDING)
        if recording.ok:
            return ToolResult(True, recording.output, recording.exit_status)
        return ToolResult.failure("nonzero_exit", recording.output, 0.0, recording.exit_status)

    def lookup(self, args: Mapping[str, Any]) -> Recording | None:
        found = self._by_key.get(recording_key(self.spec.name, args))
        if found is not None:
            return found
        call = ToolCall(self.spec.name, dict(args))
        for recording in self.recordings:
            expected = ExpectedCall.from_mapping(
                {"tool": recording.tool, "arguments": recording.arguments}
            )
            if match_call(call, expected).ok:
                return recording
        return None


def replay_tools(recordings: Iterable[Recording]) -> dict[str, ToolExecutor]:
    """A replay executor for every agent tool that reaches the lab, each with its recordings.

    Local tools (search_runbooks) touch no host; the runner gives them the real index when
    retrieval is on, as the bot does."""
    recordings = list(recordings)
    return {
        spec.name: ReplayExecutor(spec, [r for r in recordings if r.tool == spec.name])
        for spec in AGENT_TOOL_SPECS
        if spec.transport != "local"
    }
