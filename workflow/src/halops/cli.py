"""The `halops` command: one sub-command per capability, each delegating to its module.

Sub-command modules are imported lazily so that `halops scrub` does not pay for torch or
chromadb imports, and so that a missing optional extra only breaks the commands that need it.
Every command that reads configuration finds `config/` (and `results/` next to it) in the
working directory, or where `--config-dir` says; never where the package was installed.
"""

from __future__ import annotations

import importlib
import sys
from importlib.metadata import PackageNotFoundError, version

# sub-command -> (module with `cli_main(argv) -> int`, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "scrub": ("halops.contract.scrub", "scrub credentials from stdin; findings as JSON on stderr"),
    "check": ("bot.safety.cli", "ask the command policy for a verdict, without running anything"),
    "generate-sessions": ("halops.samplegen", "write a deterministic sample-lab session corpus"),
    "discover": ("halops.discover.cli", "draft an inventory from the hosts your sessions touched"),
    "fetch-converter": ("halops.model.converter", "fetch llama.cpp's GGUF converter (setup)"),
    "serve": ("bot.serve", "run llama.cpp's OpenAI-compatible server until Ctrl-C"),
    "ask": ("bot.agent.cli", "ask the agent one question from the terminal"),
    "eval": ("halops.eval.main", "score the agent on every eval case and the held-out split"),
    "bot": ("bot.app", "run the Slack bot (Socket Mode; --http for request URLs)"),
}


def package_version() -> str:
    try:
        return version("halops")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def usage() -> str:
    lines = [
        "usage: halops <command> [options...]",
        "       halops --version",
        "",
        "commands:",
    ]
    lines += [f"  {name:<18} {text}" for name, (_, text) in SUBCOMMANDS.items()]
    lines += [
        "",
        "Run `halops <command> --help` for a command's options. Commands read config/ (and",
        "write results/) in the working directory unless given --config-dir.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in {"-h", "--help"}:
        print(usage())
        return 0 if args else 2
    if args[0] in {"-V", "--version"}:
        print(f"halops {package_version()}")
        return 0
    name, rest = args[0], args[1:]
    if name not in SUBCOMMANDS:
        print(f"halops: unknown command {name!r}\n\n{usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(SUBCOMMANDS[name][0])
    return int(module.cli_main(rest))


if __name__ == "__main__":
    sys.exit(main())
