"""The blocklist: commands that destroy data or the host, blocked outright (no approval).

Each check looks at one simple command (wrappers already peeled, nested scripts already split
out, guessed readings included) and reports a blocking finding with its own rule id.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.safety.analyzers.base import (
    Context,
    finding,
    has_short_flag,
    operands,
    options,
    scan,
    words,
)
from bot.safety.options import OptionTable
from bot.safety.paths import candidates, is_device, protected_hit
from bot.safety.shell.command import SimpleCommand
from bot.safety.verdict import Decision, RuleFinding

BLOCK = Decision.BLOCK
_RM = OptionTable.parse(
    "-f|--force -i -I --interactive=? --one-file-system --no-preserve-root --preserve-root=? "
    "-r|-R|--recursive -d|--dir -v|--verbose --help --version"
)
# Files whose overwriting breaks logins, boot or the cluster, or plants persistence.
CRITICAL_FILES = (
    "/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow", "/etc/sudoers",
    "/etc/sudoers.d/*", "/etc/fstab", "/etc/crypttab", "/etc/ld.so.preload", "/etc/ld.so.conf",
    "/etc/ld.so.conf.d/*", "/etc/pam.d/*", "/etc/ssh/sshd_config", "/etc/ssh/sshd_config.d/*",
    "/etc/network/interfaces", "/etc/netplan/*", "/etc/corosync/corosync.conf",
    "/etc/pve/*", "/etc/pve/*/*", "/etc/pve/*/*/*", "/boot/*", "/boot/*/*", "/bin/*", "/sbin/*",
    "/usr/bin/*", "/usr/sbin/*", "/lib/*", "/usr/lib/*", "/lib64/*", "/etc/crontab",
    "/etc/cron.d/*", "/var/spool/cron/*", "/var/spool/cron/crontabs/*", "/etc/profile",
    "/etc/profile.d/*", "/etc/bash.bashrc", "/etc/environment", "/etc/rc.local",
    "/etc/systemd/system/*", "/etc/systemd/system/*/*", "/etc/init.d/*",
    "/etc/modprobe.d/*", "/root/.bashrc", "/root/.profile", "/root/.bash_profile",
    "/root/.ssh/authorized_keys", "/home/*/.ssh/authorized_keys", "/etc/hostname",
    "/etc/default/grub", "/proc/sysrq-trigger", "/var/lib/pve-cluster/config.db",
)  # fmt: skip
_CRITICAL_PARTS = [tuple(p.strip("/").split("/")) for p in CRITICAL_FILES]


def critical_file(word: str, cwd: Sequence[str | None]) -> str | None:
    """The critical file `word` may name (by resolution, glob or `..`), or None."""
    from fnmatch import fnmatchcase

    for candidate in candidates(word, cwd):
        if candidate.floating:
            continue
        for pattern in _CRITICAL_PARTS:
            if len(pattern) == len(candidate.parts) and all(
                fnmatchcase(c, p) or fnmatchcase(p, c)
                for c, p in zip(candidate.parts, pattern, strict=True)
            ):
                return "/" + "/".join(candidate.parts)
    return None


def check_rm(command: SimpleCommand, context: Context) -> list[RuleFinding]:
    if command.name != "rm":
        return []
    args = command.args
    scanned = scan(args, _RM)
    if scanned is not None:
        recursive = scanned.has("-r")
        no_preserve = scanned.has("--no-preserve-root")
        targets = [t for _, t in scanned.operands]
    else:  # undeclared options: read them generously
        recursive = any(a.startswith("--r") for a in options(args)) or any(
            has_short_flag(args, c) for c in "rR"
        )
        no_preserve = any(a.startswith("--no-p") for a in options(args))
        targets = operands(args)
    if no_preserve:
        return finding("fs.rm_recursive_system", BLOCK, "rm --no-preserve-root", command)
    for target in targets:
        hit = protected_hit(target, command.cwd, context.settings.protected_paths)
        if hit and recursive:
            reason = f"recursive rm of the system path {hit} (target {target!r})"
            return finding("fs.rm_recursive_system", BLOCK, reason, command)
        critical = critical_file(target, command.cwd)
        if critical:
            return finding("fs.overwrite_system", BLOCK, f"rm of {critical}", command)
    return []


def check_find_delete(command: SimpleCommand, context: Context) -> list[RuleFinding]:
    if command.name != "find" or not ({"-delete", "-exec", "-execdir"} & set(command.args)):
        return []
    if "-delete" not in command.args:
        return []
    from bot.safety.shell.inline import find_starts

    for start in find_starts(command.args):
        hit = protected_hit(start, command.cwd, context.settings.protected_paths)
        if hit:
            reason = f"find -delete under the system path {hit}"
            return finding("fs.find_delete_system", BLOCK, reason, command)
    return []


def check_dd(command: SimpleCommand, context: Context) -> list[RuleFinding]:
    if command.name != "dd":
        return []
    for arg in command.args:
        if arg.startswith("of="):
            target = arg[3:]
            if is_device(target):
                return finding("disk.dd_to_device", BLOCK, f"dd writes to {target}", command)
            critical = critical_file(target, command.cwd)
            if critical:
                return finding("fs.overwrite_system", BLOCK, f"dd overwrites {critical}", command)
    return []


_MKFS = re.compile(r"^(mkfs(\..+)?|mke2fs|mkdosfs|mkntfs|mkswap|mkfs\.\w+|mkexfatfs)$")


def check_mkfs(command: SimpleCommand, context: Context) -> list[RuleFinding]:
    if _MKFS.match(command.name):
        return finding("disk.mkfs", BLOCK, f"{command.name} formats a file system", command)
    return []


_IPTABLES = re.compile(r"^(ip6?tables|ebtables|arptables)(-legacy|-nft)?$")


def check_firewall_flush(command: SimpleCommand, context: Context) -> list[RuleFinding]:
    name, args = command.name, command.args
    if _IPTABLES.match(name):
        flush = has_short_flag(args, "F") or any(
            a.startswith("--f") and "--flush".startswith(a.split("=")[0]) for a in args
        )
        if flush:
            return finding("net.firewall_flush", BLOCK, f"{name} flushes rules", command)
    if name == "nft":
        text = " ".join(args).replace(";", " ; ").split()
        if "flush" in text and "ruleset" in text:
            return finding("net.firewall_flush", BLOCK, "nft flushes the ruleset", command)
    return []


def check_fork_bomb(command: SimpleCommand, context: Context) -> list[RuleFinding]:
    recursive = command.function is not None and command.name == command.function
    if recursive and (command.pipeline_stage is not None or command.background):
        reason = f"function {command.function} spawns itself in the background or a pipeline"
        return finding("shell.fork_bomb", BLOCK, reason, command)
    return []


_PERMS = ("chmod", "chown", "chgrp", "setfacl", "chattr", "chcon")


def check_permissions(command: SimpleCommand, context: Context) -> list[RuleFinding]:
    if command.name not in _PERMS:
        return []
    args = command.args
    recursive = any(a.startswith("--rec") for a in args) or has_short_flag(args, "R")
    for target in operands(args):
        hit = protected_hit(target, command.cwd, context.settings.protected_paths)
        if hit:
            kind = "recursive " if recursive else ""
            reason = f"{kind}{command.name} of the system path {hit}"
            return finding("fs.perm_recursive_system", BLOCK, reason, command)
        critical = critical_file(target, command.cwd)
        if critical:
            reason = f"{command.name} of {critical}"
            return finding("fs.perm_recursive_system", BLOCK, reason, command)
    return []


def check_dev_tcp(command: SimpleCommand, context: Context) -> list[RuleFinding]:
    """bash's /dev/tcp and /dev/udp pseudo-files: reverse shells and data exfiltration."""
    for redirect in command.redirects:
        if re.match(r"^/+dev/+(tcp|udp)/", redirect.target):
            reason = f"redirection opens a network connection ({redirect.target})"
            return finding("net.dev_tcp", BLOCK, reason, command)
    return []


