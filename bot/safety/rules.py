"""Detection, part 2: analyzers that turn one request into findings (rule id, risk, reason).

Each shell analyzer looks at one `SimpleCommand` (from `shell_parse`) and returns the findings
it has, usually none. The allow side is an allow-list of read-only programs
(`READ_ONLY_COMMANDS`): a command that no rule blocks and that is not on it, with read-only
arguments, is confirmed, never allowed. Analyzers only detect; `policy` decides.

Rule ids are stable: tests, the audit log and approvers refer to them. Add, never rename.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import urlsplit

from bot.safety.shell_parse import SHELLS, SimpleCommand


class Risk(IntEnum):
    """Ordered so that the worst finding is simply the maximum."""

    ALLOW = 0
    CONFIRM = 1
    BLOCK = 2

    @property
    def decision(self) -> str:
        return {Risk.ALLOW: "allow", Risk.CONFIRM: "confirm", Risk.BLOCK: "block"}[self]


@dataclass(frozen=True)
class Finding:
    rule_id: str
    risk: Risk
    reason: str
    subject: str = ""  # the simple command (or request) the finding is about

    def to_dict(self) -> dict[str, str]:
        return {
            "rule_id": self.rule_id,
            "decision": self.risk.decision,
            "reason": self.reason,
            "subject": self.subject,
        }


DEFAULT_CRITICAL_SERVICES = (
    "sshd",
    "ssh",
    "pveproxy",
    "pvedaemon",
    "corosync",
    "zfs-zed",
    "nfs-server",
    "prometheus",
    "networking",
)
# Deleting or re-owning these (recursively) breaks the host; they are always protected and
# `config/policy.yaml` can only add to them.
CORE_PROTECTED_PATHS = (
    "/",
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/home",
    "/lib",
    "/lib32",
    "/lib64",
    "/opt",
    "/proc",
    "/root",
    "/sbin",
    "/srv",
    "/sys",
    "/usr",
    "/usr/bin",
    "/usr/lib",
    "/usr/local",
    "/usr/sbin",
    "/var",
    "/var/lib",
    "/etc/pve",
    "/var/lib/vz",
    "~",
)


@dataclass(frozen=True)
class PatternRule:
    """A site-specific rule from config: argv prefix patterns (fnmatch, per word)."""

    rule_id: str
    argv: tuple[str, ...]
    reason: str
    risk: Risk

    def matches(self, command: SimpleCommand) -> bool:
        words = (command.name, *command.args)
        if len(words) < len(self.argv):
            return False
        return all(_word_matches(w, p) for w, p in zip(words, self.argv, strict=False))


def _word_matches(word: str, pattern: str) -> bool:
    """fnmatch, plus `{a,b}` for alternatives (fnmatch itself has no braces)."""
    if pattern.startswith("{") and pattern.endswith("}"):
        return any(fnmatchcase(word, p) for p in pattern[1:-1].split(","))
    return fnmatchcase(word, pattern)


@dataclass(frozen=True)
class RuleSettings:
    critical_services: frozenset[str] = frozenset(DEFAULT_CRITICAL_SERVICES)
    protected_paths: frozenset[str] = frozenset(CORE_PROTECTED_PATHS)
    extra_rules: tuple[PatternRule, ...] = field(default_factory=tuple)


ShellAnalyzer = Callable[[SimpleCommand, RuleSettings], list[Finding]]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Names that run a program read from stdin when given no script operand.
INTERPRETERS = SHELLS | _words(
    "python python2 python3 perl ruby node nodejs php lua tclsh at batch"
)
DECODERS = frozenset({"base64", "base32", "basenc", "xxd", "uudecode", "openssl", "gpg", "rev"})
# Device nodes that are not storage: writing to them loses nothing.
HARMLESS_DEVICES = _words(
    "/dev/null /dev/zero /dev/stdout /dev/stderr /dev/stdin /dev/tty /dev/random /dev/urandom "
    "/dev/full"
)
SYSTEM_BIN_DIRS = _words("/bin /sbin /usr/bin /usr/sbin /usr/local/bin /usr/local/sbin")
# Environment prefixes that cannot change which program runs or what it loads.
SAFE_ASSIGNMENTS = re.compile(r"^(LC_[A-Z]+|LANG|LANGUAGE|TZ|COLUMNS|LINES|NO_COLOR|TERM)=")


def _finding(rule_id: str, risk: Risk, reason: str, command: SimpleCommand) -> list[Finding]:
    return [Finding(rule_id, risk, reason, command.text())]


def _operands(args: Sequence[str]) -> list[str]:
    """Arguments that are not options (everything after `--` counts as an operand)."""
    out: list[str] = []
    after_dashes = False
    for arg in args:
        if arg == "--" and not after_dashes:
            after_dashes = True
        elif after_dashes or not arg.startswith("-") or arg == "-":
            out.append(arg)
    return out


def _has_short_flag(args: Sequence[str], letter: str) -> bool:
    return any(
        a.startswith("-") and not a.startswith("--") and letter in a[1:] for a in _options(args)
    )


def _options(args: Sequence[str]) -> list[str]:
    out = []
    for arg in args:
        if arg == "--":
            break
        if arg.startswith("-") and arg != "-":
            out.append(arg)
    return out


def normalize_path(path: str) -> str:
    """Lexical normalisation, so `//etc/./`, `/tmp/../etc` and `/etc/` are all `/etc`."""
    if path in ("~", "~/") or path.startswith("~/"):
        rest = posixpath.normpath("/" + path[2:]) if len(path) > 2 else "/"
        return "~" if rest == "/" else "~" + rest
    if not path.startswith("/"):
        return path
    normal = posixpath.normpath(path)
    return "/" if normal.startswith("//") else normal


def protected_target(path: str, settings: RuleSettings, cwd: str | None = None) -> str | None:
    """The protected path that `path` hits, counting globs like `/*` or `/etc/*` as hitting
    the directory they expand inside. Relative paths count only after a known `cd`."""
    if not path.startswith(("/", "~")):
        if cwd is None:
            return None
        path = posixpath.join(cwd, path)
    glob_at = min((path.find(c) for c in "*?[" if c in path), default=-1)
    if glob_at >= 0:
        directory = path[:glob_at].rsplit("/", 1)[0] or "/"
        if path.startswith("~") and "/" not in path[:glob_at]:
            directory = "~"
        candidate = normalize_path(directory)
    else:
        candidate = normalize_path(path)
    if candidate == "~root":
        candidate = "/root"
    return candidate if candidate in settings.protected_paths else None


def _is_device(path: str) -> bool:
    normal = normalize_path(path)
    return normal.startswith("/dev/") and normal not in HARMLESS_DEVICES


# --- blocklist ------------------------------------------------------------------------------


def check_rm(command: SimpleCommand, settings: RuleSettings) -> list[Finding]:
    if command.name != "rm":
        return []
    args = command.args
    if "--no-preserve-root" in _options(args):
        return _finding("fs.rm_recursive_system", Risk.BLOCK, "rm --no-preserve-root", command)
    recursive = "--recursive" in _options(args) or any(_has_short_flag(args, c) for c in "rR")
    if not recursive:
        return []
    for target in _operands(args):
        hit = protected_target(target, settings, command.cwd)
        if hit:
            reason = f"recursive rm of the system path {hit} (target {target!r})"
            return _finding("fs.rm_recursive_system", Risk.BLOCK, reason, command)
    return []


def check_find_delete(command: SimpleCommand, settings: RuleSettings) -> list[Finding]:
    if command.name != "find" or "-delete" not in command.args:
        return []
    for start in command.args:
        if start.startswith(("-", "(", "!")):
            break
        hit = protected_target(start, settings, command.cwd)
        if hit:
            reason = f"find -delete under the system path {hit}"
            return _finding("fs.find_delete_system", Risk.BLOCK, reason, command)
    return []


def check_dd(command: SimpleCommand, settings: RuleSettings) -> list[Finding]:
    if command.name != "dd":
        return []
    for arg in command.args:
        if arg.startswith("of=") and _is_device(arg[3:]):
            return _finding("disk.dd_to_device", Risk.BLOCK, f"dd writes to {arg[3:]}", command)
    return []


def check_mkfs(command: SimpleCommand, settings: RuleSettings) -> list[Finding]:
    name = command.name
    if name.startswith("mkfs") or name in ("mke2fs", "mkdosfs", "mkntfs"):
        return _finding("disk.mkfs", Risk.BLOCK, f"{name} formats a file system", command)
    return []


def check_firewall_flush(command: SimpleCommand, settings: RuleSettings) -> list[Finding]:
    name, args = command.name, command.args
    flush = "--flush" in args or _has_short_flag(args, "F")
    if re.match(r"^ip6?tables(-legacy|-nft)?$", name) and flush:
        return _finding("net.firewall_flush", Risk.BLOCK, f"{name} flushes rules", command)
    words = " ".join(args).split()  # nft joins its arguments and parses them itself
    if name == "nft" and "flush" in words and "ruleset" in words:
        return _finding("net.firewall_flush", Risk.BLOCK, "nft flushes the ruleset", command)
    return []


def check_pipe_to_shell(command: SimpleCommand, settings: RuleSettings) -> list[Finding]:
    """A shell or interpreter whose program arrives through a pipe or from xargs."""
    if command.name not in INTERPRETERS:
        return []
    if command.args_from_stdin and command.name in SHELLS:
        reason = f"xargs feeds run-time input to {command.name}"
        return _finding("shell.pipe_to_shell", Risk.BLOCK, reason, command)
    if not command.stdin_from or not _reads_program_from_stdin(command):
        return []
    return _piped_program(command)


def _piped_program(command: SimpleCommand) -> list[Finding]:
    if DECODERS & set(command.stdin_from):
        reason = f"decoded data piped into {command.name}"
        return _finding("shell.decode_to_shell", Risk.BLOCK, reason, command)
    upstream = ", ".join(dict.fromkeys(command.stdin_from))
    reason = f"output of {upstream} piped into {command.name}"
    return _finding("shell.pipe_to_shell", Risk.BLOCK, reason, command)


def _reads_program_from_stdin(command: SimpleCommand) -> bool:
    options = _options(command.args)
    if command.name in ("at", "batch"):
        return "-f" not in options  # at's operands are a time; the job itself is stdin
    if any(o in ("-c", "-e", "-m", "-E") or (o[1:2] != "-" and "c" in o[1:]) for o in options):
        return False  # program given inline (those left here are non-literal: see eval rule)
    operands = _operands(command.args)
    return not operands or operands[0] == "-" or "-s" in options


def check_eval_dynamic(command: SimpleCommand, settings: RuleSettings) -> list[Finding]:
    """Code whose text is only known at run time: `eval "$x"`, `bash -c "$(curl …)"`,
    `source <(curl …)`, `bash <(curl …)`."""
    if command.literal and not command.variant:
        return []
    name = command.name
    if name == "eval" or (name in ("source", ".") and command.args):
        return _finding("shell.eval_dynamic", Risk.BLOCK, f"{name} of a run-time string", command)
    fed = any(r.op in ("<<<", "<<", "<<-") for r in command.redirects)
    if name in SHELLS and (command.args or fed):
        reason = f"{name} runs a script that is only known at run time"
        return _finding("shell.eval_dynamic", Risk.BLOCK, reason, command)
    return []


def check_fork_bomb(command: SimpleCommand, settings: RuleSettings) -> list[Finding]:
    recursive = command.function is not None and command.name == command.function
    if recursive and (command.pipeline_stage is not None or command.background):
        reason = f"function {command.function} spawns itself in the background or a pipeline"
        return _finding("shell.fork_bomb", Risk.BLOCK, reason, command)
    return []


def check_recursive_perms(command: SimpleCommand, settings: RuleSettings) -> list[Finding]:
    if command.name not in ("chmod", "chown", "chgrp", "setfacl"):
        return []
    args = command.args
    if not ("--recursive" in args or _has_short_flag(args, "R")):
        return []
    for target in _operands(args):
        hit = protected_target(target, settings, command.cwd)
        if hit:
            reason = f"recursive {command.name} of the system path {hit}"
            return _finding("fs.perm_recursive_system", Risk.BLOCK, reason, command)
    return []


def check_dev_tcp(command: SimpleCommand, settings: RuleSettings) -> list[Finding]:
    """bash's /dev/tcp and /dev/udp pseudo-files: reverse shells and data exfiltration."""
    for redirect in command.redirects:
        if normalize_path(redirect.target).startswith(("/dev/tcp/", "/dev/udp/")):
            reason = f"redirection opens a network connection ({redirect.target})"
            return _finding("net.dev_tcp", Risk.BLOCK, reason, command)
    return []


