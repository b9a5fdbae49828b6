"""Find the sessions under a `~/.claude/projects`-like folder, or say why there are none.

Snakemake calls this at every DAG build, possibly over 100,000 files, so it reads directory
listings only, plus the first line or so of each flat `agent-*.jsonl` (era 2 files carry the
parent's sessionId but no other link to it). Main files are opened only when a flat agent's
sessionId is not simply a main file's stem. Stdlib only: no pyarrow at DAG build.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from halops.extract.reader import LineError, loads_line

AGENT_PREFIX = "agent-"
SUFFIX = ".jsonl"
# Era-3 folders that are not agent transcripts (transcript-format.md §1).
SKIPPED_DIRS = frozenset({"workflows", "tool-results"})
HEAD_LINES = 16  # summary / snapshot lines can precede the first record with a sessionId
HEAD_LINE_BYTES = 1 << 20
# For a huge first line: the envelope's sessionId precedes `message`, so its head holds it.
# Escaped quotes inside JSON strings (`\"sessionId\"`) cannot match.
_SESSION_ID_RE = re.compile(rb'"sessionId"\s*:\s*"([^"\\]{1,200})"')


@dataclass(frozen=True)
class SessionRef:
    """One session: the file that names it and the subagent files extracted with it."""

    project: str  # project dir name: the {project} wildcard
    session: str  # main file stem: the {session} wildcard
    main_path: Path
    subagent_paths: tuple[Path, ...] = ()


def read_session_id(path: Path) -> str | None:
    """sessionId of the first record that has one, reading as little of the file as possible."""
    try:
        with open(path, "rb") as f:
            for _ in range(HEAD_LINES):
                line = f.readline(HEAD_LINE_BYTES)
                if not line:
                    return None
                if len(line) == HEAD_LINE_BYTES and not line.endswith(b"\n"):
                    match = _SESSION_ID_RE.search(line)
                    return match.group(1).decode("utf-8", "replace") if match else None
                found = _line_session_id(line)
                if found:
                    return found
    except OSError:
        return None
    return None


def _line_session_id(line: bytes) -> str | None:
    if not line.strip():
        return None
    try:
        obj = loads_line(line.strip())
    except LineError:
        return None
    value = obj.get("sessionId") if isinstance(obj, dict) else None
    return value if isinstance(value, str) and value else None


def _era3_agents(session_dir: Path) -> list[Path]:
    """`<session>/subagents/**/agent-*.jsonl`, skipping workflow runs and spilled tool output."""
    root = session_dir / "subagents"
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS)
        found.extend(
            Path(dirpath, n) for n in filenames if n.startswith(AGENT_PREFIX) and n.endswith(SUFFIX)
        )
    return sorted(found)


def _scan_project(project_dir: Path) -> tuple[dict[str, Path], list[Path], dict[str, Path]]:
    """(main files by stem, flat agent files, sub-folders by name) of one project dir."""
    mains: dict[str, Path] = {}
    flat: list[Path] = []
    dirs: dict[str, Path] = {}
    with os.scandir(project_dir) as entries:
        for entry in entries:
            name = entry.name
            if entry.is_dir():
                dirs[name] = Path(entry.path)
            elif name.endswith(SUFFIX) and entry.is_file():
                if name.startswith(AGENT_PREFIX):
                    flat.append(Path(entry.path))
                else:
                    mains[name[: -len(SUFFIX)]] = Path(entry.path)
    return mains, sorted(flat), dirs


class _FlatMatcher:
    """Maps a flat agent's sessionId to a main stem; main files are read only on a miss."""

    def __init__(self, mains: dict[str, Path]) -> None:
        self.mains = mains
        self.by_session_id: dict[str, str] | None = None

    def stem_for(self, session_id: str | None) -> str | None:
        if session_id is None:
            return None
        if session_id in self.mains:
            return session_id
        if self.by_session_id is None:
            self.by_session_id = {}
            for stem, path in sorted(self.mains.items()):
                sid = read_session_id(path)
                if sid is not None:
                    self.by_session_id.setdefault(sid, stem)
        return self.by_session_id.get(session_id)


