"""Wrapper peeling: `sudo`, `env`, `timeout`, `nice`, `chrt`, `flock`, … run another command.

The policy judges the command a wrapper runs, and the wrapper's own effects on top (`env`
assignments, `chroot`, files a wrapper writes such as `/usr/bin/time -o FILE`). Each wrapper's
options are declared exactly; a wrapper given an option not declared here cannot be peeled with
certainty, so the command stays the wrapper itself (not read-only: confirmed), and every later
word that could start the wrapped command is checked by the blocklist as a guessed reading.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bot.safety.options import OptionError, OptionTable, scan_options


@dataclass(frozen=True)
class Peel:
    """What one wrapper runs."""

    start: int  # index (into the wrapper's arguments) of the wrapped command's first word
    assignments: tuple[str, ...] = ()  # NAME=value the wrapper puts in the environment
    args_from_stdin: bool = False  # xargs: more arguments arrive at run time
    replace: tuple[str, ...] | None = None  # a rebuilt argv (`env -S`, `sudo -s`)
    writes: tuple[str, ...] = ()  # files the wrapper itself writes (`time -o`, `script`)
    reads: tuple[str, ...] = ()  # files whose content the wrapper reads (`xargs -a FILE`)
    script: str | None = None  # a shell string the wrapper runs (`flock F -c CMD`)
    note: str = ""  # what the wrapper changes about the run ("chroot", "remote")


class Unpeelable(Exception):
    """The wrapper's arguments are outside what is declared here."""


Peeler = Callable[[Sequence[str]], Peel | None]  # None: the wrapper runs nothing (sudo -l)


def _table(spec: str) -> OptionTable:
    return OptionTable.parse(spec)


def _scan(args: Sequence[str], table: OptionTable) -> tuple[int, dict[str, list[str]]]:
    """POSIX order: options until the first operand (or `--`)."""
    try:
        scanned = scan_options(args, table, permute=False)
    except OptionError as exc:
        raise Unpeelable(str(exc)) from exc
    return scanned.first_operand, scanned.values


def _simple(spec: str, operands_before: int = 0, writes: Sequence[str] = ()) -> Peeler:
    """`name [options] [N operands] command…`; options in `writes` name files it writes."""
    table = _table(spec)

    def peel(args: Sequence[str]) -> Peel | None:
        start, values = _scan(args, table)
        start += operands_before
        if start >= len(args):
            return None
        written = tuple(v for option in writes for v in values.get(option, []))
        return Peel(start, writes=written)

    return peel


_SUDO = _table(
    "-A|--askpass -b|--background -E -H|--set-home -n|--non-interactive -P|--preserve-groups "
    "-S|--stdin -s|--shell -i|--login -k|--reset-timestamp -K|--remove-timestamp "
    "-l|--list -v|--validate -V|--version -h|--help -e|--edit -N|--no-update -B|--bell "
    "--preserve-env=? -u|--user= -g|--group= -p|--prompt= -C|--close-from= -D|--chdir= "
    "-r|--role= -t|--type= -T|--command-timeout= -U|--other-user= -R|--chroot= --host="
)


def _peel_sudo(args: Sequence[str]) -> Peel | None:
    start, values = _scan(args, _SUDO)
    if {"-l", "-v", "-V", "-K", "-e", "-h"} & set(values) or start >= len(args):
        return None
    assignments: list[str] = []
    while start < len(args) and _is_assignment(args[start]):
        assignments.append(args[start])
        start += 1
    if start >= len(args):
        return None
    note = "chroot" if "-R" in values else ""
    if "-s" in values or "-i" in values:
        # sudo -s/-i runs its words through the target user's shell: `sh -c 'words…'`.
        return Peel(start, tuple(assignments), replace=("sh", "-c", " ".join(args[start:])))
    return Peel(start, tuple(assignments), note=note)


_ENV = _table(
    "-i|--ignore-environment -0|--null -v|--debug --block-signal=? --default-signal=? "
    "--ignore-signal=? --list-signal-handling -u|--unset= -C|--chdir= -S|--split-string="
)