def check_device_write(command: SimpleCommand, settings: RuleSettings) -> list[Finding]:
    for redirect in command.redirects:
        if redirect.writes and _is_device(redirect.target):
            reason = f"redirection writes to the device {redirect.target}"
            return _finding("disk.write_device", Risk.BLOCK, reason, command)
    operands = _operands(command.args)
    # tee writes every operand; cp/install write their last one.
    targets = operands if command.name == "tee" else operands[-1:]
    if command.name in ("tee", "cp", "install"):
        for target in targets:
            if _is_device(target):
                reason = f"{command.name} writes to the device {target}"
                return _finding("disk.write_device", Risk.BLOCK, reason, command)
    return []


def check_wipe_device(command: SimpleCommand, settings: RuleSettings) -> list[Finding]:
    if command.name not in ("shred", "wipefs", "blkdiscard", "sgdisk", "badblocks"):
        return []
    if command.name == "badblocks" and not ({"-w", "-n"} & set(command.args)):
        return []
    for target in _operands(command.args):
        if _is_device(target):
            reason = f"{command.name} destroys data on {target}"
            return _finding("disk.wipe_device", Risk.BLOCK, reason, command)
    return []


def check_kill(command: SimpleCommand, settings: RuleSettings) -> list[Finding]:
    if command.name not in ("kill", "pkill", "killall"):
        return []
    if command.name != "kill":
        hits = set(_operands(command.args)) & settings.critical_services
        if hits:
            reason = f"{command.name} of the critical service {sorted(hits)[0]}"
            return _finding("service.critical_change", Risk.CONFIRM, reason, command)
        return []
    pids = _kill_pids(command.args)
    if "-1" in pids:
        return _finding("proc.kill_all", Risk.BLOCK, "kill -1 signals every process", command)
    if "1" in pids:
        return _finding("proc.kill_init", Risk.CONFIRM, "signals PID 1 (init)", command)
    return []


