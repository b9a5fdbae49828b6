"""The one shell parser: mvdan/sh (the parser behind `shfmt`), asked for its syntax tree.

Why mvdan/sh and not tree-sitter-bash: mvdan/sh is a complete bash parser that refuses what it
cannot parse (no error recovery), ends here-documents where bash does for every quoting of the
delimiter (`<<"EOF"`, `<<'EOF'`, `<<E"O"F`, `<<\\EOF`, `<<-`), and types every word part
(quotes, parameter expansions, substitutions, arithmetic). tree-sitter-bash 0.25 is an
error-tolerant highlighting grammar: it turns `<<E"O"F` into an ERROR node and would need its
own quote handling on top. The price is a process per parse (~3 ms, cached per string), which
also gives a hard time limit for free: the parser runs under the check's deadline.

`shfmt --to-json` prints the tree; this module returns it as plain dicts and lists. Nothing else
in the safety layer talks to the parser, and nothing here interprets the tree.
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import sys
import threading
from collections import OrderedDict
from importlib import metadata
from pathlib import Path
from typing import Any

from bot.safety.budget import BudgetExceeded

Node = dict[str, Any]

# Commands the agent writes are a few hundred characters; anything this long is refused before
# parsing (the check must stay bounded whatever the model sends).
MAX_SCRIPT_CHARS = 20_000
_PARSER_ENV = {"GOMAXPROCS": "1", "GOGC": "off", "LC_ALL": "C"}
_CACHE_SIZE = 2048


class ParseError(ValueError):
    """The command cannot be understood well enough to judge it; the policy blocks it."""


class ParseTimeout(BudgetExceeded):
    """The parser did not finish within the check's time budget."""


@functools.cache
def shfmt_binary() -> str:
    """The `shfmt` that ships with the `shfmt-py` wheel (next to this Python), else PATH's."""
    beside = Path(sys.executable).with_name("shfmt")
    if beside.is_file():
        return str(beside)
    try:
        files = metadata.files("shfmt-py") or []
    except metadata.PackageNotFoundError:
        files = []
    for file in files:
        if file.name == "shfmt":
            return str(file.locate())
    found = shutil.which("shfmt")
    if found is None:
        raise ParseError("the shell parser (shfmt, from the shfmt-py package) is not installed")
    return found


def parse_tree(script: str, timeout_s: float) -> Node:
    """The syntax tree (`File` node) of a bash script. Raises ParseError on anything else."""
    if len(script) > MAX_SCRIPT_CHARS:
        raise ParseError(f"command longer than {MAX_SCRIPT_CHARS} characters")
    if "\x00" in script:
        raise ParseError("command contains a NUL byte")
    if "\r" in script:
        # mvdan/sh reads a carriage return as a blank, bash as an ordinary character: for
        # `ls\r# ; rm -rf /` the parser saw `ls` and a comment, bash runs `rm -rf /` (found by
        # the differential test). Refused rather than guessed.
        raise ParseError(
            "command contains a carriage return, which bash and the parser read differently"
        )
    if "$\\\n" in script:
        # bash removes a line continuation before it reads what follows `$`, mvdan/sh 3.14 ends
        # the word part there: for `cat /etc/$` + backslash + newline + `{x}shadow` the parser
        # saw a literal `$` and `{x}`, bash reads `${x}` and so /etc/shadow (found by mutation
        # testing). Refused rather than guessed (also inside single quotes, where it is rare).
        raise ParseError(
            "command has a line continuation right after `$`, which bash and the parser read "
            "differently"
        )
    with _LOCK:
        tree = _CACHE.get(script)
        if tree is not None:
            _CACHE.move_to_end(script)
            return tree
    if timeout_s <= 0:
        raise ParseTimeout("no time left to parse")
    tree = _run_parser(script, timeout_s)
    with _LOCK:
        _CACHE[script] = tree
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return tree


# Trees are shared between callers: nothing may modify one.
_CACHE: OrderedDict[str, Node] = OrderedDict()
_LOCK = threading.Lock()


def clear_cache() -> None:
    """Forget every parsed tree (the benchmark measures cold checks)."""
    with _LOCK:
        _CACHE.clear()


def _run_parser(script: str, timeout_s: float) -> Node:
    try:
        proc = subprocess.run(
            [shfmt_binary(), "--to-json", "-ln", "bash"],
            input=script.encode("utf-8", "surrogateescape"),
            capture_output=True,
            timeout=timeout_s,
            check=False,
            # Starting the process is most of the cost of a parse: vfork/posix_spawn (our own
            # descriptors are close-on-exec anyway), one Go thread, no garbage collector for a
            # process that lives a millisecond.
            close_fds=False,
            env=_PARSER_ENV,
        )
    except subprocess.TimeoutExpired as exc:
        raise ParseTimeout(f"the shell parser took longer than {timeout_s:.2f} s") from exc
    except OSError as exc:
        raise ParseError(f"cannot run the shell parser: {exc}") from exc
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().removeprefix("<standard input>:")
        raise ParseError(message.strip() or f"shell parser exited with {proc.returncode}")
    try:
        tree = json.loads(proc.stdout)
    except ValueError as exc:
        raise ParseError(f"unreadable parser output: {exc}") from exc
    if not isinstance(tree, dict) or tree.get("Type") != "File":
        raise ParseError("unexpected parser output")
    _check_comments(tree)
    return tree


def _check_comments(node: Any) -> None:
    """mvdan/sh 3.14 continues a comment that ends in a backslash onto the next line; bash
    ends every comment at the newline. For `ls #` + backslash + newline + `rm -rf /` it saw
    `ls rm -rf /`, bash runs `rm -rf /` (found by the differential words test). Such a
    comment is refused."""
    if isinstance(node, list):
        for item in node:
            _check_comments(item)
    elif isinstance(node, dict):
        if "Hash" in node and "\n" in str(node.get("Text", "")):
            raise ParseError(
                "a comment ending in a backslash, which bash and the parser read differently"
            )
        for value in node.values():
            if isinstance(value, (dict, list)):
                _check_comments(value)


def offset(node: Node, key: str = "Pos") -> int:
    """Byte offset of a node's start (`Pos`) or end (`End`) in the script."""
    return int(node.get(key, {}).get("Offset", 0))