def discover_project(project_dir: Path) -> list[SessionRef]:
    """The sessions of one project dir, sorted by session name."""
    project = project_dir.name
    mains, flat, dirs = _scan_project(project_dir)
    subagents: dict[str, list[Path]] = {stem: [] for stem in mains}
    refs: list[SessionRef] = []
    for name, folder in sorted(dirs.items()):
        agents = _era3_agents(folder)
        if name in mains:
            subagents[name].extend(agents)
        elif agents:  # subagents whose main file is gone: one session named after the folder
            refs.append(SessionRef(project, name, agents[0], tuple(agents[1:])))
    matcher = _FlatMatcher(mains)
    for agent in flat:
        stem = matcher.stem_for(read_session_id(agent))
        if stem is not None:
            subagents[stem].append(agent)
        else:  # no main session: extracted as a session of its own
            refs.append(SessionRef(project, agent.name[: -len(SUFFIX)], agent))
    for stem, path in mains.items():
        refs.append(SessionRef(project, stem, path, tuple(sorted(subagents[stem]))))
    return sorted(refs, key=lambda r: r.session)


def find_sessions(sessions_dir: Path) -> list[SessionRef]:
    """All sessions under `sessions_dir`, sorted by (project, session); [] if it is missing."""
    sessions_dir = Path(sessions_dir)
    if not sessions_dir.is_dir():
        return []
    refs: list[SessionRef] = []
    with os.scandir(sessions_dir) as entries:
        # Hidden folders (.git, editor state) are never Claude Code projects.
        projects = sorted(
            Path(e.path) for e in entries if e.is_dir() and not e.name.startswith(".")
        )
    for project_dir in projects:
        refs.extend(discover_project(project_dir))
    return refs


# --- a sessions_dir that holds no sessions: say what is wrong and how to fix it ---------------

LAYOUT = (
    "the layout of ~/.claude/projects: one folder per project (working directory), "
    "<session>.jsonl files inside"
)
COMPRESSED_SUFFIXES = (".jsonl.gz", ".jsonl.bz2", ".jsonl.xz", ".jsonl.zst", ".jsonl.zip")
# How many compressed files or entries an error message names as examples.
EXAMPLES = 3


class SessionsDirError(ValueError):
    """sessions_dir holds no session; the message names the path, the layout and the fix."""


def find_sessions_or_explain(sessions_dir: Path) -> list[SessionRef]:
    """All sessions under sessions_dir; SessionsDirError when there are none, saying why."""
    path = Path(sessions_dir).expanduser()
    if not path.exists():
        raise SessionsDirError(
            f"sessions_dir {path} does not exist. Expected a folder in {LAYOUT}. "
            "Point the pipeline at your history with --config sessions_dir=$HOME/.claude/projects "
            "(or set sessions_dir in config/config.yaml)."
        )
    if not path.is_dir():
        raise SessionsDirError(f"sessions_dir {path} is a file, not a folder in {LAYOUT}.")
    nested = path / "projects"
    if nested.is_dir() and find_sessions(nested):
        # Checked even when `path` has sessions of its own: ~/.claude holds other folders too,
        # and a real projects folder never has a project named "projects" (names are paths).
        raise SessionsDirError(
            f"sessions_dir {path} looks like ~/.claude rather than ~/.claude/projects: the "
            f"sessions are one level down. Use --config sessions_dir={nested}"
        )
    refs = find_sessions(path)
    if not refs:
        raise SessionsDirError(_why_no_sessions(path))
    return refs


def _why_no_sessions(path: Path) -> str:
    entries = sorted(p for p in path.iterdir() if not p.name.startswith("."))
    if not entries:
        return f"sessions_dir {path} is empty. Expected {LAYOUT}."
    top_level = [p for p in entries if p.is_file() and p.name.endswith(SUFFIX)]
    if top_level:
        return (
            f"sessions_dir {path} holds session files directly ({len(top_level)} *.jsonl, e.g. "
            f"{top_level[0].name}): it looks like a single project folder, one level too deep. "
            f"Expected {LAYOUT}. Use the folder above it for every project "
            f"(--config sessions_dir={path.parent}), or, for this project alone, a folder of "
            f"its own that holds it: mkdir -p ~/halops-sessions && ln -s {path} "
            "~/halops-sessions/ and --config sessions_dir=$HOME/halops-sessions"
        )
    message = (
        f"sessions_dir {path} has {len(entries)} {'entry' if len(entries) == 1 else 'entries'} "
        f"but no <project>/<session>.jsonl below it. Expected {LAYOUT}."
    )
    compressed = sorted(p for p in path.rglob("*") if p.name.endswith(COMPRESSED_SUFFIXES))
    if compressed:
        names = ", ".join(str(p.relative_to(path)) for p in compressed[:EXAMPLES])
        message += (
            f" Found {len(compressed)} compressed transcripts ({names}): decompress them "
            "first (e.g. gunzip, unzstd); the pipeline reads plain JSONL only."
        )
    return message