def _kill_pids(args: Sequence[str]) -> list[str]:
    """PIDs of `kill [-s SIG | -n NUM | -SIG] [--] pid…`: the first option is the signal."""
    rest = list(args)
    if rest and rest[0] in ("-s", "-n"):
        rest = rest[2:]
    elif rest and rest[0].startswith("-") and rest[0] != "--":
        rest = rest[1:]
    if rest and rest[0] == "--":
        rest = rest[1:]
    return rest


# --- confirmation tier ----------------------------------------------------------------------

POWER_COMMANDS = frozenset({"reboot", "shutdown", "poweroff", "halt", "kexec"})
SYSTEMCTL_POWER = _words(
    "reboot poweroff halt kexec soft-reboot rescue emergency suspend hibernate hybrid-sleep "
    "suspend-then-hibernate"
)
SYSTEMCTL_CRITICAL_VERBS = _words(
    "stop restart try-restart reload-or-restart condrestart disable mask kill freeze isolate"
)


def check_power(command: SimpleCommand, settings: RuleSettings) -> list[Finding]:
    name, operands = command.name, _operands(command.args)
    if name in POWER_COMMANDS and "--help" not in command.args:
        return _finding("power.shutdown_reboot", Risk.CONFIRM, f"{name} of the host", command)
    if name in ("init", "telinit") and operands[:1] and operands[0] in ("0", "1", "6", "s", "S"):
        reason = f"{name} {operands[0]} changes the runlevel"
        return _finding("power.shutdown_reboot", Risk.CONFIRM, reason, command)
    if name == "systemctl" and operands[:1] and operands[0] in SYSTEMCTL_POWER:
        reason = f"systemctl {operands[0]} of the host"
        return _finding("power.shutdown_reboot", Risk.CONFIRM, reason, command)
    return []