def _peel_env(args: Sequence[str]) -> Peel | None:
    args = list(args)
    start, values = _scan(args, _ENV)
    if start < len(args) and args[start] == "-":
        start += 1  # `env -` is `env -i`
    assignments: list[str] = []
    while start < len(args) and _is_assignment(args[start]):
        assignments.append(args[start])
        start += 1
    split = values.get("-S")
    if split:
        # `env -S "rm -rf /"` splits its string into words itself (no shell: no quoting
        # beyond what the words say); the split words come first.
        words = split[-1].split()
        return Peel(start, tuple(assignments), replace=(*words, *args[start:]))
    if start >= len(args):
        return None
    return Peel(start, tuple(assignments))


_XARGS = _table(
    "-0|--null -o|--open-tty -p|--interactive -r|--no-run-if-empty -t|--verbose -x|--exit "
    "--show-limits -a|--arg-file= -d|--delimiter= -E= -e|--eof=? -I= -i|--replace=? -L= "
    "-l|--max-lines=? -n|--max-args= -P|--max-procs= -s|--max-chars= --process-slot-var="
)


def _peel_xargs(args: Sequence[str]) -> Peel | None:
    start, values = _scan(args, _XARGS)
    reads = tuple(values.get("-a", []))
    if start >= len(args):
        return Peel(len(args), replace=("echo",), args_from_stdin=True, reads=reads)
    return Peel(start, args_from_stdin=True, reads=reads)


_TIMEOUT = _table("-v|--verbose --preserve-status -f|--foreground -s|--signal= -k|--kill-after=")
_CHRT = _table(
    "-a|--all-tasks -b|--batch -d|--deadline -e|--ext -f|--fifo -i|--idle -o|--other "
    "-r|--rr -R|--reset-on-fork -m|--max -v|--verbose -T|--sched-runtime= "
    "-P|--sched-period= -D|--sched-deadline= -p|--pid"
)


def _peel_chrt(args: Sequence[str]) -> Peel | None:
    start, values = _scan(args, _CHRT)
    if "-p" in values or "-m" in values:
        return None  # changes or shows an existing process
    return Peel(start + 1) if start + 1 < len(args) else None


_TASKSET = _table("-a|--all-tasks -c|--cpu-list -p|--pid")


def _peel_taskset(args: Sequence[str]) -> Peel | None:
    start, values = _scan(args, _TASKSET)
    if "-p" in values:
        return None
    return Peel(start + 1) if start + 1 < len(args) else None


_IONICE = _table("-t|--ignore -c|--class= -n|--classdata= -p|--pid= -P|--pgid= -u|--uid=")


def _peel_ionice(args: Sequence[str]) -> Peel | None:
    start, values = _scan(args, _IONICE)
    if {"-p", "-P", "-u"} & set(values) or start >= len(args):
        return None
    return Peel(start)


_FLOCK = _table(
    "-s|--shared -x|-e|--exclusive -u|--unlock -n|--nb|--nonblock -o|--close -F|--no-fork "
    "--verbose -w|--wait|--timeout= -E|--conflict-exit-code= -c|--command="
)


def _peel_flock(args: Sequence[str]) -> Peel | None:
    start, values = _scan(args, _FLOCK)
    if start >= len(args):
        return None
    lock = (args[start],) if not args[start].isdigit() else ()
    rest = list(args[start + 1 :])
    if "-c" in values:
        return Peel(len(args), writes=lock, script=values["-c"][-1])
    if rest[:1] in (["-c"], ["--command"]) and len(rest) > 1:
        return Peel(len(args), writes=lock, script=rest[1])
    if not rest:
        return None
    return Peel(start + 1, writes=lock)


_UNSHARE = _table(
    "-m|--mount=? -u|--uts=? -i|--ipc=? -n|--net=? -p|--pid=? -U|--user=? -C|--cgroup=? "
    "-T|--time=? -f|--fork -r|--map-root-user -c|--map-current-user --kill-child=? "
    "--mount-proc=? --map-user= --map-group= --map-users= --map-groups= --map-auto "
    "--propagation= --setgroups= --keep-caps -R|--root= -w|--wd= -S|--setuid= -G|--setgid= "
    "--monotonic= --boottime= -l|--load-interp="
)
_NSENTER = _table(
    "-a|--all -t|--target= -m|--mount=? -u|--uts=? -i|--ipc=? -n|--net=? -p|--pid=? "
    "-C|--cgroup=? -U|--user=? -T|--time=? -S|--setuid= -G|--setgid= --preserve-credentials "
    "-r|--root=? -w|--wd=? -W|--wdns= -e|--env -F|--no-fork -Z|--follow-context -c|--join-cgroup"
)
_SYSTEMD_RUN = _table(
    "--no-ask-password --scope -r|--remain-after-exit --send-sighup -t|--pty -P|--pipe "
    "-q|--quiet --wait -G|--collect --user --system -S|--shell --no-block --same-dir "
    "-u|--unit= -p|--property= --description= --slice= --slice-inherit -E|--setenv= "
    "--uid= --gid= --nice= --working-directory= -d -H|--host= -M|--machine= "
    "--service-type= --on-active= --on-boot= --on-startup= --on-unit-active= "
    "--on-unit-inactive= --on-calendar= --on-timezone-change --on-clock-change "
    "--timer-property= --path-property= --socket-property= --expand-environment="
)


