"""systemd's tools: only the verbs that show state, with the options they accept.

`-H/--host` reaches another machine over SSH: its value is a host (checked against the
inventory); `-M/--machine` enters a container and is not read-only here.
"""

from __future__ import annotations

from bot.safety.programs.spec import Program, prog

_SYSTEMCTL_OPTIONS = (
    "-t|--type= --state= -p|--property= -P -a|--all -r|--recursive --reverse --after --before "
    "--with-dependencies -l|--full --value --show-types -i|--ignore-inhibitors -q|--quiet "
    "--no-warn --no-legend --no-pager --legend= --user --system --global -n|--lines= "
    "-o|--output= --plain --failed --no-ask-password --firmware-setup -h|--help --version "
    "-H|--host=host --timestamp= "
    "!-M|--machine= !--job-mode= !-T|--show-transaction !--dry-run !--wait !--no-block "
    "!--runtime !-f|--force !--now !--root= !--image= !--boot-loader-menu= "
    "!--boot-loader-entry= !--reboot-argument= !--kill-whom= !--kill-value= !-s|--signal= "
    "!--what= !--mkdir !--marked !--read-only !--check-inhibitors= !--preset-mode= "
    "!--message= !--drop-in= !--image-policy="
)
_UNITS = prog("", "text*")
_NONE = prog("", "")
SYSTEMCTL = prog(
    _SYSTEMCTL_OPTIONS,
    subcommands={
        **{
            verb: _UNITS
            for verb in (
                "status",
                "show",
                "cat",
                "is-active",
                "is-enabled",
                "is-failed",
                "list-units",
                "list-unit-files",
                "list-timers",
                "list-sockets",
                "list-dependencies",
                "list-jobs",
                "list-machines",
                "list-automounts",
                "list-paths",
                "help",
            )
        },
        **{v: _NONE for v in ("is-system-running", "get-default", "show-environment")},
    },
)
JOURNALCTL = prog(
    "-u|--unit= --user-unit= -t|--identifier= -T|--exclude-identifier= -p|--priority= "
    "-g|--grep= --case-sensitive=? -b|--boot=? -n|--lines=? -e|--pager-end -f|--follow "
    "-r|--reverse -o|--output= --output-fields= -x|--catalog -q|--quiet -a|--all -l|--full "
    "--no-full --no-pager --no-tail --no-hostname -k|--dmesg -S|--since= -U|--until= "
    "-c|--cursor= --after-cursor= --show-cursor --utc --list-boots -F|--field= -N|--fields "
    "--disk-usage --list-catalog --dump-catalog --header --verify --verify-key= "
    "-D|--directory=tree -i|--file=path --namespace= -m|--merge --system --user --facility= "
    "--interval= --truncate-newline --list-namespaces -h|--help --version -# "
    "!--vacuum-size= !--vacuum-time= !--vacuum-files= !--rotate !--flush !--sync "
    "!--relinquish-var !--smart-relinquish-var !--setup-keys !--update-catalog "
    "!--cursor-file= !--new-id128 !-M|--machine= !--root= !--image= !--force",
    "text*",
)
_CTL_REMOTE = "-H|--host=host !-M|--machine= --no-ask-password --no-pager -h|--help --version"
HOSTNAMECTL = prog(
    f"{_CTL_REMOTE} --transient --static --pretty --json=",
    subcommands={
        "status": _NONE,
        **{v: _NONE for v in ("hostname", "icon-name", "chassis", "deployment", "location")},
    },
)
TIMEDATECTL = prog(
    f"{_CTL_REMOTE} -p|--property= -a|--all --value --monitor",
    subcommands={
        v: _NONE for v in ("status", "show", "show-timesync", "timesync-status", "list-timezones")
    },
)
LOCALECTL = prog(
    f"{_CTL_REMOTE} --no-convert",
    subcommands={
        v: _NONE
        for v in (
            "status",
            "list-locales",
            "list-keymaps",
            "list-x11-keymap-models",
            "list-x11-keymap-layouts",
            "list-x11-keymap-variants",
            "list-x11-keymap-options",
        )
    },
)
LOGINCTL = prog(
    f"{_CTL_REMOTE} -p|--property= -a|--all --value -l|--full -n|--lines= -o|--output= --no-legend",
    subcommands={
        v: prog("", "text*")
        for v in (
            "list-sessions",
            "list-users",
            "list-seats",
            "session-status",
            "show-session",
            "user-status",
            "show-user",
            "seat-status",
            "show-seat",
        )
    },
)
NETWORKCTL = prog(
    "-a|--all -s|--stats -l|--full -n|--lines= --json= --no-legend --no-pager -h|--help --version",
    subcommands={v: prog("", "text*") for v in ("list", "status", "lldp", "label", "cat")},
)
RESOLVECTL = prog(
    "-4 -6 -i|--interface= -p|--protocol= -t|--type= -c|--class= --service-address= "
    "--service-txt= --cname= --validate= --synthesize= --cache= --zone= --trust-anchor= "
    "--network= --search= --raw=? --legend= --json= --no-pager -h|--help --version",
    subcommands={
        "status": prog("", "text*"),
        "query": prog("", "host+"),
        "statistics": _NONE,
        **{
            v: prog("", "text?")
            for v in (
                "dns",
                "domain",
                "nta",
                "llmnr",
                "mdns",
                "dnssec",
                "dnsovertls",
                "default-route",
            )
        },
    },
    bare=True,
)
SYSTEMD_ANALYZE = prog(
    "--system --user --global --order --require --from-pattern= --to-pattern= --fuzz= "
    "--man=? --generators=? --iterations= --base-time= --json= --no-pager --threshold= "
    "--security-policy=path --offline= --profile=path --table --no-legend -q|--quiet "
    "--tldr -h|--help --version !-H|--host= !-M|--machine= !--root= !--image=",
    subcommands={
        **{
            v: prog("", "text*")
            for v in (
                "time",
                "blame",
                "critical-chain",
                "dot",
                "dump",
                "cat-config",
                "unit-files",
                "unit-paths",
                "calendar",
                "timespan",
                "timestamp",
                "security",
                "syscall-filter",
                "filesystems",
                "condition",
                "exit-status",
                "capability",
                "architectures",
                "plot",
                "verify",
                "inspect-elf",
                "fdstore",
                "image-policy",
                "pcrs",
                "srk",
                "smbios11",
            )
        },
        **{v: _NONE for v in ("log-level", "log-target", "service-watchdogs")},
    },
)
COREDUMPCTL = prog(
    "-r|--reverse -S|--since= -U|--until= -F|--field= -1 -n= --no-pager --no-legend -q|--quiet "
    "--json= -D|--directory=tree -h|--help --version",
    subcommands={"list": prog("", "text*"), "info": prog("", "text*")},
)

TABLE: dict[str, Program] = {
    "systemctl": SYSTEMCTL,
    "journalctl": JOURNALCTL,
    "hostnamectl": HOSTNAMECTL,
    "timedatectl": TIMEDATECTL,
    "localectl": LOCALECTL,
    "loginctl": LOGINCTL,
    "networkctl": NETWORKCTL,
    "resolvectl": RESOLVECTL,
    "systemd-analyze": SYSTEMD_ANALYZE,
    "coredumpctl": COREDUMPCTL,
}