def _unit_name(unit: str) -> str:
    return unit.removesuffix(".service").split("@", 1)[0]


def check_critical_service(command: SimpleCommand, settings: RuleSettings) -> list[Finding]:
    operands = _operands(command.args)
    if command.name == "systemctl" and operands and operands[0] in SYSTEMCTL_CRITICAL_VERBS:
        verb, units = operands[0], operands[1:]
    elif command.name == "service" and len(operands) >= 2:
        units, verb = operands[:1], operands[1]
        if verb not in ("stop", "restart", "force-reload"):
            return []
    else:
        return []
    hits = [u for u in units if _unit_name(u) in settings.critical_services]
    if not hits:
        return []
    reason = f"{verb} of the critical service {hits[0]}"
    return _finding("service.critical_change", Risk.CONFIRM, reason, command)


def check_storage(command: SimpleCommand, settings: RuleSettings) -> list[Finding]:
    operands = _operands(command.args)
    verb = operands[0] if operands else ""
    if command.name == "zfs" and verb in ("destroy", "rollback"):
        reason = f"zfs {verb} loses data ({' '.join(operands[1:]) or 'no target'})"
        return _finding("zfs.destroy", Risk.CONFIRM, reason, command)
    zpool_verbs = ("destroy", "offline", "detach", "remove", "labelclear", "split", "reguid")
    if command.name == "zpool" and verb in zpool_verbs:
        reason = f"zpool {verb} takes storage away ({' '.join(operands[1:]) or 'no target'})"
        return _finding("zpool.destructive", Risk.CONFIRM, reason, command)
    return []


IPMI_POWER_VERBS = frozenset({"off", "cycle", "reset", "soft", "on", "diag"})


def check_ipmitool(command: SimpleCommand, settings: RuleSettings) -> list[Finding]:
    if command.name != "ipmitool":
        return []
    words = command.args[_ipmitool_subcommand_index(command.args) :]
    if words[:1] == ("chassis",):
        words = words[1:]
    if len(words) >= 2 and words[0] == "power" and words[1] in IPMI_POWER_VERBS:
        return _finding("ipmi.power_change", Risk.CONFIRM, f"BMC power {words[1]}", command)
    if words[:2] == ("mc", "reset"):
        return _finding("ipmi.bmc_reset", Risk.CONFIRM, "resets the BMC", command)
    return []


