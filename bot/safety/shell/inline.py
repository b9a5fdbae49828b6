"""Inline scripts: the shell strings (and argvs) that one command hands on to be run.

`bash -c 'ls; rm x'`, `eval "…"`, `bash <<'EOF' … EOF`, `ssh pve01 'zpool status'`, `watch df`,
`su -c '…'`, `find … -exec rm {} +`, `ssh -o ProxyCommand='…' host`, and wrappers that take a
command string (`flock F -c '…'`). Each is parsed like the command itself; the commands inside
carry a context label saying where they came from (and, for ssh, on which host they run).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from bot.safety.options import OptionError, OptionTable, scan_options
from bot.safety.shell.command import SimpleCommand

# Shells whose `-c` string is bash syntax (zsh and ksh close enough for what the policy
# looks at); the others (fish, csh, tcsh) are read as bash for guesses only.
POSIX_SHELLS = frozenset({"sh", "bash", "dash", "ash", "ksh", "mksh", "zsh", "rbash", "lksh"})
OTHER_SHELLS = frozenset({"fish", "csh", "tcsh"})
SHELLS = POSIX_SHELLS | OTHER_SHELLS

_BASH_OPTIONS = OptionTable.parse(
    "-c -s -i -l -r -e -u -x -v -n -f -h -m -a -b -B -C -E -H -k -p -P -t -T -D "
    "--login --norc --noprofile --posix --restricted --verbose --noediting --debugger "
    "--dump-strings --dump-po-strings --protected --wordexp -o= -O= --rcfile= --init-file="
)
_SSH_OPTIONS = OptionTable.parse(
    "-4 -6 -A -a -C -f -G -g -K -k -M -N -n -q -s -T -t -V -v -X -x -Y -y "
    "-B= -b= -c= -D= -E= -e= -F= -I= -i= -J= -L= -l= -m= -O= -o= -P= -p= -Q= -R= -S= -W= -w="
)
_WATCH_OPTIONS = OptionTable.parse(
    "-b|--beep -c|--color -C|--no-color -e|--errexit -g|--chgexit -p|--precise "
    "-t|--no-title -w|--no-wrap -x|--exec -r|--no-rerun -d|--differences=? "
    "-n|--interval= -q|--equexit="
)
_SU_OPTIONS = OptionTable.parse(
    "-|-l|--login -m|-p|--preserve-environment -P|--pty -f|--fast -c|--command= "
    "--session-command= -g|--group= -G|--supp-group= -s|--shell= -w|--whitelist-environment="
)
# ssh -o keys whose value is a command the *local* machine runs through a shell.
_LOCAL_COMMAND_KEYS = frozenset({"proxycommand", "localcommand"})
_FIND_EXEC = frozenset({"-exec", "-execdir", "-ok", "-okdir"})


@dataclass(frozen=True)
class Script:
    """A string (or argv) another command runs."""

    label: str
    text: str = ""
    argv: tuple[str, ...] | None = None  # run directly, without a shell
    literal: bool = True
    same_shell: bool = False  # `eval`: runs in the calling shell, sharing its variables
    remote_host: str | None = None
    positional: tuple[str, ...] | None = ()
    arg0: str | None = "bash"


def nested_scripts(command: SimpleCommand, wrapper_script: str | None) -> list[Script]:
    """Every script or argv `command` hands on."""
    if wrapper_script is not None:
        label = command.wrappers[-1] if command.wrappers else "wrapper"
        return [Script(f"{label} -c", wrapper_script, literal=command.literal)]
    if not command.fields:
        return []
    name = command.name
    args = list(command.args)
    literal = command.literal
    if name in SHELLS:
        return _shell(name, args, command, literal)
    if name == "eval" and args:
        return [Script("eval", " ".join(args), literal=literal, same_shell=True)]
    if name == "ssh":
        return _ssh(args, literal)
    if name in ("scp", "sftp", "rsync"):
        return _copy_tool(name, args, literal)
    if name in ("source", ".") and args[:1] and args[0] in _STDIN_FILES:
        body = _stdin_text(command)
        return [Script(name, body, literal=literal, same_shell=True)] if body is not None else []
    if name == "watch":
        return _watch(args, literal)
    if name in ("su",):
        return _su(args, literal)
    if name == "find":
        return _find_exec(args, literal)
    if name in ("at", "batch"):
        body = _stdin_text(command)
        return [Script(name, body, literal=literal)] if body is not None else []
    return []


def _shell(name: str, args: list[str], command: SimpleCommand, literal: bool) -> list[Script]:
    try:
        scanned = scan_options(args, _BASH_OPTIONS, permute=False)
    except OptionError:
        return []
    operands = [text for _, text in scanned.operands]
    literal = literal and name in POSIX_SHELLS
    if "-n" in scanned.values:
        return []  # noexec: only reads the script
    if "-c" in scanned.values:
        if not operands:
            return []
        arg0 = operands[1] if len(operands) > 1 else name
        return [
            Script(f"{name} -c", operands[0], literal=literal, positional=tuple(operands[2:]),
                   arg0=arg0)
        ]  # fmt: skip
    if operands and "-s" not in scanned.values and operands[0] not in _STDIN_FILES:
        return []  # a script file: opaque, judged as such
    body = _stdin_text(command)
    if body is None:
        return []
    return [Script(f"{name} <<", body, literal=literal, positional=tuple(operands))]


def _stdin_text(command: SimpleCommand) -> str | None:
    """The program text a here-document or here-string feeds to a command's stdin."""
    for redirect in reversed(command.redirects):
        if redirect.feeds_stdin and (redirect.fd in (None, 0)):
            if not redirect.body_literal:
                return None  # only known at run time: the policy refuses it as dynamic code
            return redirect.body if redirect.body is not None else ""
        if redirect.op in ("<", "<&", "<>") and redirect.fd in (None, 0):
            return None
    return None


