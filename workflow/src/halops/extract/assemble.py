"""Turn the validated records of one session (main file + subagent files) into ordered rows.

What makes this more than a loop (transcript-format.md §3, §4.1, §5, §6, §7):
- the CLI writes one content block per assistant record, so one API response spans several
  records sharing `message.id`, with tool results interleaved: merge them non-contiguously into
  one row at the position of the first record;
- resumed sessions replay records with the same `uuid`, so dedupe by uuid, first file wins;
- tool results pair with calls by `tool_use_id`, never by position;
- subagent files hold no link to their spawning call, so collect the links the main side writes
  (`toolUseResult.agentId`, `agent_progress`) plus the era-3 `meta.json` sidecar;
- compaction restarts the `parentUuid` chain; `logicalParentUuid` is kept to bridge it.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from halops.extract.classify import classify_user
from halops.extract.reader import Record, dump_json

log = logging.getLogger(__name__)

# Not rows: progress duplicates subagent turns and tool output, the others are UI bookkeeping.
STRUCTURAL_TYPES = frozenset({"progress", "file-history-snapshot", "queue-operation"})
ASSISTANT = "assistant"
COMPACT_BOUNDARY = "compact_boundary"
OTHER = "other"


@dataclass(slots=True)
class Row:
    """One output row; assistant rows collect their blocks in lists until `finish`."""

    raw_type: str
    kind: str
    source: str
    uuid: str | None = None
    parent_uuid: str | None = None
    logical_parent_uuid: str | None = None
    timestamp: str | None = None
    text: str | None = None
    thinking: str | None = None
    tool_calls: list[dict[str, Any]] | None = None
    tool_use_id: str | None = None
    tool_name: str | None = None
    is_error: bool | None = None
    message_id: str | None = None
    model: str | None = None
    source_tool_use_id: str | None = None
    n_records: int = 1
    texts: list[str] | None = None
    thinkings: list[str] | None = None

    def finish(self) -> None:
        """Join the collected assistant blocks into their columns."""
        if self.texts is not None:
            self.text = "\n".join(self.texts) if self.texts else None
            self.thinking = "\n\n".join(self.thinkings) if self.thinkings else None
            self.texts = self.thinkings = None


@dataclass
class TranscriptFile:
    """The records of one file (consumed once) and whether a subagent wrote them."""

    rel: str
    records: Iterable[Record]
    is_agent: bool = False
    name_agent_id: str | None = None  # from `agent-<id>.jsonl`, if the records carry no agentId
    meta_path: Path | None = None  # era-3 `agent-<id>.meta.json` sidecar, if any


@dataclass
class Section:
    """The rows of one transcript file, ordered as written, and what its records said."""

    file: TranscriptFile
    rows: list[Row] = field(default_factory=list)
    agent_id: str | None = None  # None for the main transcript
    session_id: str | None = None  # first sessionId the records carry
    spawn_tool_use_id: str | None = None


@dataclass
class SpawnLinks:
    """agent id -> spawning tool_use id, from each place the format records it (§6)."""

    by_result: dict[str, str] = field(default_factory=dict)
    by_progress: dict[str, str] = field(default_factory=dict)

    def note_user(self, obj: dict[str, Any]) -> None:
        result = obj.get("toolUseResult")
        if not isinstance(result, dict) or not isinstance(result.get("agentId"), str):
            return
        content = obj["message"].get("content")
        if isinstance(content, list):
            for block in content:
                if block["type"] == "tool_result":
                    self.by_result.setdefault(result["agentId"], block["tool_use_id"])
                    return

    def note_progress(self, obj: dict[str, Any]) -> None:
        data = obj.get("data")
        if not isinstance(data, dict) or data.get("type") != "agent_progress":
            return
        agent_id, tool_use_id = data.get("agentId"), obj.get("parentToolUseID")
        if isinstance(agent_id, str) and isinstance(tool_use_id, str):
            self.by_progress.setdefault(agent_id, tool_use_id)

    def lookup(self, section: Section) -> str | None:
        agent_id = section.agent_id
        if agent_id is None:
            return None
        found = self.by_result.get(agent_id) or self.by_progress.get(agent_id)
        return found or read_meta_tool_use_id(section.file.meta_path)


def read_meta_tool_use_id(meta_path: Path | None) -> str | None:
    """`toolUseId` of an era-3 sidecar; a missing or malformed sidecar just gives no link."""
    if meta_path is None:
        return None
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    value = meta.get("toolUseId") if isinstance(meta, dict) else None
    return value if isinstance(value, str) else None


@dataclass
class Assembly:
    """The ordered rows of a session plus what the stats report."""

    rows: list[Row]
    agent_ids: list[str | None]  # per row
    spawn_ids: list[str | None]  # per row
    session_id: str | None = None  # the main file's sessionId (a summary-only file has none)
    by_type: Counter[str] = field(default_factory=Counter)
    records: int = 0
    duplicates: int = 0
    structural: int = 0
    tool_calls: int = 0
    tool_results: int = 0
    paired: int = 0
    unanswered_calls: int = 0
    subagents: int = 0
    subagents_attached: int = 0
    compactions: int = 0
    compactions_bridged: int = 0


class _Builder:
    """Walks files in order, sharing the uuid set and spawn links across them."""

    def __init__(self) -> None:
        self.seen_uuids: set[str] = set()
        self.links = SpawnLinks()
        self.by_type: Counter[str] = Counter()
        self.records = self.duplicates = self.structural = 0

    def section(self, file: TranscriptFile) -> Section:
        section = Section(file)
        groups: dict[str, Row] = {}  # message.id -> its merged row, within this file
        for record in file.records:
            obj = record.obj
            if section.session_id is None:
                section.session_id = obj.get("sessionId") or None
            if file.is_agent and section.agent_id is None:
                section.agent_id = obj.get("agentId") or None
            uuid = obj.get("uuid")
            if uuid is not None:
                if uuid in self.seen_uuids:
                    self.duplicates += 1
                    continue
                self.seen_uuids.add(uuid)
            self.records += 1
            self._add(section, groups, obj, f"{file.rel}:{record.lineno}")
        if file.is_agent and section.agent_id is None:
            section.agent_id = file.name_agent_id
        return section

    def _add(self, section: Section, groups: dict[str, Row], obj: dict[str, Any], src: str) -> None:
        rtype = obj["type"]
        self.by_type[rtype] += 1
        if rtype in STRUCTURAL_TYPES:
            self.structural += 1
            self.links.note_progress(obj)
        elif rtype == ASSISTANT:
            _add_assistant(section.rows, groups, obj, src)
        elif rtype == "user":
            self.links.note_user(obj)
            section.rows.extend(_user_rows(obj, src))
        else:
            section.rows.append(_plain_row(obj, rtype, src))


def _base_row(obj: dict[str, Any], raw_type: str, kind: str, source: str) -> Row:
    return Row(
        raw_type=raw_type,
        kind=kind,
        source=source,
        uuid=obj.get("uuid"),
        parent_uuid=obj.get("parentUuid"),
        logical_parent_uuid=obj.get("logicalParentUuid"),
        timestamp=obj.get("timestamp"),
    )


def _add_assistant(rows: list[Row], groups: dict[str, Row], obj: dict[str, Any], src: str) -> None:
    message = obj["message"]
    message_id = message.get("id")
    row = groups.get(message_id) if message_id is not None else None
    if row is None:
        row = _base_row(obj, ASSISTANT, ASSISTANT, src)
        row.message_id, row.model = message_id, message.get("model")
        row.texts, row.thinkings, row.tool_calls = [], [], []
        rows.append(row)
        if message_id is not None:
            groups[message_id] = row
    else:
        row.n_records += 1
        row.model = row.model or message.get("model")
    _add_blocks(row, message.get("content"))


def _add_blocks(row: Row, content: Any) -> None:
    assert row.texts is not None and row.thinkings is not None and row.tool_calls is not None
    if isinstance(content, str):
        row.texts.append(content)
        return
    for block in content or ():
        btype = block["type"]
        if btype == "text" and block.get("text") is not None:
            row.texts.append(block["text"])
        elif btype == "thinking" and block.get("thinking"):
            row.thinkings.append(block["thinking"])
        # A replayed record can repeat a block under a new uuid: one call per id.
        elif btype == "tool_use" and all(c["id"] != block["id"] for c in row.tool_calls):
            row.tool_calls.append(
                {"id": block["id"], "name": block["name"], "input": block.get("input")}
            )


def _user_rows(obj: dict[str, Any], source: str) -> list[Row]:
    rows = []
    for item in classify_user(obj):
        row = _base_row(obj, "user", item.kind, source)
        row.text, row.tool_use_id, row.is_error = item.text, item.tool_use_id, item.is_error
        row.source_tool_use_id = item.source_tool_use_id
        rows.append(row)
    return rows


def _plain_row(obj: dict[str, Any], rtype: str, source: str) -> Row:
    if rtype == "system":
        kind = COMPACT_BOUNDARY if obj.get("subtype") == COMPACT_BOUNDARY else "system"
        row = _base_row(obj, rtype, kind, source)
        row.text = obj.get("content")
    elif rtype == "summary":
        row = _base_row(obj, rtype, "summary", source)
        row.text = obj.get("summary")
    else:
        # Unknown or metadata-only types: kept whole as JSON so nothing is silently lost.
        row = _base_row(obj, rtype, OTHER, source)
        row.text = dump_json(obj)
    return row


def _order_sections(sections: list[Section]) -> list[Section]:
    """Main first, then subagents in the order their spawning calls appear in the main rows."""
    main, subs = sections[0], sections[1:]
    call_pos = {
        call["id"]: pos for pos, row in enumerate(main.rows) for call in (row.tool_calls or ())
    }
    big = len(main.rows)

    def key(section: Section) -> tuple[int, str]:
        return call_pos.get(section.spawn_tool_use_id or "", big), section.file.rel

    return [main, *sorted(subs, key=key)]


def _pair(asm: Assembly) -> None:
    """Fill tool_name on results from the calls' ids and count calls, results and pairs."""
    names: dict[str, str] = {}
    keys: set[tuple[str | None, str]] = set()
    for row in asm.rows:
        for call in row.tool_calls or ():
            names.setdefault(call["id"], call["name"])
            keys.add((row.message_id, call["id"]))
    answered: set[str] = set()
    for row in asm.rows:
        if row.kind != "tool_result":
            continue
        asm.tool_results += 1
        name = names.get(row.tool_use_id or "")
        if name is not None:
            row.tool_name = name
            asm.paired += 1
            answered.add(row.tool_use_id or "")
    asm.tool_calls = len(keys)
    asm.unanswered_calls = len(names.keys() - answered)