_IPMITOOL_VALUE_OPTS = frozenset("-" + c for c in "IHUPLpfykCtbTBRNAoOeEKgsmcz")


def _ipmitool_subcommand_index(args: Sequence[str]) -> int:
    i = 0
    while i < len(args) and args[i].startswith("-"):
        i += 2 if args[i] in _IPMITOOL_VALUE_OPTS else 1
    return i


PVE_GUEST_VERBS = _words("stop destroy shutdown reset reboot suspend rollback delsnapshot")


# Files whose content is a credential: reading one is not destructive, but it puts a secret in
# front of the model and the channel (the scrubber is a second line, not the first).
SECRET_FILE_PATTERNS = (
    "/etc/shadow",
    "/etc/gshadow",
    "/etc/shadow-",
    "/etc/pve/priv/*",
    "*/.ssh/id_*",
    "/etc/ssh/ssh_host_*_key",
    "*.key",
    "*/.netrc",
    "*/.aws/credentials",
)


def check_secret_read(command: SimpleCommand, settings: RuleSettings) -> list[Finding]:
    """Any argument or input redirection naming a credential file needs a person's approval."""
    words = [*command.args, *(r.target for r in command.redirects if r.target)]
    for word in words:
        path = normalize_path(word) if word.startswith(("/", "~", ".")) else word
        if any(fnmatchcase(path, pattern) for pattern in SECRET_FILE_PATTERNS):
            reason = f"reads the credential file {word}"
            return _finding("fs.read_secret", Risk.CONFIRM, reason, command)
    return []


def check_pve_guest(command: SimpleCommand, settings: RuleSettings) -> list[Finding]:
    operands = _operands(command.args)
    if command.name in ("qm", "pct") and operands and operands[0] in PVE_GUEST_VERBS:
        target = operands[1] if len(operands) > 1 else "?"
        reason = f"{command.name} {operands[0]} of guest {target}"
        return _finding("pve.guest_lifecycle", Risk.CONFIRM, reason, command)
    return []


def check_extra_rules(command: SimpleCommand, settings: RuleSettings) -> list[Finding]:
    return [
        Finding(rule.rule_id, rule.risk, rule.reason, command.text())
        for rule in settings.extra_rules
        if rule.matches(command)
    ]


# --- the allow side: read-only programs -----------------------------------------------------


@dataclass(frozen=True)
class ReadOnly:
    """When a program counts as read-only.

    `subcommands` maps the first operand to the allowed second operands (None: any; a set that
    may hold "" for "none given"); `bare` says whether no operand at all is read-only.
    """

    subcommands: Mapping[str, frozenset[str] | None] | None = None
    bare: bool = True
    forbidden: frozenset[str] = frozenset()  # options that make it write or execute
    max_operands: int | None = None
    value_opts: frozenset[str] = frozenset()  # options whose value is not an operand
    check: Callable[[Sequence[str]], bool] | None = None  # anything the fields cannot say

    def allows(self, args: Sequence[str]) -> bool:
        if any(self._forbidden(a) for a in _options(args)):
            return False
        operands = self._operands(args)
        if self.max_operands is not None and len(operands) > self.max_operands:
            return False
        if self.check is not None and not self.check(args):
            return False
        if self.subcommands is None:
            return True
        if not operands:
            return self.bare
        if operands[0] not in self.subcommands:
            return False
        second = self.subcommands[operands[0]]
        return second is None or (operands[1] if len(operands) > 1 else "") in second

    def _forbidden(self, option: str) -> bool:
        head = option.split("=", 1)[0]
        if head in self.forbidden:
            return True
        short = {f[1] for f in self.forbidden if len(f) == 2 and f[0] == "-"}
        return not option.startswith("--") and bool(short & set(option[1:]))

    def _operands(self, args: Sequence[str]) -> list[str]:
        out: list[str] = []
        skip = False
        for i, arg in enumerate(args):
            if skip:
                skip = False
            elif arg == "--":
                return out + list(args[i + 1 :])
            elif arg.startswith("-") and arg != "-":
                skip = arg in self.value_opts
            else:
                out.append(arg)
        return out


def _any(*names: str) -> frozenset[str]:
    return frozenset(names)


_IP_OBJECTS = _words(
    "a addr address l link r ro route n neigh neighbor rule maddr maddress netconf ntable "
    "tunnel mroute"
)
_IP_SHOW_VERBS = _words("show list ls lst sh get s")


def _ip_read_only(args: Sequence[str]) -> bool:
    if "-b" in args:
        return False  # `ip -b FILE` runs a batch of commands
    operands = [a for a in args if not a.startswith("-")]
    if not operands:
        return True
    if operands[0] not in _IP_OBJECTS:
        return False
    return len(operands) == 1 or operands[1] in _IP_SHOW_VERBS


