"""Credential reads: a command that may put a secret in front of the model is confirmed.

Paths come typed from the read-only allow-list where the program has one (`cat` reads its
operands, `ls` only their names, `grep -r` whole trees); for any other program every word that
looks like a path, and every `--opt=path` value, counts as read (recursively). Input
redirections count too. Some reads name no file: `getent shadow`, `ps e`, `kubectl get secret
-o yaml`, `ceph auth get`.
"""

from __future__ import annotations

from bot.safety.analyzers.base import Context, finding
from bot.safety.paths import secret_read
from bot.safety.programs import Accepted, Rejected
from bot.safety.shell.command import SimpleCommand
from bot.safety.verdict import Decision, RuleFinding

CONFIRM = Decision.CONFIRM
_SECRET_DATABASES = frozenset({"shadow", "gshadow"})


def check_secret_read(command: SimpleCommand, context: Context) -> list[RuleFinding]:
    reason = _special(command)
    if reason:
        return finding("fs.read_secret", CONFIRM, reason, command)
    for word, tree in _read_words(command, context):
        hit = secret_read(word, command.cwd, tree)
        if hit:
            how = "reads under" if tree else "reads"
            return finding("fs.read_secret", CONFIRM, f"{how} {word}: {hit}", command)
    return []


def _read_words(command: SimpleCommand, context: Context) -> list[tuple[str, bool]]:
    out = [(r.target, False) for r in command.redirects if r.reads_file and r.target]
    out += [(path, False) for path in command.wrapper_reads]
    if not command.fields:
        return out
    accepted = context.accepted(command)
    nested_find = any(c.startswith("find -exec") for c in command.context)
    if isinstance(accepted, Accepted):
        for typed in accepted.words:
            if typed.kind in ("path", "tree"):
                out.append((typed.text, typed.kind == "tree" or nested_find))
        return out
    if accepted is not None:
        return out  # a known program with other options: its words are not content reads
    recursive = command.name in RECURSIVE_READERS or nested_find
    for arg in command.args:
        # `--file=PATH`, `if=PATH` (dd), or the word itself.
        value = arg.split("=", 1)[1] if "=" in arg and not arg.startswith(("/", ".", "~")) else arg
        if value.startswith(("/", "~", ".")) or "/" in value:
            out.append((value, recursive))
    return out


# Programs without an allow-list entry that read whole trees (archive, copy, search).
RECURSIVE_READERS = frozenset(
    [
        "tar",
        "zip",
        "7z",
        "rsync",
        "scp",
        "cp",
        "rg",
        "ag",
        "ack",
        "grep",
        "egrep",
        "fgrep",
        "zgrep",
        "strings",
        "sha256sum",
        "md5sum",
        "restic",
        "borg",
        "duplicity",
        "rclone",
    ]
)


def _special(command: SimpleCommand) -> str | None:
    name, args = command.name, command.args
    if name == "getent" and _SECRET_DATABASES & set(args):
        return (
            f"getent {' '.join(a for a in args if a in _SECRET_DATABASES)} prints password hashes"
        )
    if name == "ceph" and _ceph_secret(args):
        return "ceph prints authentication keys"
    raw = any(a == "--raw" or a.startswith("--raw=") for a in args)
    if name == "kubectl" and "config" in args and "view" in args and raw:
        return "kubectl config view --raw prints cluster credentials"
    if name == "virsh" and ("secret-get-value" in args or "--include-password" in args):
        return "virsh prints a stored secret"
    return None


def _ceph_secret(args: tuple[str, ...]) -> bool:
    words = [a for a in args if not a.startswith("-")]
    for i, word in enumerate(words[:-1]):
        if word == "auth" and words[i + 1] in (
            "get",
            "export",
            "print-key",
            "print_key",
            "get-key",
            "get-or-create",
            "get-or-create-key",
        ):
            return True
        if word == "config-key" and words[i + 1] in ("get", "dump", "exists"):
            return True
    return False


def check_secret_by_program(command: SimpleCommand, context: Context) -> list[RuleFinding]:
    """A read-only program whose check found that it would show a secret."""
    accepted = context.accepted(command)
    if isinstance(accepted, Rejected) and str(accepted).startswith("secret:"):
        reason = str(accepted).removeprefix("secret:").strip()
        return finding("fs.read_secret", CONFIRM, reason, command)
    return []


ANALYZERS = (check_secret_read, check_secret_by_program)
