"""Which hosts a shell command reaches: ssh/scp/rsync/sftp targets, `ipmitool -H`, URLs, ping.

The command is split into simple commands with the standard library's POSIX tokenizer
(`shlex` with punctuation characters): discovery needs each command's argv, not a syntax
tree, and the pipeline gains no dependency for it (the bot's shell parser is policy code the
pipeline may not import). Wrappers (sudo, env, timeout, sshpass ...) are peeled, `bash -c`
scripts and the remote command of `ssh host 'cmd'` are read as commands of their own, and the
words of a simple `for h in a b; do ... $h ...; done` loop are substituted for `$h`.
Anything built at run time (`$HOST`, `$(...)` results) is not a host and is skipped.
"""

from __future__ import annotations

import ipaddress
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

OPERATORS = frozenset({";", "&", "&&", "|", "||", "|&", ";;", "(", ")", "\n"})
REDIRECTS = frozenset({"<", ">", ">>", ">&", "<&", "&>", "<<", "<<<", ">|"})
# Depth of nested `bash -c` / ssh remote commands followed (each level is a re-parse).
MAX_DEPTH = 4

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*$")
_VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")
_ASSIGNMENT = re.compile(r"^[A-Za-z_]\w*=")
_URL = re.compile(r"https?://[^\s'\"<>|;`]+", re.IGNORECASE)

# Options that take a value, per program (short options; long ones use --opt=value).
SSH_VALUE_OPTIONS = set("BbcDEeFIiJLlmOoPpQRSWw")
SCP_VALUE_OPTIONS = set("cDFiJloPSX")
PING_VALUE_OPTIONS = set("cIiWwstlMpQSmF")
NC_VALUE_OPTIONS = set("wpsiqxXIOT")
# (-c CSV output, -E and -K read secrets from the environment: flags without a value)
IPMITOOL_VALUE_OPTIONS = set("HUPpIfkyLtbBTmlCNRAoOe")
# Wrappers: program -> short options that take a value (the wrapped command follows).
WRAPPERS: dict[str, set[str]] = {
    "sudo": set("ugpChrtUDR"),
    "doas": set("uC"),
    "nice": set("n"),
    "ionice": set("cnp"),
    "nohup": set(),
    "time": set(),
    "exec": set(),
    "command": set(),
    "stdbuf": set("ioe"),
    "sshpass": set("fdpP"),
    "watch": set("n"),
    "env": set("uCS"),
    "unbuffer": set(),
}
# timeout's first operand is the duration, not the command.
DURATION_FIRST = {"timeout"}
SHELLS = {"bash", "sh", "zsh", "dash", "ksh"}
PING = {"ping", "ping6", "fping", "arping", "traceroute", "traceroute6", "tracepath", "mtr"}
TCP = {"nc", "ncat", "netcat", "telnet"}
HTTP_CLIENTS = {"curl", "wget", "http", "https", "xh"}
COPY = {"scp": "scp", "rsync": "rsync"}
SFTP_VALUE_OPTIONS = set("BbcDFiJloPRSs")


@dataclass(frozen=True)
class Touch:
    """One host reached by one command: how, and as which user/port/scheme when known."""

    host: str
    method: str  # ssh, scp, rsync, sftp, ipmi, http, ping, tcp
    user: str | None = None
    port: int | None = None
    scheme: str | None = None  # http or https, for method http


def command_touches(command: str, depth: int = 0) -> list[Touch]:
    """Every host the shell command reaches, in order (repeats kept: they are counts)."""
    found: list[Touch] = []
    loops: dict[str, list[str]] = {}
    for argv in simple_commands(command):
        _note_loop(argv, loops)
        for expanded in _expand(argv, loops):
            found.extend(argv_touches(expanded, depth))
    return found