def _iptables_read_only(args: Sequence[str]) -> bool:
    allowed = {
        "-L",
        "-S",
        "-n",
        "-v",
        "-x",
        "-t",
        "--list",
        "--list-rules",
        "--numeric",
        "--verbose",
        "--exact",
        "--line-numbers",
        "-nL",
        "-vnL",
        "-nvL",
        "-Ln",
        "-Lnv",
    }
    options = _options(args)
    listing = any(o in ("-L", "-S", "--list", "--list-rules") or "L" in o[1:] for o in options)
    return listing and all(o in allowed for o in options)


def _top_batch(args: Sequence[str]) -> bool:
    return _has_short_flag(args, "b")


def _nft_read_only(args: Sequence[str]) -> bool:
    operands = _operands(args)
    return bool(operands) and operands[0] == "list"


# systemd tools reach other machines with -H (over SSH): that would skip the host allowlist.
_REMOTE_OPTS = _words("-H --host -M --machine")
_SYSTEMCTL_READ = _words(
    "status show cat is-active is-enabled is-failed is-system-running list-units "
    "list-unit-files list-timers list-sockets list-dependencies list-jobs list-machines "
    "get-default show-environment help"
)
# ipmitool phrases that only read, mapped to whether more words (a sensor name, an id) may
# follow; `sensor thresh …` or `chassis power off` are therefore not read-only.
_IPMITOOL_READ: dict[tuple[str, ...], bool] = {
    ("sensor",): False,
    ("sensor", "list"): False,
    ("sensor", "get"): True,
    ("sensor", "reading"): True,
    ("sdr",): False,
    ("sdr", "list"): True,
    ("sdr", "elist"): True,
    ("sdr", "type"): True,
    ("sdr", "get"): True,
    ("sdr", "info"): False,
    ("chassis", "status"): False,
    ("chassis", "power", "status"): False,
    ("power", "status"): False,
    ("sel",): False,
    ("sel", "list"): True,
    ("sel", "elist"): True,
    ("sel", "info"): False,
    ("fru",): False,
    ("fru", "print"): True,
    ("lan", "print"): True,
    ("mc", "info"): False,
    ("mc", "guid"): False,
    ("dcmi", "power", "reading"): False,
    ("dcmi", "sensors"): False,
}


def _ipmitool_read_only(args: Sequence[str]) -> bool:
    words = tuple(args[_ipmitool_subcommand_index(args) :])
    for length in range(min(len(words), 3), 0, -1):
        extra_ok = _IPMITOOL_READ.get(words[:length])
        if extra_ok is not None:
            return extra_ok or len(words) == length
    return False