def assemble(files: list[TranscriptFile]) -> Assembly:
    """Rows of a session; `files[0]` is the main transcript, the rest its subagents."""
    builder = _Builder()
    sections = [builder.section(f) for f in files]
    for section in sections:  # the main section too, when it is an orphan agent file
        section.spawn_tool_use_id = builder.links.lookup(section)
    ordered = _order_sections(sections) if sections else []
    asm = Assembly(rows=[], agent_ids=[], spawn_ids=[])
    asm.session_id = sections[0].session_id if sections else None
    for section in ordered:
        for row in section.rows:
            row.finish()
        asm.rows.extend(section.rows)
        asm.agent_ids.extend([section.agent_id] * len(section.rows))
        asm.spawn_ids.extend([section.spawn_tool_use_id] * len(section.rows))
    _pair(asm)
    _fill_counts(asm, builder, sections)
    return asm


def _fill_counts(asm: Assembly, builder: _Builder, sections: list[Section]) -> None:
    asm.by_type = builder.by_type
    asm.records, asm.duplicates, asm.structural = (
        builder.records,
        builder.duplicates,
        builder.structural,
    )
    agents = [s for s in sections if s.agent_id is not None]
    asm.subagents = len(agents)
    asm.subagents_attached = sum(1 for s in agents if s.spawn_tool_use_id)
    boundaries = [r for r in asm.rows if r.kind == COMPACT_BOUNDARY]
    asm.compactions = len(boundaries)
    asm.compactions_bridged = sum(
        1 for r in boundaries if r.logical_parent_uuid in builder.seen_uuids
    )