def ssh_destination(args: Sequence[str]) -> tuple[str | None, list[str], dict[str, list[str]]]:
    """(host, remote command words, options) of an ssh command line; host None if absent.

    OpenSSH reads options after the destination too (`ssh host -p 2222 cmd`, and so
    `ssh host -o ProxyCommand=…`) unless `--` came first: so does this."""
    try:
        scanned = scan_options(args, _SSH_OPTIONS, permute=False)
    except OptionError:
        return None, [], {}
    operands = [text for _, text in scanned.operands]
    if not operands:
        return None, [], scanned.values
    host = operands[0].rsplit("@", 1)[-1]
    rest = operands[1:]
    values = {k: list(v) for k, v in scanned.values.items()}
    terminated = "--" in args[: scanned.first_operand]
    if rest and rest[0].startswith("-") and not terminated:
        try:
            again = scan_options(rest, _SSH_OPTIONS, permute=False)
        except OptionError:
            return None, [], {}
        for key, more in again.values.items():
            values.setdefault(key, []).extend(more)
        rest = [text for _, text in again.operands]
    return host, rest, values


def ssh_config_options(values: dict[str, list[str]]) -> list[tuple[str, str]]:
    """`-o Key=Value` / `-o "Key Value"` pairs, key lower-cased."""
    out = []
    for raw in values.get("-o", []):
        key, _, value = raw.replace("=", " ", 1).partition(" ")
        out.append((key.strip().lower(), value.strip()))
    return out


def _ssh(args: list[str], literal: bool) -> list[Script]:
    host, remote, values = ssh_destination(args)
    scripts = [
        Script(f"ssh -o {key}", value, literal=literal)
        for key, value in ssh_config_options(values)
        if key in _LOCAL_COMMAND_KEYS and value
    ]
    remote_command = " ".join(remote)
    for key, value in ssh_config_options(values):
        if key == "remotecommand" and value:
            remote_command = remote_command or value
    if host is not None and remote_command:
        scripts.append(Script(f"ssh {host}", remote_command, literal=literal, remote_host=host))
    return scripts


_STDIN_FILES = frozenset({"/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"})


def _copy_tool(name: str, args: list[str], literal: bool) -> list[Script]:
    """`scp -o ProxyCommand=…`, `rsync -e 'CMD'`: commands the copy tool runs locally."""
    scripts = []
    for i, arg in enumerate(args):
        value = None
        if arg == "-o" and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith("-o") and len(arg) > 2:
            value = arg[2:]
        if value is not None:
            key, _, command = value.replace("=", " ", 1).partition(" ")
            if key.strip().lower() in _LOCAL_COMMAND_KEYS and command.strip():
                scripts.append(Script(f"{name} -o {key.lower()}", command.strip(), literal=literal))
        if name == "rsync":
            rsh = args[i + 1] if arg in ("-e", "--rsh") and i + 1 < len(args) else None
            if arg.startswith("--rsh="):
                rsh = arg.split("=", 1)[1]
            if rsh:
                scripts.append(Script("rsync -e", rsh, literal=literal))
    return scripts


def _watch(args: list[str], literal: bool) -> list[Script]:
    try:
        scanned = scan_options(args, _WATCH_OPTIONS, permute=False)
    except OptionError:
        return []
    words = [text for _, text in scanned.operands]
    if not words:
        return []
    if "-x" in scanned.values:
        return [Script("watch", argv=tuple(words), literal=literal)]
    return [Script("watch", " ".join(words), literal=literal)]


def _su(args: list[str], literal: bool) -> list[Script]:
    try:
        scanned = scan_options(args, _SU_OPTIONS, permute=True)
    except OptionError:
        return []
    command = scanned.values.get("-c") or scanned.values.get("--session-command")
    return [Script("su -c", command[-1], literal=literal)] if command else []


def find_starts(args: Sequence[str]) -> list[str]:
    """The start paths of `find [-H|-L|-P] [-D opts] [-Olevel] PATH… EXPRESSION`."""
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("-H", "-L", "-P") or (arg.startswith("-O") and arg[2:].isdigit()):
            i += 1
        elif arg == "-D":
            i += 2
        else:
            break
    starts = list(itertools.takewhile(lambda a: not a.startswith(("-", "(", "!", ",")), args[i:]))
    return starts or ["."]


def _find_exec(args: list[str], literal: bool) -> list[Script]:
    """`find … -exec CMD {} ;` runs CMD once per found file (`{}` stands for a start path,
    which the found files are under: the blocklist sees `rm -rf /` for `find / -exec rm -rf
    {} +`)."""
    starts = find_starts(args)
    scripts = []
    i = 0
    while i < len(args):
        if args[i] in _FIND_EXEC:
            end = i + 1
            while end < len(args) and args[end] not in (";", "+"):
                end += 1
            template = args[i + 1 : end]
            for start in starts[:4]:
                argv = tuple(a.replace("{}", start) for a in template)
                if argv:
                    scripts.append(Script(f"find {args[i]}", argv=argv, literal=literal))
            i = end
        i += 1
    return scripts