def _peel_systemd_run(args: Sequence[str]) -> Peel | None:
    start, values = _scan(args, _SYSTEMD_RUN)
    if start >= len(args):
        return None
    note = "remote" if {"-H", "-M"} & set(values) else "transient unit"
    return Peel(start, note=note)


_STRACE = _table(
    "-f -ff -F -c -C -w -q -qq -t -tt -ttt -T -v -x -xx -y -yy -i -k -n -r -z -Z -V -h "
    "-e= -s= -o= -a= -b= -E= -I= -O= -p= -P= -S= -u= -X= --output= --trace= --signal= "
    "--string-limit= --attach= --user= --env= --seccomp-bpf --summary-only --follow-forks"
)


def _peel_strace(args: Sequence[str]) -> Peel | None:
    start, values = _scan(args, _STRACE)
    if "-p" in values or start >= len(args):
        return None
    written = tuple(values.get("-o", [])) + tuple(values.get("--output", []))
    return Peel(start, writes=written)


_TIME = _table("-a|--append -p|--portability -v|--verbose -q|--quiet -f|--format= -o|--output=")
_SCRIPT = _table(
    "-a|--append -e|--return -f|--flush -q|--quiet -c|--command= -E|--echo= -I|--log-in= "
    "-O|--log-out= -B|--log-io= -T|--log-timing= -m|--logging-format= -o|--output-limit="
)


def _peel_script(args: Sequence[str]) -> Peel | None:
    start, values = _scan(args, _SCRIPT)
    written = tuple(args[start : start + 1]) or ("typescript",)
    command = values.get("-c")
    if not command:
        return None
    return Peel(len(args), writes=written, script=command[-1])


_RUNUSER = _table(
    "-l|--login -m|-p|--preserve-environment -P|--pty -u|--user= -g|--group= "
    "-G|--supp-group= -s|--shell= -c|--command= -w|--whitelist-environment= "
    "--session-command="
)


def _peel_runuser(args: Sequence[str]) -> Peel | None:
    start, values = _scan(args, _RUNUSER)
    command = values.get("-c") or values.get("--session-command")
    if command:
        return Peel(len(args), script=command[-1])
    if "-u" in values and start < len(args):
        return Peel(start)
    return None


_SETPRIV = _table(
    "-d|--dump --nnp|--no-new-privs --keep-groups --clear-groups --init-groups "
    "--reset-env --ruid= --euid= --rgid= --egid= --reuid= --regid= --groups= "
    "--inh-caps= --ambient-caps= --bounding-set= --securebits= --pdeathsig= "
    "--selinux-label= --apparmor-profile= --landlock-access= --landlock-rule="
)
_NICE = _table("-n|--adjustment=")


def _peel_nice(args: Sequence[str]) -> Peel | None:
    args = list(args)
    start = 0
    if args[:1] and args[0][1:].isdigit() and args[0].startswith("-"):
        start = 1  # `nice -10 cmd`
    first, _ = _scan(args[start:], _NICE)
    start += first
    return Peel(start) if start < len(args) else None


def _peel_command(args: Sequence[str]) -> Peel | None:
    table = _table("-p -v -V")
    start, values = _scan(args, table)
    if {"-v", "-V"} & set(values) or start >= len(args):
        return None  # `command -v x` only looks x up
    return Peel(start)


def _peel_chroot(args: Sequence[str]) -> Peel | None:
    start, _ = _scan(args, _table("--userspec= --groups= --skip-chdir"))
    if start >= len(args):
        return None
    if start + 1 >= len(args):
        return Peel(start + 1, replace=("sh", "-i"), note="chroot")
    return Peel(start + 1, note="chroot")


def _peel_busybox(args: Sequence[str]) -> Peel | None:
    return Peel(0) if args and not args[0].startswith("-") else None


