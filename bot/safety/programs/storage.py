"""Storage tools: ZFS, SMART/NVMe, md RAID, LVM, NFS — the verbs that only show state."""

from __future__ import annotations

from bot.safety.programs.spec import Invocation, Program, prog

_ANY = prog("", "text*")

ZPOOL = prog(
    "-? -V|--version -h|--help",
    subcommands={
        # -c runs scripts from zpool.d (status/iostat); events -c clears the event log.
        "status": prog(
            "-D -e -g -i -L -p -P -s -t -T= -v -x --power --json --json-int "
            "--json-flat-vdevs --json-pool-key-guid -j !-c=",
            "text*",
        ),
        "list": prog(
            "-g -H -L -o= -p -P -T= -v -j --json --json-int --json-pool-key-guid", "text*"
        ),
        "iostat": prog("-g -H -L -n -p -P -q -r -T= -v -w -l -y !-c=", "text*"),
        "get": prog("-H -o= -p -j --json --json-int", "text*"),
        "history": prog("-i -l", "text*"),
        "events": prog("-v -H -f !-c", "text*"),
        "version": prog("", ""),
        "import": prog("-d=meta -s -D", "", check=lambda inv: None),
    },
)
ZFS = prog(
    "-? -V|--version -h|--help",
    subcommands={
        "list": prog("-H -p -r -d= -o= -s= -S= -t= -j --json --json-int", "text*"),
        "get": prog("-H -p -r -d= -o= -s= -t= -j --json --json-int", "text*"),
        "version": prog("", ""),
        "holds": prog("-r -H -p", "text*"),
        "userspace": prog("-H -i -n -p -o= -s= -S= -t=", "text"),
        "groupspace": prog("-H -i -n -p -o= -s= -S= -t=", "text"),
        "diff": prog("-F -H -t -h", "text text?"),
    },
)
_SMART_READ = (
    "-h|--help|--usage -V|--version|--copyright|--license -i|--info -g|--get= -a|--all "
    "-x|--xall --scan --scan-open -c|--capabilities -A|--attributes -l|--log= -H|--health "
    "-d|--device= -T|--tolerance= -b|--badsum= -r|--report= -n|--nocheck= -q|--quietmode= "
    "-j|--json=? -f|--format= -v|--vendorattribute= -F|--firmwarebug= -P|--presets= "
    "-B|--drivedb= --identify=? "
    "!-t|--test= !-C|--captive !-X|--abort !-s|--smart= !-o|--offlineauto= !-S|--saveauto= "
    "!-e|--set="
)


def _smart_get(inv: Invocation) -> str | None:
    for value in inv.values("-g"):
        if value.startswith(("set", "wcache,", "rcache,", "apm,", "lookahead,")) and "," in value:
            return f"smartctl -g {value} is not a query"
    return None


SMARTCTL = prog(_SMART_READ, "meta*", check=_smart_get)
_NVME_OUT = (
    "-o|--output-format= -v|--verbose -H|--human-readable -b|--raw-binary --json "
    "-n|--namespace-id= -h|--help"
)
NVME = prog(
    "--version -h|--help",
    subcommands={
        verb: prog(_NVME_OUT, "meta?")
        for verb in (
            "list",
            "list-subsys",
            "smart-log",
            "id-ctrl",
            "id-ns",
            "error-log",
            "fw-log",
            "list-ns",
            "list-ctrl",
            "show-regs",
            "get-log",
            "effects-log",
            "endurance-log",
            "persistent-event-log",
            "supported-log-pages",
            "version",
            "show-topology",
        )
    },
    bare=False,
)
MDADM = prog(
    "-D|--detail -E|--examine -Q|--query -s|--scan -b|--brief -v|--verbose -Y|--export "
    "--detail-platform -e|--metadata= -c|--config=path -V|--version -h|--help "
    "!-A|--assemble !-B|--build !-C|--create !-F|--monitor|--follow !-G|--grow "
    "!-I|--incremental !-a|--add !-r|--remove !-f|--fail|--set-faulty !-S|--stop "
    "!-R|--run !-o|--readonly !-w|--readwrite !--zero-superblock !--re-add !--replace "
    "!--wait !--action= !-K|--kill-subarray= !-U|--update= !--misc",
    "meta*",
    check=lambda inv: (
        None
        if inv.has("-D", "-E", "-Q", "--detail-platform", "-V", "-h")
        else "mdadm without --detail/--examine/--query changes arrays"
    ),
)
_LVM = (
    "-a|--all -o|--options= -O|--sort= -S|--select= --units= --nosuffix --noheadings "
    "--separator= --nameprefixes --unbuffered --binary --reportformat= --aligned -v|--verbose "
    "-q|--quiet -h|--help --version -P|--partial --readonly --segments -C|--columns "
    "--configreport= --rows"
)
LVM_REPORT = prog(_LVM, "text*")
LVM_DISPLAY = prog(_LVM + " -m|--maps -c|--colon --history", "text*")


