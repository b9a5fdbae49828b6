"""Fixtures for the transcript tests: a record builder and a one-call extraction runner."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from halops.extract.session import ExtractStats, extract_session


class Transcript:
    """Builds chained records the way Claude Code writes them (one content block per record)."""

    def __init__(self, session_id: str = "sess-1", agent_id: str | None = None) -> None:
        self.session_id = session_id
        self.agent_id = agent_id
        self.n = 0
        self.last: str | None = None

    def envelope(self, rtype: str, **extra: Any) -> dict[str, Any]:
        self.n += 1
        prefix = f"{self.agent_id}-" if self.agent_id else ""
        uuid = f"{prefix}u{self.n}"
        rec: dict[str, Any] = {
            "parentUuid": self.last,
            "isSidechain": self.agent_id is not None,
            "sessionId": self.session_id,
            "type": rtype,
            "uuid": uuid,
            "timestamp": f"2026-01-01T00:{self.n // 60:02d}:{self.n % 60:02d}.000Z",
        }
        if self.agent_id:
            rec["agentId"] = self.agent_id
        rec.update(extra)
        self.last = uuid
        return rec

    def user(self, content: Any, **extra: Any) -> dict[str, Any]:
        return self.envelope("user", message={"role": "user", "content": content}, **extra)

    def assistant(self, mid: str, block: dict[str, Any], **extra: Any) -> dict[str, Any]:
        message = {"id": mid, "model": "claude-test", "role": "assistant", "content": [block]}
        return self.envelope("assistant", message=message, requestId=f"req-{mid}", **extra)

    def text(self, mid: str, text: str) -> dict[str, Any]:
        return self.assistant(mid, {"type": "text", "text": text})

    def thinking(self, mid: str, text: str) -> dict[str, Any]:
        return self.assistant(mid, {"type": "thinking", "thinking": text, "signature": "sig"})

    def call(self, mid: str, tid: str, name: str, inp: dict[str, Any] | None = None) -> dict:
        block = {"type": "tool_use", "id": tid, "name": name, "input": inp or {}}
        return self.assistant(mid, block)

    def result(self, tid: str, content: Any, is_error: bool | None = None, **extra: Any) -> dict:
        block: dict[str, Any] = {"type": "tool_result", "tool_use_id": tid, "content": content}
        if is_error is not None:
            block["is_error"] = is_error
        return self.user([block], **extra)

    def system(self, subtype: str, content: str | None = None, **extra: Any) -> dict[str, Any]:
        return self.envelope("system", subtype=subtype, content=content, **extra)


def write_jsonl(path: Path, lines: list[Any]) -> Path:
    """Write records (dicts) or raw lines (str/bytes, written as given plus a newline)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        for item in lines:
            if isinstance(item, bytes):
                f.write(item + b"\n")
            elif isinstance(item, str):
                f.write(item.encode() + b"\n")
            else:
                f.write(json.dumps(item).encode() + b"\n")
    return path


@dataclass
class Extracted:
    df: pd.DataFrame
    quarantine: list[dict[str, str]]
    stats: ExtractStats


def run_extract(
    main: Path, subagents: list[Path], sessions_dir: Path, out_dir: Path, **kw: Any
) -> Extracted:
    parquet, quarantine = out_dir / "out.parquet", out_dir / "out.quarantine.jsonl"
    stats = extract_session(main, subagents, sessions_dir, parquet, quarantine, **kw)
    lines = quarantine.read_text(encoding="utf-8").splitlines()
    return Extracted(read_rows(parquet), [json.loads(x) for x in lines], stats)


def read_rows(parquet: Path) -> pd.DataFrame:
    """The parquet as a DataFrame whose nulls are None (pandas would show str nulls as NaN)."""
    df = pd.read_parquet(parquet).astype(object)
    return df.where(df.notna(), None)


@pytest.fixture
def sessions_dir(tmp_path: Path) -> Path:
    d = tmp_path / "projects"
    d.mkdir()
    return d


@pytest.fixture
def extract_lines(sessions_dir: Path, tmp_path: Path):
    """Write `lines` as `<sessions_dir>/proj/main.jsonl` and extract it alone."""

    def run(lines: list[Any], name: str = "main.jsonl", **kw: Any) -> Extracted:
        main = write_jsonl(sessions_dir / "proj" / name, lines)
        return run_extract(main, [], sessions_dir, tmp_path / "out", **kw)

    return run


@pytest.fixture
def transcript() -> type[Transcript]:
    """The record builder class: `t = transcript("sess-1")`, `t.user("hi")`, ..."""
    return Transcript


@pytest.fixture
def write():
    """`write(path, lines)`: records (dicts) or raw lines (str/bytes) to a JSONL file."""
    return write_jsonl


@pytest.fixture
def extract(sessions_dir: Path, tmp_path: Path):
    """`extract(main, subagents=[], **kw)` -> Extracted, reading from `sessions_dir`."""

    def run(main: Path, subagents: list[Path] | None = None, **kw: Any) -> Extracted:
        return run_extract(main, subagents or [], sessions_dir, tmp_path / "out", **kw)

    return run
