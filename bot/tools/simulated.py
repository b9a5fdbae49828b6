"""The simulated lab: tool calls answered from recorded outputs, never over the network.

The sample inventory (`config/inventory.yaml`, `simulated: true`) describes hosts that belong
to nobody here (10.20.x.x). With it, every transport — ssh, ipmi, http and the local shell,
which could reach them too (`ping`, `curl`) — is one of these executors instead of the real one.
They sit exactly where the real executors sit, behind the agent loop, so the real safety policy
still judges every call first; what they answer comes from recordings of the lab:

- the tool calls and their results in the sample sessions (the `lab_recordings` rule writes
  them from the curated splits, keeping only calls the policy allows without approval: the
  read-only commands of every scenario);
- the evaluation cases' `recorded` outputs (`config/eval/cases.jsonl`), which the evaluation
  puts first for the case it runs.

A call with no recording is answered with a refusal that says nothing ran. Every answer carries
`SIMULATED_NOTE`, so neither the model nor a reader of the transcript can take it for a real
host's output. Lookup is by tool and normalised arguments first (whitespace collapsed, host
names in lower case, defaults filled in), then by a recording's acceptable values: a list of
values or `{"regex": ...}`, so one recording can cover `zpool status tank` and
`zpool status -v tank` alike.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.tools.base import ToolResult, ToolSpec

log = logging.getLogger(__name__)

SIMULATED_NOTE = "[simulated lab: recorded output; no host was contacted]"
NO_RECORDING = "no recorded output for this call in the simulated lab; nothing ran"
# Claude Code prefixes a failed command's output with its exit status; recordings keep that.
_EXIT_CODE = re.compile(r"\AExit code (\d+)\n")


class RecordingsError(ValueError):
    """A recordings file holds a line that is not a recording or an evaluation case."""


@dataclass(frozen=True)
class Recording:
    """One recorded tool output; `arguments` values may be plain values, lists of acceptable
    values or `{"regex": ...}` (the evaluation cases' form)."""

    tool: str
    arguments: Mapping[str, Any]
    output: str
    ok: bool = True
    exit_status: int | None = 0
    source: str = ""

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any], source: str = "") -> Recording:
        ok = bool(raw.get("ok", True))
        return cls(
            tool=str(raw["tool"]),
            arguments=dict(raw["arguments"]),
            output=str(raw["output"]),
            ok=ok,
            exit_status=raw.get("exit_status", 0 if ok else 1),
            source=str(raw.get("source", source)),
        )

    @classmethod
    def from_tool_message(cls, tool: str, arguments: Mapping[str, Any], content: str, source: str):
        """A call and its transcript result; "Exit code N" at the top marks a failure."""
        failed = _EXIT_CODE.match(content)
        if failed is None:
            return cls(tool, dict(arguments), content, True, 0, source)
        return cls(tool, dict(arguments), content, False, int(failed.group(1)), source)

    def to_mapping(self) -> dict[str, Any]:
        return {
            "tool": self.tool,
            "arguments": dict(self.arguments),
            "output": self.output,
            "ok": self.ok,
            "exit_status": self.exit_status,
            "source": self.source,
        }


