"""Walk a user's sessions and count, per host, the tool calls that reached it and how.

Reads the raw transcripts with the extract stage's reader (no pipeline run needed): every
`Bash` command (through `commands.command_touches`) and every `WebFetch` URL of the main
transcripts and their subagents. Tool output is only read for name/address pairs the tools
printed themselves (`PING pve03 (10.20.0.13)`, hosts-file lines), so that a host reached both
by name and by address becomes one entry.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from halops.discover.commands import Touch, command_touches, is_host, url_touch
from halops.extract.reader import ReadResult, iter_records
from halops.extract.sessions import SessionRef
from halops.extract.shards import session_key

# `PING pve03 (10.20.0.13) 56(84) bytes`, `traceroute to pve03 (10.20.0.13)`, ssh -v
# `Connecting to pve03 [10.20.0.13]`: a name the tool resolved, and its address.
_RESOLVED = re.compile(
    r"(?:^PING|traceroute to|Connecting to)\s+(\S+)\s+[(\[]([0-9a-fA-F.:]+)[)\]]", re.M
)
# /etc/hosts and `getent hosts` lines: an address, then names.
_HOSTS_LINE = re.compile(r"^\s*(\d{1,3}(?:\.\d{1,3}){3})\s+([A-Za-z0-9][\w.\- \t]*)$", re.M)


@dataclass
class HostSeen:
    """What the sessions did with one host."""

    host: str
    methods: Counter[str] = field(default_factory=Counter)  # tool calls per method
    sessions: set[str] = field(default_factory=set)
    users: Counter[str] = field(default_factory=Counter)  # ssh/ipmi users
    ssh_ports: Counter[int] = field(default_factory=Counter)
    http: Counter[tuple[str, int]] = field(default_factory=Counter)  # (scheme, port)

    @property
    def calls(self) -> int:
        return sum(self.methods.values())

    def add(self, touch: Touch, session: str) -> None:
        self.methods[touch.method] += 1
        self.sessions.add(session)
        if touch.user:
            self.users[touch.user] += 1
        if touch.method == "ssh" and touch.port:
            self.ssh_ports[touch.port] += 1
        if touch.method == "http" and touch.scheme and touch.port:
            self.http[(touch.scheme, touch.port)] += 1


@dataclass
class Scan:
    """Every host the sessions touched, and the names tools resolved to addresses."""

    sessions: int = 0
    tool_calls: int = 0
    hosts: dict[str, HostSeen] = field(default_factory=dict)
    resolved: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    def touch(self, touch: Touch, session: str) -> None:
        self.hosts.setdefault(touch.host, HostSeen(touch.host)).add(touch, session)


def scan_sessions(refs: Iterable[SessionRef], sessions_dir: Path) -> Scan:
    scan = Scan()
    for ref in refs:
        scan.sessions += 1
        key = session_key(ref.project, ref.session)
        for path in (ref.main_path, *ref.subagent_paths):
            for block in _content_blocks(path, sessions_dir):
                _read_block(block, key, scan)
    return scan


def _content_blocks(path: Path, sessions_dir: Path) -> Iterator[dict[str, Any]]:
    rel = str(path.relative_to(sessions_dir)) if path.is_relative_to(sessions_dir) else str(path)
    for record in iter_records(path, rel, ReadResult()):
        message = record.obj.get("message")
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list):
            yield from (block for block in content if isinstance(block, dict))


def _read_block(block: dict[str, Any], session: str, scan: Scan) -> None:
    kind = block.get("type")
    if kind == "tool_use":
        scan.tool_calls += 1
        for touch in tool_touches(block.get("name"), block.get("input")):
            scan.touch(touch, session)
    elif kind == "tool_result":
        for name, address in resolved_names(_result_text(block.get("content"))):
            scan.resolved[name][address] += 1


def tool_touches(name: Any, tool_input: Any) -> list[Touch]:
    """The hosts one tool call reached (Bash commands, WebFetch URLs)."""
    if not isinstance(tool_input, dict):
        return []
    if name == "Bash" and isinstance(tool_input.get("command"), str):
        return command_touches(tool_input["command"])
    if name == "WebFetch" and isinstance(tool_input.get("url"), str):
        touch = url_touch(tool_input["url"])
        return [touch] if touch else []
    return []


def _result_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(part.get("text") or "") for part in content if isinstance(part, dict))
    return ""


def resolved_names(text: str) -> Iterator[tuple[str, str]]:
    """(name, address) pairs a tool printed: ping/traceroute/ssh -v lines and hosts files."""
    if not text:
        return
    for name, address in _RESOLVED.findall(text):
        if name != address and is_host(name):
            yield name.lower().rstrip("."), address
    for address, names in _HOSTS_LINE.findall(text):
        for name in names.split():
            if is_host(name) and name != address:
                yield name.lower().rstrip("."), address