def _blkid_check(inv: Invocation) -> str | None:
    values = inv.values("-c")
    if values and any(v != "/dev/null" for v in values):
        return "blkid -c writes its cache file"
    return None


BLKID = prog(
    "-c|--cache-file= -d|--no-encoding -g|--garbage-collect -h|--help -k|--list-filesystems "
    "-l|--list-one -L|--label= -U|--uuid= -o|--output= -p|--probe -s|--match-tag= "
    "-t|--match-token= -V|--version !-w|--write-cache= -i|--info -n|--match-types= "
    "-u|--usages= -O|--offset= -S|--size= -H|--hint=",
    "meta*",
    check=_blkid_check,
)
ARCSTAT = prog("-a -f= -h -H -p -s= -v -x -z !-o=", "int? int?")
ARC_SUMMARY = prog(
    "-a|--alternate -d|--description -g|--graph -p|--page= -r|--raw -s|--section=", ""
)
EXPORTFS = prog("-v -s", "", check=None)
NFSSTAT = prog(
    "-s|--server -c|--client -n|--nfs -r|--rpc -o|--list=? -v|--verbose|--all -l|--list "
    "-m|--mounts -S|--since=path -Z|--sleep=? -2 -3 -4 -d|--diff -h|--help -V|--version "
    "!-z|--zero",
    "",
)
SWAPON_SHOW = prog(
    "-s|--summary --show=? --noheadings --raw --bytes -h|--help -V|--version "
    "!-a|--all !-d|--discard=? !-e|--ifexists !-f|--fixpgsz !-p|--priority= !-L= !-U= "
    "!-o|--options=",
    "",
    check=lambda inv: (
        None if inv.has("-s", "--show", "-h", "-V") else "swapon without --show enables swap"
    ),
)
MULTIPATH = prog(
    "-l -ll -v= -d",
    "",
    check=lambda inv: None if inv.has("-l") else "multipath without -l changes maps",
)
LSSCSI = prog("-c -d -g -H -i -k -L -p -P -s -t -v -V -x -w -b -u -N -C -D -l -S", "text*")
HDPARM = prog("-I -i -g -C -B -a -A -M -W -t -T -r --direct", "meta+",
              check=lambda inv: None)  # fmt: skip
DMIDECODE = prog("-d|--dev-mem= -q|--quiet -s|--string= -t|--type= -H|--handle= -u|--dump "
                 "--dump-bin= --from-dump=path --no-sysfs --oem-string= -h|--help -V|--version",
                 "")  # fmt: skip
MOUNT_SHOW = prog("-l|--show-labels -t|--types= -h|--help -V|--version", "")

TABLE: dict[str, Program] = {
    "zpool": ZPOOL, "zfs": ZFS, "smartctl": SMARTCTL, "nvme": NVME, "mdadm": MDADM,
    "lvs": LVM_REPORT, "vgs": LVM_REPORT, "pvs": LVM_REPORT,
    "lvdisplay": LVM_DISPLAY, "vgdisplay": LVM_DISPLAY, "pvdisplay": LVM_DISPLAY,
    "blkid": BLKID, "arcstat": ARCSTAT, "arcstat.py": ARCSTAT, "arc_summary": ARC_SUMMARY,
    "arc_summary.py": ARC_SUMMARY, "exportfs": EXPORTFS, "nfsstat": NFSSTAT,
    "swapon": SWAPON_SHOW, "multipath": MULTIPATH, "lsscsi": LSSCSI,
    "dmidecode": DMIDECODE, "mount": MOUNT_SHOW,
}  # fmt: skip
del HDPARM, _ANY