READ_ONLY_COMMANDS: dict[str, ReadOnly] = {
    **{
        name: ReadOnly()
        for name in _words(
            "ls cat head tail wc df du free uptime uname whoami id groups ps pgrep lsblk "
            "lscpu lsmod lspci lsusb lsof stat findmnt grep egrep fgrep zgrep zcat cut "
            "tr column jq nl basename dirname realpath readlink md5sum sha1sum sha256sum diff "
            "cmp which whereis echo printf true false test [ pwd printenv nproc arch vmstat "
            "iostat mpstat w who last netstat ping traceroute tracepath dig nslookup host "
            "getent lvs vgs pvs lvdisplay vgdisplay pvdisplay blkid pveversion type cd"
        )
    },
    "date": ReadOnly(forbidden=frozenset({"-s", "--set"})),
    "hostname": ReadOnly(max_operands=0, forbidden=_words("-F --file -b --boot")),
    "ss": ReadOnly(forbidden=_words("-K --kill")),  # -K kills the sockets it lists
    "file": ReadOnly(forbidden=_words("-C --compile")),
    "sensors": ReadOnly(forbidden=_words("-s --set")),
    "dmesg": ReadOnly(
        forbidden=_words(
            "-c -C -D -E -n --clear --read-clear --console-off --console-on --console-level"
        )
    ),
    "sort": ReadOnly(forbidden=_words("-o --output --compress-program")),
    "uniq": ReadOnly(max_operands=1),
    "find": ReadOnly(
        forbidden=_words("-delete -exec -execdir -ok -okdir -fprint -fprint0 -fprintf -fls")
    ),
    "journalctl": ReadOnly(
        forbidden=_words(
            "--vacuum-size --vacuum-time --vacuum-files --rotate --flush --sync "
            "--relinquish-var --smart-relinquish-var --setup-keys --update-catalog --cursor-file"
        ),
        value_opts=frozenset({"-u", "-n", "-p", "-o", "-t", "-S", "-U", "-b", "-g", "-k", "-D"}),
    ),
    "systemctl": ReadOnly(
        subcommands=dict.fromkeys(_SYSTEMCTL_READ),
        forbidden=_REMOTE_OPTS,
        value_opts=frozenset({"-H", "-M", "-t", "-p", "-n", "-o", "--type", "--state"}),
    ),
    "smartctl": ReadOnly(
        forbidden=_words(
            "-t --test -s --smart --set -o --offlineauto -S --saveauto -X --abort -g --get"
        )
    ),
    "zpool": ReadOnly(
        subcommands=dict.fromkeys(("status", "list", "iostat", "get", "history", "events")),
        forbidden=frozenset({"-c"}),  # `zpool status -c SCRIPT` runs scripts; events -c clears
    ),
    "zfs": ReadOnly(subcommands=dict.fromkeys(("list", "get"))),
    "ipmitool": ReadOnly(check=_ipmitool_read_only),
    "ip": ReadOnly(check=_ip_read_only, forbidden=frozenset({"-batch", "-force"})),
    "iptables": ReadOnly(check=_iptables_read_only, value_opts=frozenset({"-t"})),
    "ip6tables": ReadOnly(check=_iptables_read_only, value_opts=frozenset({"-t"})),
    "nft": ReadOnly(check=_nft_read_only),
    "top": ReadOnly(check=_top_batch),
    "mount": ReadOnly(max_operands=0, forbidden=frozenset({"-a", "--all"})),
    "swapon": ReadOnly(max_operands=0, forbidden=frozenset({"-a", "--all", "-e"})),
    "arp": ReadOnly(max_operands=0, forbidden=frozenset({"-d", "-s", "-f"})),
    "hostnamectl": ReadOnly(subcommands=dict.fromkeys(("status", "show")), forbidden=_REMOTE_OPTS),
    "timedatectl": ReadOnly(
        subcommands=dict.fromkeys(("status", "show", "timesync-status")), forbidden=_REMOTE_OPTS
    ),
    "networkctl": ReadOnly(subcommands=dict.fromkeys(("status", "list", "lldp"))),
    "resolvectl": ReadOnly(subcommands=dict.fromkeys(("status", "query", "statistics"))),
    "pvesh": ReadOnly(subcommands=dict.fromkeys(("get", "ls")), bare=False),
    "pvecm": ReadOnly(subcommands=dict.fromkeys(("status", "nodes")), bare=False),
    "pvesm": ReadOnly(subcommands=dict.fromkeys(("status", "list")), bare=False),
    "qm": ReadOnly(subcommands=dict.fromkeys(("list", "status", "config", "pending")), bare=False),
    "pct": ReadOnly(subcommands=dict.fromkeys(("list", "status", "config")), bare=False),
    "ha-manager": ReadOnly(subcommands=dict.fromkeys(("status", "config")), bare=False),
    "ceph": ReadOnly(
        subcommands={
            "status": None,
            "health": None,
            "df": None,
            "versions": None,
            "osd": _any("tree", "stat", "df", "ls"),
        },
        # Bare `ceph` opens an interactive prompt; `ceph -s` is the status.
        check=lambda args: bool(_operands(args)) or bool({"-s", "--status"} & set(args)),
    ),
    "nvme": ReadOnly(
        subcommands=dict.fromkeys(("list", "smart-log", "id-ctrl", "id-ns", "error-log")),
        bare=False,
    ),
    "command": ReadOnly(check=lambda args: bool({"-v", "-V"} & set(args))),
    "env": ReadOnly(max_operands=0, forbidden=frozenset({"-S", "--split-string"})),
}


def check_read_only(command: SimpleCommand, settings: RuleSettings) -> list[Finding]:
    """The allow side: exactly one finding per command, ALLOW only for plain read-only forms."""
    reason = _not_read_only_reason(command)
    if reason is None:
        return _finding("shell.readonly", Risk.ALLOW, f"read-only {command.name}", command)
    rule_id, text = reason
    return _finding(rule_id, Risk.CONFIRM, text, command)


def _not_read_only_reason(command: SimpleCommand) -> tuple[str, str] | None:
    if not command.literal:
        return "shell.dynamic_word", "words only known at run time (variables, substitutions)"
    if command.args_from_stdin:
        return "shell.dynamic_word", "xargs adds arguments only known at run time"
    writes = [r.target for r in command.redirects if r.writes and r.target != "/dev/null"]
    if writes:
        return "shell.write_redirect", f"writes to {writes[0]}"
    if not command.argv and command.assignments:
        return "shell.env_assignment", "sets shell variables, which can change later commands"
    if not command.argv:
        return "shell.not_allowlisted", "a redirection without a program"
    unsafe = [a for a in command.assignments if not SAFE_ASSIGNMENTS.match(a)]
    if unsafe:
        return "shell.env_assignment", f"runs with {unsafe[0].split('=', 1)[0]} set"
    if command.calls_function:
        return "shell.function_call", f"{command.name} is a function defined in the command"
    return _program_reason(command)