def _written_targets(command: SimpleCommand) -> list[tuple[str, str]]:
    """(what writes, file) for every file this command writes by redirection or wrapper, and
    the targets of the programs that write their operands."""
    out = [(f"redirection {r.op}", r.target) for r in command.redirects if r.writes]
    out += [(f"{command.wrappers} option", w) for w in command.wrapper_writes]
    ops = operands(command.args)
    name = command.name
    if name == "tee":
        out += [("tee", t) for t in ops]
    elif name in ("cp", "install", "mv", "ln", "rsync", "scp") and len(ops) >= 2:
        out.append((name, ops[-1]))
    elif name in ("truncate", "touch") and ops:
        out += [(name, t) for t in ops]
    elif name == "sed" and any(
        a.startswith(("-i", "--in-place", "--in-pl")) for a in options(command.args)
    ):
        out += [("sed -i", t) for t in ops[1:]]
    out += [(f"{name} {option}", value) for option, value in _writer_option_values(command)]
    return out


# Options that name a file the program writes (long ones also by unique prefix).
WRITER_OPTIONS = {
    "sort": ("-o", "--output"),
    "curl": ("-o", "--output", "-D", "--dump-header", "-c", "--cookie-jar", "--trace",
             "--trace-ascii", "--libcurl", "--etag-save", "--hsts", "--alt-svc"),
    "wget": ("-O", "--output-document", "-o", "--output-file", "-a", "--append-output"),
    "journalctl": ("--cursor-file",),
    "blkid": ("-c", "--cache-file"),
    "nvidia-smi": ("-f", "--filename"),
    "iptables-save": ("-f", "--file"),
    "ip6tables-save": ("-f", "--file"),
    "ssh": ("-E",),
    "arcstat": ("-o",),
    "tcpdump": ("-w",),
    "virsh": ("-l", "--log"),
    "ceph": ("-o", "--out-file"),
}  # fmt: skip