def url_touch(url: str) -> Touch | None:
    """The host of an http(s) URL (credentials in it are never kept)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not is_host(parts.hostname or ""):
        return None
    scheme = parts.scheme.lower()
    default = 443 if scheme == "https" else 80
    return Touch(_normal(parts.hostname or ""), "http", None, port or default, scheme)


def is_host(word: str) -> bool:
    """A literal host name or IP address (not a variable, glob, path or option)."""
    if not word or word.startswith("-"):
        return False
    try:
        ipaddress.ip_address(word.strip("[]"))
        return True
    except ValueError:
        pass
    return bool(_HOSTNAME.match(word)) and not word.replace(".", "").isdigit()


def simple_commands(command: str) -> Iterator[list[str]]:
    """The argv of each simple command (split at ; && || | & ( ) and newlines)."""
    argv: list[str] = []
    skip_next = comment = False
    for token in _tokens(command):
        if token == "\n":
            comment = False
        if comment:
            continue
        if token in OPERATORS:
            if argv:
                yield argv
            argv = []
        elif token in REDIRECTS:
            skip_next = True  # the file name after a redirection is not an argument
        elif skip_next:
            skip_next = False
        elif token.startswith("#") and not argv:
            comment = True
        else:
            argv.append(token)
    if argv:
        yield argv


def _tokens(command: str) -> list[str]:
    lexer = shlex.shlex(command, posix=True, punctuation_chars=";&|()<>\n")
    lexer.whitespace = " \t\r"
    lexer.whitespace_split = True
    lexer.commenters = ""  # `#` inside a URL is not a comment; handled per word instead
    try:
        return list(lexer)
    except ValueError:  # unbalanced quotes: fall back to words, still useful
        return command.replace(";", " ; ").replace("|", " | ").split()


def argv_touches(argv: list[str], depth: int = 0) -> list[Touch]:
    """The hosts one simple command reaches."""
    argv = _unwrap(argv)
    if not argv:
        return []
    program = argv[0].rsplit("/", 1)[-1]
    args = argv[1:]
    if program in SHELLS and depth < MAX_DEPTH:
        script = _option_value(args, "c")
        return command_touches(script, depth + 1) if script else []
    if program == "ssh":
        return _ssh(args, depth)
    if program in COPY:
        return _copy(COPY[program], args)
    if program == "sftp":  # sftp [user@]host[:path]: the destination needs no colon
        pairs, operands = getopt(args, SFTP_VALUE_OPTIONS, first_operand_stops=True)
        target = operands[0].split(":", 1)[0] if operands else ""
        return _remote(target, "sftp", None, _int(_last(pairs, "P"))) if target else []
    if program == "ssh-copy-id":
        target = _operands(args, SSH_VALUE_OPTIONS)
        return _destination(target[-1], None, None) if target else []
    if program == "ipmitool":
        return _ipmitool(args)
    if program in PING:
        operands = _operands(args, PING_VALUE_OPTIONS)
        return [Touch(_normal(h), "ping") for h in operands[-1:] if is_host(h)]
    if program in TCP:
        operands = _operands(args, NC_VALUE_OPTIONS)
        if operands and is_host(operands[0]):
            port = _int(operands[1]) if len(operands) > 1 else None
            return [Touch(_normal(operands[0]), "tcp", None, port)]
        return []
    if program in HTTP_CLIENTS:
        return [t for url in _URL.findall(" ".join(args)) if (t := url_touch(url))]
    return []


def _unwrap(argv: list[str]) -> list[str]:
    """Drop leading assignments and wrapper programs with their options."""
    while argv:
        head = argv[0].rsplit("/", 1)[-1]
        if _ASSIGNMENT.match(argv[0]):
            argv = argv[1:]
        elif head in WRAPPERS:
            argv = getopt(argv[1:], WRAPPERS[head], first_operand_stops=True)[1]
        elif head in DURATION_FIRST:
            argv = getopt(argv[1:], set("sk"), first_operand_stops=True)[1][1:]
        else:
            return argv
    return argv


def getopt(
    args: list[str], value_options: set[str], first_operand_stops: bool = False
) -> tuple[list[tuple[str, str]], list[str]]:
    """((option letter, value) in command-line order, operands) of getopt-style arguments.

    `-p 22`, `-p22` and bundled flags `-vp 22` all work (a flag's value is ""); long options
    are skipped (their `--opt=value` form carries its value). With first_operand_stops (ssh,
    wrappers) everything from the first operand on is an operand: the destination and the
    remote command, or the wrapped command.
    """
    pairs: list[tuple[str, str]] = []
    operands: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            operands.extend(args[i:])
            break
        if arg == "-" or not arg.startswith("-"):
            operands.append(arg)
            if first_operand_stops:
                operands.extend(args[i:])
                break
            continue
        if arg.startswith("--"):
            continue
        for position, letter in enumerate(arg[1:], 1):
            if letter in value_options:
                value = arg[position + 1 :]
                if not value and i < len(args):
                    value, i = args[i], i + 1
                pairs.append((letter, value))
                break
            pairs.append((letter, ""))
    return pairs, operands


def _operands(args: list[str], value_options: set[str]) -> list[str]:
    return getopt(args, value_options)[1]


def _option_value(args: list[str], letter: str) -> str | None:
    return _last(getopt(args, {letter}, first_operand_stops=True)[0], letter)


def _ssh(args: list[str], depth: int) -> list[Touch]:
    """ssh's own rules (checked against `ssh -G`): the first -l/-oUser and -p/-oPort given
    win, over the destination's user@ and ssh:// port; `host:22` is not a port to ssh."""
    pairs, operands = getopt(args, SSH_VALUE_OPTIONS, first_operand_stops=True)
    if not operands:
        return []
    user: str | None = None
    port: int | None = None
    jump: str | None = None
    for letter, value in pairs:
        key, setting = _ssh_option(letter, value)
        if key == "user" and user is None:
            user = setting
        elif key == "port" and port is None:
            port = _int(setting)
        elif key == "proxyjump" and jump is None:
            jump = setting
    found = [t for hop in _jumps(jump) for t in hop]
    found += _destination(operands[0], user, port)
    remote = " ".join(operands[1:])
    if remote and depth < MAX_DEPTH:
        found += command_touches(remote, depth + 1)
    return found


def _ssh_option(letter: str, value: str) -> tuple[str | None, str]:
    """(setting, value) of one ssh option: -l, -p, -J or `-o Key=Value` / `-o "Key Value"`."""
    if letter == "o":
        match = re.match(r"\s*([A-Za-z]+)\s*(?:=|\s)\s*(.*)$", value)
        return (match.group(1).lower(), match.group(2).strip()) if match else (None, "")
    return {"l": "user", "p": "port", "J": "proxyjump"}.get(letter), value


def _destination(target: str, user: str | None, port: int | None) -> list[Touch]:
    if target.startswith("ssh://"):
        try:
            parts = urlsplit(target)
            uri_port = parts.port
        except ValueError:
            return []
        host = parts.hostname or ""
        user = user or parts.username
        port = port or uri_port
    else:
        named_user, _, host = target.rpartition("@")
        user = user or named_user or None
    if not is_host(host.strip("[]")) or (user and not re.fullmatch(r"[\w.-]+", user)):
        return []  # a variable, a glob, or `host:22` (which ssh reads as a host name)
    return [Touch(_normal(host), "ssh", user, port)]


def _last(pairs: list[tuple[str, str]], letter: str) -> str | None:
    values = [value for key, value in pairs if key == letter]
    return values[-1] if values else None


def _jumps(spec: str | None) -> Iterator[list[Touch]]:
    for hop in (spec or "").split(","):
        if hop and hop.lower() != "none":
            yield _remote(hop, "ssh", None)


def _remote(target: str, method: str, user: str | None, port: int | None = None) -> list[Touch]:
    """`[user@]host[:port]` (scp/rsync heads, ProxyJump hops) as a Touch, if it names a host."""
    if target.startswith("ssh://"):
        return _destination(target, user, port)
    named_user, _, target = target.rpartition("@")
    user = named_user or user
    if target.startswith("["):  # [v6 address]:port
        host, _, maybe_port = target[1:].partition("]")
        maybe_port = maybe_port.lstrip(":")
    else:
        host, _, maybe_port = target.partition(":")
    port = port or _int(maybe_port)
    if not is_host(host) or (user and not re.fullmatch(r"[\w.-]+", user)):
        return []
    return [Touch(_normal(host), method, user, port)]


def _copy(method: str, args: list[str]) -> list[Touch]:
    values, operands = getopt(args, SCP_VALUE_OPTIONS if method != "rsync" else set("e"))
    port = _int(_last(values, "P")) if method == "scp" else None
    found = []
    for operand in operands:
        if operand.startswith("rsync://"):
            parts = urlsplit(operand)
            found += _remote(parts.netloc, method, None)
            continue
        head, sep, _path = operand.partition(":")
        if not sep or "/" in head or head.startswith("."):
            continue  # a local path
        found += _remote(head, method, None, port)
    return found


def _ipmitool(args: list[str]) -> list[Touch]:
    values, _ = getopt(args, IPMITOOL_VALUE_OPTIONS)
    host = _last(values, "H")
    if not host or not is_host(host):
        return []  # no -H: the local BMC through the kernel driver
    return [Touch(_normal(host), "ipmi", _last(values, "U") or None, _int(_last(values, "p")))]


def _note_loop(argv: list[str], loops: dict[str, list[str]]) -> None:
    """Remember `for NAME in WORDS` so that `$NAME` in the loop body can be expanded."""
    if len(argv) >= 3 and argv[0] == "for" and argv[2] == "in":
        loops[argv[1]] = [w for w in argv[3:] if w != "do"]


def _expand(argv: list[str], loops: dict[str, list[str]]) -> list[list[str]]:
    """argv once per word of the loop variable it uses (only one variable is expanded)."""
    if argv and argv[0] in ("do", "then", "else", "{"):
        argv = argv[1:]
    for word in argv:
        for match in _VARIABLE.finditer(word):
            name = match.group(1) or match.group(2)
            if name in loops:
                return [[w.replace(match.group(0), value) for w in argv] for value in loops[name]]
    return [argv]


def _normal(host: str) -> str:
    return host.strip("[]").lower().rstrip(".")


def _int(value: object) -> int | None:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 65536 else None
