"""What every tool executor shares: its declaration, its result, its output cap.

Executors only execute. Whether a call may run is the safety policy's decision (`bot.safety`),
and the agent loop wires the two together. A tool's failure — host down, non-zero exit,
timeout, refusal — is a `ToolResult` with an `error_kind`, never an exception, so the loop can
hand it back to the model as an observation.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from halops.contract.tools import ToolSpec

ErrorKind = Literal["host_down", "nonzero_exit", "timeout", "refused", "bad_arguments"]

# 64 KiB keeps a tool observation well inside a small model's context while still showing a
# full `journalctl -n 200` or `zpool status`.
DEFAULT_OUTPUT_CAP_BYTES = 64 * 1024
CUT_MARKER = "\n[... {cut} bytes cut by the output cap ...]\n"


@dataclass(frozen=True)
class ToolResult:
    """The outcome of one tool call; `output` is what the model (after scrubbing) sees."""

    ok: bool
    output: str
    exit_status: int | None = None  # process exit code, HTTP status or IPMI completion code
    error_kind: ErrorKind | None = None
    duration_s: float = 0.0

    @classmethod
    def failure(
        cls, kind: ErrorKind, output: str, duration_s: float = 0.0, exit_status: int | None = None
    ) -> ToolResult:
        return cls(False, output, exit_status, kind, duration_s)


@dataclass(frozen=True)
class HostEntry:
    """One inventory host as the executors need it; the inventory model itself lives in
    `bot.safety.inventory` and is converted to this at the edge."""

    name: str
    address: str
    port: int
    user: str
    # Name of the environment variable that holds this host's secret (the IPMI password);
    # secrets never live in config files or tool arguments.
    secret_env: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, name: str, raw: Mapping[str, Any], default_port: int) -> HostEntry:
        """Build from a plain mapping such as one inventory YAML entry."""
        known = {"address", "port", "user", "secret_env"}
        return cls(
            name=name,
            address=str(raw.get("address", name)),
            port=int(raw.get("port", default_port)),
            user=str(raw.get("user", "root")),
            secret_env=raw.get("secret_env"),
            extra={k: v for k, v in raw.items() if k not in known},
        )


@runtime_checkable
class ToolExecutor(Protocol):
    """One transport's executor. `execute` never raises for a tool failure.

    `allow_compound` is the policy's word, never the model's: the policy parsed this exact
    command line (as bash reads it) and it needs a full shell — pipes, lists, redirections,
    expansions. Without it a command-line executor runs the line in a restricted shell (no
    redirection, no `cd`, no path-named programs), as a second line of defence for the plain
    commands the policy judged. Executors that run no command line ignore it.
    """

    spec: ToolSpec

    def execute(
        self, args: dict[str, Any], timeout_s: float, *, allow_compound: bool = False
    ) -> ToolResult: ...


def cap_output(text: str, cap_bytes: int = DEFAULT_OUTPUT_CAP_BYTES) -> str:
    """Keep the head and the tail of `text` within `cap_bytes` UTF-8 bytes, marking the cut.

    Head and tail both matter: the head holds the command's context, the tail its error.
    """
    data = text.encode("utf-8", errors="replace")
    if len(data) <= cap_bytes:
        return text
    half = cap_bytes // 2
    return _head_tail(data[:half], data[len(data) - (cap_bytes - half) :], len(data), cap_bytes)


def _head_tail(head: bytes, tail: bytes, total: int, cap_bytes: int) -> str:
    """Join a head and a tail with the cut marker, shrinking both so the result fits the cap."""
    # `total` bounds the digits of any cut count, so the marker never outgrows this room.
    room = max(cap_bytes - len(CUT_MARKER.format(cut=total).encode()), 0)
    keep_head = min(len(head), room // 2)
    keep_tail = min(len(tail), room - keep_head)
    cut = total - keep_head - keep_tail
    # Decoding with "ignore" drops a multi-byte character split at either edge of the cut.
    return (
        head[:keep_head].decode("utf-8", errors="ignore")
        + CUT_MARKER.format(cut=cut)
        + (tail[len(tail) - keep_tail :].decode("utf-8", errors="ignore") if keep_tail else "")
    )


class BoundedCapture:
    """Collects a byte stream keeping only its first and last `cap_bytes // 2` bytes.

    Streams are captured bounded (not read whole, then cut) because `yes` or a runaway log
    can produce gigabytes before the timeout fires.
    """

    def __init__(self, cap_bytes: int = DEFAULT_OUTPUT_CAP_BYTES) -> None:
        self.cap_bytes = cap_bytes
        self._head = bytearray()
        self._tail = bytearray()
        self.total = 0

    def feed(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = self.cap_bytes // 2 - len(self._head)
        if room > 0:
            self._head += chunk[:room]
            chunk = chunk[room:]
        if chunk:
            self._tail += chunk
            keep = self.cap_bytes - self.cap_bytes // 2
            del self._tail[: max(len(self._tail) - keep, 0)]

    def text(self) -> str:
        if self.total <= self.cap_bytes:
            return (bytes(self._head) + bytes(self._tail)).decode("utf-8", errors="replace")
        return _head_tail(bytes(self._head), bytes(self._tail), self.total, self.cap_bytes)


def join_streams(stdout: str, stderr: str) -> str:
    """One observation from both streams; stderr is labelled because it usually explains."""
    if not stderr:
        return stdout
    sep = "" if not stdout or stdout.endswith("\n") else "\n"
    return f"{stdout}{sep}[stderr]\n{stderr}"


def elapsed_since(start: float) -> float:
    return round(time.monotonic() - start, 4)


def require_str(args: Mapping[str, Any], key: str) -> str | None:
    """The non-empty string argument `key`, or None when it is missing or of the wrong type."""
    value = args.get(key)
    return value if isinstance(value, str) and value.strip() else None