def _program_reason(command: SimpleCommand) -> tuple[str, str] | None:
    program = command.argv[0]
    if "/" in program and posixpath.dirname(program) not in SYSTEM_BIN_DIRS:
        return "shell.not_allowlisted", f"{program} is not a system program"
    if "chroot" in command.wrappers:
        return "shell.not_allowlisted", f"{command.name} would run from another root directory"
    spec = READ_ONLY_COMMANDS.get(command.name)
    if spec is None:
        return "shell.not_allowlisted", f"{command.name} is not on the read-only allow-list"
    if command.glob_args and spec != ReadOnly():
        # `uniq *` or `find *` can expand to an output file or to `-delete`.
        return "shell.not_readonly", f"a glob could expand into arguments of {command.name}"
    if not spec.allows(command.args):
        return (
            "shell.not_readonly",
            f"{command.name} with these arguments is not known to be read-only",
        )
    return None


SHELL_ANALYZERS: tuple[ShellAnalyzer, ...] = (
    check_rm,
    check_find_delete,
    check_dd,
    check_mkfs,
    check_firewall_flush,
    check_pipe_to_shell,
    check_eval_dynamic,
    check_fork_bomb,
    check_recursive_perms,
    check_dev_tcp,
    check_device_write,
    check_wipe_device,
    check_kill,
    check_power,
    check_critical_service,
    check_storage,
    check_ipmitool,
    check_pve_guest,
    check_secret_read,
    check_extra_rules,
    check_read_only,
)


# --- other transports -----------------------------------------------------------------------

IPMI_READ_ACTIONS = frozenset(
    {
        "power status",
        "chassis status",
        "sensor",
        "sensors",
        "sensor list",
        "sdr",
        "sdr list",
        "sdr elist",
        "sel",
        "sel list",
        "sel elist",
        "sel info",
        "fru",
        "fru print",
        "mc info",
        "lan print",
        "bootdev get",
        "boot device get",
        "chassis power status",
    }
)


def analyze_ipmi(action: str) -> list[Finding]:
    """An IPMI action as the ipmi tool names it (`power status`, `power off`, `sensors`, …)."""
    words = action.lower().split()
    text = " ".join(words)
    if words[:1] == ["chassis"] and words[1:2] == ["power"]:
        words = words[1:]
    if text in IPMI_READ_ACTIONS:
        return [Finding("ipmi.read_only", Risk.ALLOW, f"reads BMC state ({text})", text)]
    if len(words) == 2 and words[0] == "power" and words[1] in IPMI_POWER_VERBS:
        return [Finding("ipmi.power_change", Risk.CONFIRM, f"BMC power {words[1]}", text)]
    if words[:1] in (["bootdev"], ["boot"]):
        return [Finding("ipmi.boot_device", Risk.CONFIRM, "changes the boot device", text)]
    if words[:2] == ["mc", "reset"]:
        return [Finding("ipmi.bmc_reset", Risk.CONFIRM, "resets the BMC", text)]
    return [Finding("ipmi.unknown_action", Risk.CONFIRM, f"unknown IPMI action {text!r}", text)]


@dataclass(frozen=True)
class HttpRequest:
    method: str
    url: str
    hostname: str
    port: int


def parse_http_request(request: str) -> HttpRequest | None:
    """`"GET http://mon01:9090/…"` or a bare URL (GET); None when it is neither."""
    parts = request.split()
    if len(parts) == 1:
        parts = ["GET", parts[0]]
    if len(parts) != 2 or not re.fullmatch(r"[A-Za-z]+", parts[0]):
        return None
    try:
        url = urlsplit(parts[1])
        port = url.port
    except ValueError:
        return None
    if url.scheme not in ("http", "https") or not url.hostname:
        return None
    default = 443 if url.scheme == "https" else 80
    return HttpRequest(parts[0].upper(), parts[1], url.hostname, port or default)


def analyze_http_method(request: HttpRequest) -> list[Finding]:
    if request.method in ("GET", "HEAD"):
        return [Finding("http.read_only", Risk.ALLOW, f"{request.method} reads only", request.url)]
    reason = f"HTTP {request.method} can change state on {request.hostname}"
    return [Finding("http.method_not_get", Risk.CONFIRM, reason, request.url)]


def pattern_rule_from_config(entry: Mapping[str, Any], risk: Risk) -> PatternRule:
    return PatternRule(str(entry["rule_id"]), tuple(entry["argv"]), str(entry["reason"]), risk)
