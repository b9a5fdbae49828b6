"""A sessions_dir that holds no session: each common mistake gets its own message and fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from halops.extract.sessions import SessionsDirError, find_sessions_or_explain


def session(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"type": "user", "sessionId": path.stem}) + "\n")
    return path


def explain(path: Path) -> str:
    with pytest.raises(SessionsDirError) as caught:
        find_sessions_or_explain(path)
    return str(caught.value)


def test_missing_folder(tmp_path):
    message = explain(tmp_path / "nope")
    assert message.startswith(f"sessions_dir {tmp_path / 'nope'} does not exist.")
    assert "one folder per project" in message
    assert "--config sessions_dir=$HOME/.claude/projects" in message


def test_a_file_instead_of_a_folder(tmp_path):
    path = session(tmp_path / "one.jsonl")
    assert explain(path) == (
        f"sessions_dir {path} is a file, not a folder in the layout of ~/.claude/projects: "
        "one folder per project (working directory), <session>.jsonl files inside."
    )


def test_empty_folder(tmp_path):
    assert explain(tmp_path) == (
        f"sessions_dir {tmp_path} is empty. Expected the layout of ~/.claude/projects: one "
        "folder per project (working directory), <session>.jsonl files inside."
    )


def test_hidden_entries_only_count_as_empty(tmp_path):
    (tmp_path / ".git").mkdir()
    assert explain(tmp_path).startswith(f"sessions_dir {tmp_path} is empty.")


def test_dot_claude_instead_of_its_projects_folder(tmp_path):
    claude = tmp_path / ".claude"
    session(claude / "projects" / "-home-me-lab" / "abc.jsonl")
    (claude / "history.jsonl").write_text("{}\n")  # ~/.claude has its own top-level JSONL
    (claude / "todos").mkdir()
    message = explain(claude)
    assert message == (
        f"sessions_dir {claude} looks like ~/.claude rather than ~/.claude/projects: the "
        f"sessions are one level down. Use --config sessions_dir={claude / 'projects'}"
    )


def test_single_project_folder(tmp_path):
    project = tmp_path / "projects" / "-home-me-lab"
    session(project / "abc.jsonl")
    session(project / "abc" / "subagents" / "agent-1.jsonl")
    message = explain(project)
    assert message.startswith(
        f"sessions_dir {project} holds session files directly (1 *.jsonl, e.g. abc.jsonl): "
        "it looks like a single project folder, one level too deep."
    )
    assert f"--config sessions_dir={project.parent}" in message
    assert f"ln -s {project} ~/halops-sessions/" in message


def test_project_folders_without_sessions(tmp_path):
    (tmp_path / "-home-me-lab").mkdir()
    (tmp_path / "-home-me-lab" / "notes.txt").write_text("x")
    assert explain(tmp_path) == (
        f"sessions_dir {tmp_path} has 1 entry but no <project>/<session>.jsonl below it. "
        "Expected the layout of ~/.claude/projects: one folder per project (working "
        "directory), <session>.jsonl files inside."
    )


def test_compressed_sessions_are_named(tmp_path):
    for name in ("a.jsonl.gz", "b.jsonl.zst"):
        path = tmp_path / "-home-me-lab" / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"\x1f\x8b")
    message = explain(tmp_path)
    names = "-home-me-lab/a.jsonl.gz, -home-me-lab/b.jsonl.zst"
    assert f"Found 2 compressed transcripts ({names})" in message
    assert "decompress them first" in message


def test_tilde_is_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    session(tmp_path / "projects" / "p" / "s.jsonl")
    [ref] = find_sessions_or_explain(Path("~/projects"))
    assert ref.main_path == tmp_path / "projects" / "p" / "s.jsonl"


def test_a_good_folder_gives_its_sessions(tmp_path):
    session(tmp_path / "p" / "s1.jsonl")
    session(tmp_path / "q" / "s2.jsonl")
    assert [(r.project, r.session) for r in find_sessions_or_explain(tmp_path)] == [
        ("p", "s1"),
        ("q", "s2"),
    ]
