"""The `halops` command line as a newcomer meets it: every sub-command and option explains
itself, `--version` answers, `--help` points on, and the README lists every command."""

from __future__ import annotations

import argparse
import importlib
import re
import subprocess

import pytest

from halops.cli import SUBCOMMANDS, main, package_version, usage
from tests.conftest import REPO, venv_tool


class ParserSeen(Exception):
    def __init__(self, parser: argparse.ArgumentParser) -> None:
        self.parser = parser


def parser_of(command: str, monkeypatch: pytest.MonkeyPatch) -> argparse.ArgumentParser:
    """The sub-command's own parser, caught when its `cli_main` starts parsing."""

    def caught(self: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        raise ParserSeen(self)

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", caught)
    monkeypatch.setattr(argparse.ArgumentParser, "parse_known_args", caught)
    module = importlib.import_module(SUBCOMMANDS[command][0])
    with pytest.raises(ParserSeen) as seen:
        module.cli_main([])
    return seen.value.parser


@pytest.mark.parametrize("command", list(SUBCOMMANDS))
def test_every_option_of_every_command_has_help(
    command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    parser = parser_of(command, monkeypatch)
    assert parser.prog == f"halops {command}"
    assert parser.description, f"halops {command} has no description"
    silent = [
        "/".join(action.option_strings) or action.dest
        for action in parser._actions
        if not isinstance(action, argparse._HelpAction) and not (action.help or "").strip()
    ]
    assert silent == [], f"halops {command}: no help for {silent}"


def test_help_lists_every_command_and_points_to_command_help(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    for name, (_, line) in SUBCOMMANDS.items():
        assert f"  {name:<18} {line}" in text
    assert "halops <command> --help" in text
    assert main([]) == 2 and usage() in capsys.readouterr().out


def test_version_is_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed == f"halops {package_version()}"
    assert re.fullmatch(r"halops \d+\.\d+\.\d+.*", printed)


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["frobnicate"]) == 2
    assert "unknown command 'frobnicate'" in capsys.readouterr().err


def test_the_installed_script_answers_version_and_command_help() -> None:
    version = subprocess.run([venv_tool("halops"), "--version"], capture_output=True, text=True)
    assert version.returncode == 0 and version.stdout.startswith("halops ")
    ask = subprocess.run([venv_tool("halops"), "ask", "--help"], capture_output=True, text=True)
    assert ask.returncode == 0 and "--config-dir" in ask.stdout and "--port" in ask.stdout


def test_the_readme_lists_every_command() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    missing = [name for name in SUBCOMMANDS if f"halops {name}" not in readme]
    assert missing == []