def _writer_option_values(command: SimpleCommand) -> list[tuple[str, str]]:
    writers = WRITER_OPTIONS.get(command.name, ())
    args = list(command.args)
    out = []
    for i, arg in enumerate(args):
        head, eq, value = arg.partition("=")
        for option in writers:
            long_prefix = option.startswith("--") and len(head) > 3 and option.startswith(head)
            if head == option or long_prefix:
                if eq:
                    out.append((option, value))
                elif i + 1 < len(args):
                    out.append((option, args[i + 1]))
            elif len(option) == 2 and arg.startswith(option) and len(arg) > 2 and not eq:
                out.append((option, arg[2:]))
    return [(o, v) for o, v in out if v not in ("-", "/dev/stdout", "/dev/null")]


def check_device_write(command: SimpleCommand, context: Context) -> list[RuleFinding]:
    for source, target in _written_targets(command):
        if is_device(target):
            reason = f"{source} writes to the device {target}"
            return finding("disk.write_device", BLOCK, reason, command)
    return []


def check_overwrite_system(command: SimpleCommand, context: Context) -> list[RuleFinding]:
    """`> /etc/passwd`, `tee /etc/sudoers`, `cp x /bin/ls`, `mv /etc …`: block."""
    for source, target in _written_targets(command):
        critical = critical_file(target, command.cwd)
        if critical:
            reason = f"{source} overwrites {critical}"
            return finding("fs.overwrite_system", BLOCK, reason, command)
    if command.name in ("mv", "rename"):
        for source in operands(command.args)[:-1]:
            hit = protected_hit(source, command.cwd, context.settings.protected_paths)
            critical = hit or critical_file(source, command.cwd)
            if critical:
                reason = f"mv moves the system path {critical} away"
                return finding("fs.move_system", BLOCK, reason, command)
    return []


_WIPERS = words("shred wipefs blkdiscard sgdisk badblocks sfdisk fdisk parted gdisk cfdisk")
_WIPE_OPTIONS = {
    "badblocks": ("-w", "-n"),
    "sgdisk": ("-Z", "-z", "-o", "--zap", "--zap-all", "--clear", "-n", "--new", "-d", "--delete"),
    "fdisk": (),
    "parted": (),
}


def check_wipe_device(command: SimpleCommand, context: Context) -> list[RuleFinding]:
    name = command.name
    if name in ("nvme",) and command.args[:1] and command.args[0] in ("format", "sanitize"):
        return finding("disk.wipe_device", BLOCK, f"nvme {command.args[0]} erases a disk", command)
    if name == "hdparm" and any(a.startswith("--security-erase") for a in command.args):
        return finding("disk.wipe_device", BLOCK, "hdparm --security-erase", command)
    if name not in _WIPERS:
        return []
    required = _WIPE_OPTIONS.get(name)
    if name in ("fdisk", "parted", "sfdisk", "gdisk", "cfdisk"):
        listing = {"-l", "--list", "-s", "--print", "print", "-V"} & set(command.args)
        if listing or (name == "parted" and "print" in command.args):
            return []
    elif required and not any(a in required or a.startswith(required) for a in command.args):
        return []
    for target in operands(command.args):
        if is_device(target):
            return finding("disk.wipe_device", BLOCK, f"{name} destroys data on {target}", command)
    return []


_MATCH_ALL = frozenset({".", ".*", "^", "$", "", "^.*", ".+", "^.*$", "[^x]*"})


def check_kill(command: SimpleCommand, context: Context) -> list[RuleFinding]:
    if command.name == "killall5":
        return finding("proc.kill_all", BLOCK, "killall5 signals every process", command)
    if command.name in ("pkill", "killall"):
        patterns = [o for o in operands(command.args) if not o.startswith("-")]
        if any(p in _MATCH_ALL for p in patterns) or "-v" in command.args:
            reason = f"{command.name} with a pattern that matches every process"
            return finding("proc.kill_all", BLOCK, reason, command)
    if command.name != "kill":
        return []
    pids = _kill_pids(command.args)
    if "-1" in pids:
        return finding("proc.kill_all", BLOCK, "kill -1 signals every process", command)
    if "1" in pids:
        return finding("proc.kill_init", Decision.CONFIRM, "signals PID 1 (init)", command)
    return []


def _kill_pids(args: Sequence[str]) -> list[str]:
    """PIDs of `kill [-s SIG | -n NUM | -SIG] [--] pid…`: the first option is the signal."""
    rest = list(args)
    if rest and rest[0] in ("-s", "-n", "--signal"):
        rest = rest[2:]
    elif rest and rest[0].startswith("-") and rest[0] != "--":
        rest = rest[1:]
    if rest and rest[0] == "--":
        rest = rest[1:]
    return rest


ANALYZERS = (
    check_rm,
    check_find_delete,
    check_dd,
    check_mkfs,
    check_firewall_flush,
    check_fork_bomb,
    check_permissions,
    check_dev_tcp,
    check_device_write,
    check_overwrite_system,
    check_wipe_device,
    check_kill,
)