def _peel_sg(args: Sequence[str]) -> Peel | None:
    if len(args) < 2:
        return None
    if args[1] == "-c" and len(args) > 2:
        return Peel(len(args), script=args[2])
    return Peel(len(args), script=" ".join(args[1:]))


PEELERS: dict[str, Peeler] = {
    "sudo": _peel_sudo,
    "doas": _simple("-n -s -L -u= -C="),
    "pkexec": _simple("--disable-internal-agent --keep-cwd --user="),
    "env": _peel_env,
    "nohup": _simple(""),
    "timeout": _simple(
        "-v|--verbose --preserve-status -f|--foreground -s|--signal= -k|--kill-after=",
        operands_before=1,
    ),
    "nice": _peel_nice,
    "ionice": _peel_ionice,
    "chrt": _peel_chrt,
    "taskset": _peel_taskset,
    "stdbuf": _simple("-i|--input= -o|--output= -e|--error="),
    "time": _simple(
        "-a|--append -p|--portability -v|--verbose -q|--quiet -f|--format= -o|--output=",
        writes=("-o",),
    ),
    "command": _peel_command,
    "builtin": _simple(""),
    "exec": _simple("-c -l -a="),
    "xargs": _peel_xargs,
    "setsid": _simple("-c|--ctty -f|--fork -w|--wait"),
    "unbuffer": _simple("-p"),
    "chronic": _simple("-e -v"),
    "chroot": _peel_chroot,
    "busybox": _peel_busybox,
    "flock": _peel_flock,
    "unshare": _simple(_UNSHARE.spec),
    "nsenter": _simple(_NSENTER.spec),
    "systemd-run": _peel_systemd_run,
    "strace": _peel_strace,
    "ltrace": _peel_strace,
    "script": _peel_script,
    "runuser": _peel_runuser,
    "setpriv": _simple(_SETPRIV.spec),
    "numactl": _simple(
        "-a|--all -l|--localalloc -H|--hardware -s|--show -i|--interleave= "
        "-N|--cpunodebind= -C|--physcpubind= -m|--membind= -p|--preferred= "
        "-P|--preferred-many= -b|--balancing -w|--weighted-interleave="
    ),
    "cgexec": _simple("-g= --sticky"),
    "catchsegv": _simple(""),
    "dbus-run-session": _simple("--config-file= --dbus-daemon="),
    "sg": _peel_sg,
}
WRAPPERS = frozenset(PEELERS)
# The timing wrapper's own name, kept for `name` lookups of /usr/bin/time.
del _TIME, _TIMEOUT


def _is_assignment(word: str) -> bool:
    name, eq, _ = word.partition("=")
    return bool(eq) and name.replace("_", "a").isalnum() and not name[:1].isdigit()


@dataclass
class PeelResult:
    """The command a chain of wrappers finally runs."""

    words: list[str]
    start: int  # index of the first word of `words` in the original argv (-1: rebuilt)
    wrappers: list[str] = field(default_factory=list)
    assignments: list[str] = field(default_factory=list)
    args_from_stdin: bool = False
    writes: list[str] = field(default_factory=list)
    reads: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    script: str | None = None  # a wrapper runs this shell string (flock -c, su -c, …)
    unpeeled: bool = False  # a wrapper with undeclared arguments stopped the peeling


def peel(argv: Sequence[str], basename: Callable[[str], str]) -> PeelResult:
    """Peel every wrapper off the front of `argv`."""
    words = list(argv)
    result = PeelResult(words, 0)
    while words:
        name = basename(words[0])
        peeler = PEELERS.get(name)
        if peeler is None:
            break
        try:
            peeled = peeler(words[1:])
        except Unpeelable:
            result.unpeeled = True
            break
        if peeled is None:
            break
        result.wrappers.append(name)
        result.assignments.extend(peeled.assignments)
        result.args_from_stdin = result.args_from_stdin or peeled.args_from_stdin
        result.writes.extend(peeled.writes)
        result.reads.extend(peeled.reads)
        if peeled.note:
            result.notes.append(peeled.note)
        if peeled.script is not None:
            result.script = peeled.script
            words = []
            break
        if peeled.replace is not None:
            words = list(peeled.replace)
            result.start = -1
        else:
            words = words[1 + peeled.start :]
            if result.start >= 0:
                result.start += 1 + peeled.start
    result.words = words
    return result