def read_recordings(path: Path) -> list[Recording]:
    """Recordings of a JSONL file: recording lines (`tool`, `arguments`, `output`) or
    evaluation cases (their `recorded` lists). Blank and `//` lines are skipped."""
    recordings: list[Recording] = []
    with Path(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip() or line.lstrip().startswith("//"):
                continue
            where = f"{path}:{number}"
            try:
                raw = json.loads(line)
                items = raw.get("recorded", [raw])
                recordings += [Recording.from_mapping(item, where) for item in items]
            except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
                raise RecordingsError(f"{where}: not a recording or case: {exc!r}") from exc
    return recordings


def normalise_value(key: str, value: Any) -> Any:
    """What a shell or an inventory lookup would not tell apart: surrounding and repeated
    whitespace, the case of a host name or an HTTP method."""
    if not isinstance(value, str):
        return value
    value = re.sub(r"\s+", " ", value.strip())
    if key == "host":
        return value.lower()
    if key == "method":
        return value.upper()
    return value


def with_defaults(spec: ToolSpec, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The arguments with the tool's declared defaults filled in (http method GET)."""
    filled = dict(arguments)
    for name, schema in spec.parameters.get("properties", {}).items():
        if name not in filled and "default" in schema:
            filled[name] = schema["default"]
    return filled


def call_key(spec: ToolSpec, arguments: Mapping[str, Any]) -> str:
    normal = {k: normalise_value(k, v) for k, v in with_defaults(spec, arguments).items()}
    return json.dumps(normal, sort_keys=True)


def _is_pattern(value: Any) -> bool:
    return isinstance(value, (list, dict))


def value_accepted(key: str, value: Any, acceptable: Any) -> bool:
    """`value` against a recording's plain value, list of values or `{"regex": ...}`."""
    options = acceptable if isinstance(acceptable, list) else [acceptable]
    for option in options:
        if isinstance(option, dict) and "regex" in option:
            if isinstance(value, str) and re.search(option["regex"], value, re.I):
                return True
        elif normalise_value(key, value) == normalise_value(key, option):
            return True
    return False


@dataclass
class RecordingIndex:
    """One layer of recordings for one tool: exact keys first, then patterns, in file order
    (the first recording of a call wins)."""

    spec: ToolSpec
    recordings: Sequence[Recording] = ()
    _exact: dict[str, Recording] = field(default_factory=dict, init=False)
    _patterns: list[Recording] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        for recording in self.recordings:
            if any(_is_pattern(v) for v in recording.arguments.values()):
                self._patterns.append(recording)
            else:
                self._exact.setdefault(call_key(self.spec, recording.arguments), recording)

    def lookup(self, arguments: Mapping[str, Any]) -> Recording | None:
        found = self._exact.get(call_key(self.spec, arguments))
        if found is not None:
            return found
        filled = with_defaults(self.spec, arguments)
        for recording in self._patterns:
            wanted = with_defaults(self.spec, recording.arguments)
            if all(k in filled and value_accepted(k, filled[k], v) for k, v in wanted.items()):
                return recording
        return None


@dataclass
class SimulatedExecutor:
    """Stands in for one transport's executor; answers from its layers of recordings in order
    and keeps every call that reached it."""

    spec: ToolSpec
    layers: Sequence[Sequence[Recording]] = ()
    note: str = SIMULATED_NOTE
    calls: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._indexes = [
            RecordingIndex(self.spec, [r for r in layer if r.tool == self.spec.name])
            for layer in self.layers
        ]

    def lookup(self, arguments: Mapping[str, Any]) -> Recording | None:
        for index in self._indexes:
            found = index.lookup(arguments)
            if found is not None:
                return found
        return None

    def execute(
        self, args: dict[str, Any], timeout_s: float, *, allow_compound: bool = False
    ) -> ToolResult:
        # allow_compound: the loop passes it for shell lines that need bash; the policy has
        # judged the line already, and nothing runs here anyway.
        self.calls.append(dict(args))
        recording = self.lookup(args)
        if recording is None:
            return ToolResult.failure("refused", self._noted(NO_RECORDING))
        output = self._noted(recording.output)
        if recording.ok:
            return ToolResult(True, output, recording.exit_status)
        return ToolResult.failure("nonzero_exit", output, 0.0, recording.exit_status)

    def _noted(self, text: str) -> str:
        if not self.note:
            return text
        return f"{text.rstrip()}\n{self.note}" if text.strip() else self.note


@dataclass(frozen=True)
class SimulatedLab:
    """The recordings a simulated inventory is answered from, first layer first."""

    layers: tuple[tuple[Recording, ...], ...] = ()
    note: str = SIMULATED_NOTE

    @classmethod
    def from_files(cls, paths: Iterable[Path], note: str = SIMULATED_NOTE) -> SimulatedLab:
        """One layer per file, in the given order; a missing file is skipped with a warning
        (the pipeline's recordings exist only after its first run)."""
        layers = []
        for path in map(Path, paths):
            if not path.is_file():
                log.warning("simulated lab: %s not found; its recordings are missing", path)
                continue
            layers.append(tuple(read_recordings(path)))
        return cls(tuple(layers), note)

    def with_first(self, recordings: Iterable[Recording]) -> SimulatedLab:
        """The same lab with `recordings` consulted before every other layer."""
        return SimulatedLab((tuple(recordings), *self.layers), self.note)

    def executors(self, specs: Iterable[ToolSpec]) -> dict[str, SimulatedExecutor]:
        return {spec.name: SimulatedExecutor(spec, self.layers, self.note) for spec in specs}

    def __len__(self) -> int:
        return sum(len(layer) for layer in self.layers)
