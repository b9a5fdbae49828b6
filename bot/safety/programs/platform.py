"""The lab's platforms: Proxmox, libvirt, Ceph, Kubernetes, Docker, GPUs, BMCs, time, TLS.

Subcommand-aware: only the verbs that show state are listed, each with its own options.
Where a read would show a credential (`kubectl get secret -o yaml`, `ceph auth get`), the
check says so with a `secret:` reason, which the policy turns into the credential rule.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.safety.programs.spec import Invocation, Program, prog

_ANY = prog("", "text*")
_NONE = prog("", "")

# --- Proxmox VE --------------------------------------------------------------------------------

QM = prog(
    "--help",
    subcommands={
        "list": prog("--full", ""),
        "status": prog("--verbose", "int"),
        "config": prog("--current --snapshot=", "int"),
        "pending": prog("", "int"),
        "listsnapshot": prog("", "int"),
        "showcmd": prog("--pretty --snapshot=", "int"),
        "help": _ANY,
    },
    bare=False,
)
PCT = prog(
    "--help",
    subcommands={
        "list": _NONE,
        "status": prog("--verbose", "int"),
        "config": prog("--current --snapshot=", "int"),
        "pending": prog("", "int"),
        "listsnapshot": prog("", "int"),
        "df": prog("", "int"),
        "help": _ANY,
    },
    bare=False,
)
_PVESH_OUT = (
    "--output-format= --noborder=? --noheader=? --human-readable=? --quiet=? "
    "--type= --full=? --vmid= --node= --storage= --content= --enabled=? --format=? "
    "--target= --limit= --start= --since= --until= --service= --typefilter= --errors=? "
    "--source= --userid= --vmtype= --running=? --guest-type="
)
PVESH = prog(
    "--help",
    subcommands={
        "get": prog(_PVESH_OUT, "word"),
        "ls": prog(_PVESH_OUT, "word"),
        "usage": prog("--verbose --returns --command=", "word"),
    },
    bare=False,
)
PVECM = prog("", subcommands={"status": _NONE, "nodes": _NONE, "help": _ANY}, bare=False)
PVESM = prog(
    "",
    subcommands={
        "status": prog("--content= --enabled=? --format=? --storage= --target=", ""),
        "list": prog("--content= --vmid=", "word"),
        "path": prog("", "word"),
        "help": _ANY,
    },
    bare=False,
)
HA_MANAGER = prog(
    "",
    subcommands={
        "status": prog("--verbose=?", ""),
        "config": prog("--type=", ""),
        "groupconfig": _NONE,
        "help": _ANY,
    },
    bare=False,
)
PVEVERSION = prog("-v|--verbose --help", "")
PVESR = prog("", subcommands={"status": prog("--guest=", ""), "list": _NONE}, bare=False)

# --- libvirt --------------------------------------------------------------------------------------


def _virsh_connect(inv: Invocation) -> str | None:
    for uri in inv.values("-c"):
        if not uri.startswith(("qemu:///system", "qemu:///session", "lxc:///")):
            return f"virsh -c {uri} connects to another machine"
    return None


_VIRSH_DOMAIN = prog("--inactive --details --reason --xpath= --wrap --migratable --update-cpu "
                     "--domain= --interface= --full --human --source= --live --config "
                     "--current --maximum --guest --vcpu=", "word word?")  # fmt: skip
VIRSH = prog(
    "-c|--connect= -r|--readonly -q|--quiet -d|--debug= -e|--escape= -k|--keepalive-interval= "
    "-K|--keepalive-count= -t|--timing -v -V|--version -h|--help !-l|--log=",
    subcommands={
        "list": prog(
            "--all --inactive --state-running --state-paused --state-shutoff --state-other "
            "--autostart --no-autostart --with-snapshot --without-snapshot --persistent "
            "--transient --uuid --name --table --managed-save --no-managed-save --title "
            "--with-checkpoint --without-checkpoint --id",
            "",
        ),
        **{
            verb: _VIRSH_DOMAIN
            for verb in (
                "dominfo",
                "domstate",
                "domid",
                "domuuid",
                "domname",
                "domblklist",
                "domiflist",
                "dumpxml",
                "domstats",
                "dommemstat",
                "vcpuinfo",
                "vcpucount",
                "domblkstat",
                "domifstat",
                "domblkinfo",
                "domifaddr",
                "snapshot-list",
                "snapshot-info",
                "snapshot-current",
                "domjobinfo",
                "domcontrol",
                "domblkerror",
                "domfsinfo",
                "domtime",
                "emulatorpin",
                "iothreadinfo",
                "domhostname",
                "net-info",
                "net-dumpxml",
                "pool-info",
                "pool-dumpxml",
                "vol-list",
                "vol-info",
                "nodedev-dumpxml",
                "domdisplay",
                "net-dhcp-leases",
            )
        },
        **{
            verb: prog("--all --inactive --name --uuid --table --details --cap= --tree", "word?")
            for verb in (
                "net-list",
                "pool-list",
                "iface-list",
                "nodedev-list",
                "secret-list",
                "nwfilter-list",
                "checkpoint-list",
            )
        },
        **{
            verb: _NONE
            for verb in (
                "nodeinfo",
                "nodememstats",
                "nodecpustats",
                "capabilities",
                "version",
                "hostname",
                "uri",
                "sysinfo",
                "domcapabilities",
                "freecell",
                "cpu-models",
                "nodecpumap",
            )
        },
    },
    check=_virsh_connect,
)

# --- Ceph -----------------------------------------------------------------------------------------


def _ceph_secret(inv: Invocation) -> str | None:
    path = inv.subcommand
    if path[:1] in (("auth",), ("config-key",)) and path[1:2] != ("ls",):
        return "secret: ceph auth/config-key show keys"
    return None


_FMT = "--format= -f="
_CEPH_SHOW = prog(_FMT, "")


def _show(operands: str = "") -> Program:
    return prog(_FMT, operands)


def _subs(**verbs: Program) -> Program:
    return prog(
        _FMT, subcommands={k.rstrip("_").replace("_", "-"): v for k, v in verbs.items()}, bare=False
    )


_CEPH_SUBS: dict[str, Program] = {
    "osd": _subs(
        tree=_show("text*"),
        df=_show("text*"),
        ls=_show(),
        stat=_show(),
        dump=_show("int?"),
        perf=_show(),
        utilization=_show(),
        blocked_by=_show(),
        find=_show("int"),
        metadata=_show("int?"),
        versions=_show(),
        numa_status=_show(),
        getmaxosd=_show(),
        count_metadata=_show("word"),
        map=_show("word word"),
        safe_to_destroy=_show("int+"),
        ok_to_stop=_show("int+"),
        pool=_subs(
            ls=_show("one:detail?"),
            get=_show("word word"),
            stats=_show("word?"),
            autoscale_status=_show(),
        ),
        crush=_subs(
            tree=_show(),
            dump=_show(),
            rule=_subs(ls=_show(), dump=_show("word?")),
            class_=_subs(ls=_show()),
        ),
    ),
    "mon": _subs(stat=_show(), dump=_show("int?"), metadata=_show("word?"), versions=_show()),
    "mgr": _subs(
        stat=_show(),
        services=_show(),
        dump=_show(),
        metadata=_show("word?"),
        versions=_show(),
        module=_subs(ls=_show()),
    ),
    "pg": _subs(
        stat=_show(),
        dump=_show("word?"),
        dump_stuck=_show("word*"),
        ls=_show("text*"),
        ls_by_pool=_show("word text*"),
        ls_by_osd=_show("word text*"),
        ls_by_primary=_show("word text*"),
        map=_show("word"),
    ),
    "fs": _subs(
        status=_show("word?"),
        ls=_show(),
        dump=_show("int?"),
        get=_show("word"),
        volume=_subs(ls=_show(), info=_show("word")),
        subvolume=_subs(ls=_show("word word?"), info=_show("word word word?")),
        subvolumegroup=_subs(ls=_show("word")),
    ),
    "mds": _subs(stat=_show(), metadata=_show("word?"), versions=_show()),
    "orch": _subs(
        ps=_show("word?"),
        ls=_show("word?"),
        status=_show(),
        host=_subs(ls=_show()),
        device=_subs(ls=_show("word*")),
    ),
    "crash": _subs(ls=_show(), ls_new=_show(), info=_show("word"), stat=_show()),
    "balancer": _subs(status=_show(), eval=_show("word?")),
    "config": _subs(
        dump=_show(),
        get=_show("word word?"),
        show=_show("word word?"),
        ls=_show(),
        log=_show("int?"),
    ),
    "log": _subs(last=_show("text*")),
    "config-key": _subs(ls=_show()),
    "device": _subs(
        ls=_show(), info=_show("word"), ls_by_host=_show("word"), ls_by_daemon=_show("word")
    ),
}


CEPH = prog(
    "-s|--status -w|--watch --watch-debug --watch-info --watch-sec --watch-warn --watch-error "
    "--watch-channel= -f|--format= !-c|--conf= --cluster= --id|--user= -n|--name= "
    "!-k|--keyring= --connect-timeout= -h|--help -v|--version --concise --detail "
    "!-o|--out-file= !-i|--in-file= !--setuser= !--setgroup= !--admin-daemon= !--block "
    "!--daemon-output-file=",
    subcommands={
        **{
            v: _CEPH_SHOW
            for v in (
                "status",
                "versions",
                "version",
                "quorum_status",
                "report",
                "features",
                "time-sync-status",
            )
        },
        "health": _show("one:detail?"),
        "df": _show("one:detail?"),
        **_CEPH_SUBS,
    },
    check=lambda inv: (
        _ceph_secret(inv)
        or (
            None
            if inv.subcommand or inv.has("-s", "-w", "-h", "-v")
            else "ceph alone is interactive"
        )
    ),
)
RADOS = prog("-p|--pool= --format= -f=", subcommands={"df": _NONE, "lspools": _NONE,
             "list-inconsistent-pg": _ANY, "ls": _NONE}, bare=False)  # fmt: skip
RBD = prog(
    "-p|--pool= --format= --pretty-format -l|--long",
    subcommands={
        "ls": _ANY,
        "list": _ANY,
        "info": _ANY,
        "du": _ANY,
        "status": _ANY,
        "snap": prog("", subcommands={"ls": _ANY, "list": _ANY}),
    },
    bare=False,
)

# --- Kubernetes, containers ---------------------------------------------------------------------

_KUBE_GLOBAL = (
    "--kubeconfig= --context= --cluster= --user= -n|--namespace= -s|--server=url --token= "
    "--as= --as-group= --as-uid= --certificate-authority= --client-certificate= "
    "--client-key= --insecure-skip-tls-verify --request-timeout= --tls-server-name= "
    "-v|--v= --log-flush-frequency= --cache-dir= --match-server-version --username= "
    "--password= --warnings-as-errors --disable-compression -h|--help "
    "!--profile= !--profile-output="
)
_KUBE_OUT = "-o|--output= --template= --allow-missing-template-keys --show-managed-fields"
_KUBE_SELECT = (
    "-l|--selector= --field-selector= -A|--all-namespaces -f|--filename=path -R|--recursive "
    "-k|--kustomize=path --chunk-size= --ignore-not-found --no-headers --show-kind "
    "--show-labels -L|--label-columns= --sort-by= -w|--watch --watch-only "
    "--output-watch-events --server-print --raw= --subresource= --all"
)
_SECRET_RESOURCES = ("secret", "secrets", "secret/")


def _kube_get_check(inv: Invocation) -> str | None:
    resources = ",".join(inv.operands).lower()
    reveals = any(
        part == r or part.startswith(r) for part in resources.split(",") for r in _SECRET_RESOURCES
    )
    output = (inv.values("-o") or [""])[-1]
    if reveals and output not in ("", "wide", "name"):
        return "secret: kubectl get secrets -o shows their values"
    for value in inv.values("-o"):
        if "-file=" in value or value.endswith("-file"):
            return f"kubectl -o {value} reads a template file"
    if inv.values("--raw") and "secret" in inv.values("--raw")[-1]:
        return "secret: kubectl --raw on a secrets path"
    return None


def _kube_config_view(inv: Invocation) -> str | None:
    if inv.has("--raw"):
        return "secret: kubectl config view --raw shows credentials"
    return None


KUBECTL = prog(
    _KUBE_GLOBAL,
    cobra=True,
    subcommands={
        "get": prog(f"{_KUBE_OUT} {_KUBE_SELECT}", "text*", check=_kube_get_check),
        "describe": prog(
            "-l|--selector= -A|--all-namespaces -f|--filename=path -R|--recursive "
            "--show-events --chunk-size= -k|--kustomize=path",
            "text*",
        ),
        "logs": prog(
            "-f|--follow --tail= --since= --since-time= -p|--previous -c|--container= "
            "--all-containers --timestamps --prefix -l|--selector= --max-log-requests= "
            "--pod-running-timeout= --ignore-errors --limit-bytes= "
            "--insecure-skip-tls-verify-backend --all-pods",
            "text*",
        ),
        "top": prog(
            "--containers -l|--selector= -A|--all-namespaces --sort-by= --no-headers "
            "--use-protocol-buffers --sum --show-capacity",
            "text*",
        ),
        "explain": prog("--recursive --api-version= -o|--output=", "text*"),
        "version": prog("--client --short -o|--output=", ""),
        "cluster-info": prog("", ""),
        "api-resources": prog(
            "--namespaced=? --verbs= -o|--output= --api-group= --sort-by= "
            "--no-headers --cached --categories=",
            "",
        ),
        "api-versions": prog("", ""),
        "events": prog(
            f"{_KUBE_OUT} -A|--all-namespaces --for= --types= -w|--watch "
            "--no-headers --chunk-size=",
            "",
        ),
        "auth": prog(
            "",
            cobra=True,
            subcommands={
                "can-i": prog(
                    "-A|--all-namespaces --list --no-headers -q|--quiet --subresource=", "text*"
                ),
                "whoami": prog("-o|--output=", ""),
            },
        ),
        "config": prog(
            "",
            cobra=True,
            subcommands={
                "view": prog(
                    f"{_KUBE_OUT} --minify --flatten --merge=? !--raw", "", check=_kube_config_view
                ),
                "get-contexts": prog("-o|--output= --no-headers", "text*"),
                "current-context": _NONE,
                "get-clusters": _NONE,
                "get-users": _NONE,
            },
        ),
        "rollout": prog(
            "",
            cobra=True,
            subcommands={
                "status": prog(
                    "-w|--watch --revision= --timeout= -l|--selector= -f|--filename=path", "text*"
                ),
                "history": prog(f"{_KUBE_OUT} --revision= -l|--selector=", "text*"),
            },
        ),
    },
    bare=True,
)
_DOCKER_GLOBAL = (
    "-H|--host=host !--context= !-c= -D|--debug -l|--log-level= --tls --tlsverify "
    "--tlscacert= --tlscert= --tlskey= -v|--version -h|--help !--config="
)
_DOCKER_FMT = "-f|--format= --no-trunc -q|--quiet"
_CONTAINER_VERBS = {
    "ps": prog(f"{_DOCKER_FMT} -a|--all -n|--last= -l|--latest -s|--size --filter=", ""),
    "ls": prog(f"{_DOCKER_FMT} -a|--all -n|--last= -l|--latest -s|--size --filter=", ""),
    "logs": prog("-f|--follow --tail= -n= --since= --until= -t|--timestamps --details", "word"),
    "stats": prog(f"{_DOCKER_FMT} -a|--all --no-stream", "word*"),
    "inspect": prog("-f|--format= -s|--size --type=", "word+"),
    "top": prog("", "word text*"),
    "port": prog("", "word text?"),
    "diff": prog("", "word"),
}
_IMAGE_VERBS = {
    "ls": prog(f"{_DOCKER_FMT} -a|--all --digests --filter= --tree", "word?"),
    "inspect": prog("-f|--format= --platform=", "word+"),
    "history": prog(f"{_DOCKER_FMT} -H|--human=? --platform=", "word"),
}
_LS_INSPECT = {
    "ls": prog(f"{_DOCKER_FMT} --filter= --cluster", ""),
    "inspect": prog("-f|--format= -v|--verbose", "word+"),
}
DOCKER = prog(
    _DOCKER_GLOBAL,
    cobra=True,
    subcommands={
        **{k: v for k, v in _CONTAINER_VERBS.items() if k != "ls"},
        "images": prog(f"{_DOCKER_FMT} -a|--all --digests --filter= --tree", "word?"),
        "container": prog("", cobra=True, subcommands=_CONTAINER_VERBS),
        "image": prog("", cobra=True, subcommands=_IMAGE_VERBS),
        "network": prog("", cobra=True, subcommands=_LS_INSPECT),
        "volume": prog("", cobra=True, subcommands=_LS_INSPECT),
        "system": prog(
            "",
            cobra=True,
            subcommands={
                "df": prog("-v|--verbose --format=", ""),
                "info": prog("-f|--format=", ""),
            },
        ),
        "version": prog("-f|--format=", ""),
        "info": prog("-f|--format=", ""),
        "events": prog("--since= --until= --filter= -f|--format=", ""),
        "compose": prog(
            "-f|--file=path -p|--project-name= --project-directory= --profile= "
            "--env-file=path --ansi= --progress=",
            cobra=True,
            subcommands={
                "ps": prog(f"{_DOCKER_FMT} -a|--all --services --status= --filter=", "word*"),
                "logs": prog(
                    "-f|--follow --tail= -n= --since= --until= -t|--timestamps "
                    "--no-color --no-log-prefix",
                    "word*",
                ),
                "ls": prog(f"{_DOCKER_FMT} -a|--all --filter=", ""),
                "top": prog("", "word*"),
                "images": prog(f"{_DOCKER_FMT}", "word*"),
                "version": prog("--short -f|--format=", ""),
            },
        ),
    },
)
CRICTL = prog(
    "-r|--runtime-endpoint= -i|--image-endpoint= --timeout= -D|--debug",
    cobra=True,
    subcommands={
        "ps": prog("-a|--all -q|--quiet -o|--output= --name= --pod= -s|--state= --label= "
                   "-v|--verbose", ""),
        "pods": prog("-o|--output= --name= --namespace= -s|--state= -q", ""),
        "images": prog("-q|--quiet -o|--output= -v|--verbose --digests", ""),
        "logs": prog("-f|--follow --tail= --since= -t|--timestamps -p|--previous", "word"),
        "stats": prog("-a|--all -o|--output= -s|--seconds=", "word*"),
        "info": prog("-o|--output=", ""),
        "version": _NONE,
    },
)  # fmt: skip

# --- GPUs, BMCs, time, TLS, automation ------------------------------------------------------

NVIDIA_SMI = prog(
    "-L|--list-gpus -q|--query -d|--display= -x|--xml-format -i|--id= -l|--loop= "
    "-lms|--loop-ms= --query-gpu= --query-compute-apps= --query-accounted-apps= "
    "--query-retired-pages= --query-supported-clocks= --query-remapped-rows= --format= "
    "-u|--unit -h|--help --version -B|--filter "
    "!-f|--filename= !-pm|--persistence-mode= !-e|--ecc-config= !-p|--reset-ecc-errors= "
    "!-c|--compute-mode= !-r|--gpu-reset !-vm|--virt-mode= !-ac|--applications-clocks= "
    "!-rac|--reset-applications-clocks !-acp|--applications-clocks-permission= "
    "!-pl|--power-limit= !-am|--accounting-mode= !-caa|--clear-accounted-apps "
    "!-mig|--multi-instance-gpu= !-cc|--cuda-clocks= !-lgc|--lock-gpu-clocks= "
    "!-rgc|--reset-gpu-clocks !-lmc|--lock-memory-clocks= !-rmc|--reset-memory-clocks "
    "!--auto-boost-default= !--auto-boost-permission=",
    subcommands={
        "topo": prog("-m|--matrix -mp|--matrixpci -i= -c= -n= -p= -P=", "", style="exact"),
        "dmon": prog(
            "-i= -d= -s= -c= -o= -f= -h",
            "",
            style="exact",
            check=lambda inv: "dmon -f writes a file" if inv.has("-f") else None,
        ),
        "pmon": prog(
            "-i= -d= -s= -c= -o= -f= -h",
            "",
            style="exact",
            check=lambda inv: "pmon -f writes a file" if inv.has("-f") else None,
        ),
        "nvlink": prog("-s|--status -c|--capabilities -i= -e -p", "", style="exact"),
        "mig": prog("-lgi -lci -lgip -lcip -i=", "", style="exact"),
    },
    style="exact",
    cobra=True,
)
_IPMI_READ: dict[tuple[str, ...], bool] = {
    ("sensor",): False, ("sensor", "list"): False, ("sensor", "get"): True,
    ("sensor", "reading"): True, ("sdr",): False, ("sdr", "list"): True,
    ("sdr", "elist"): True, ("sdr", "type"): True, ("sdr", "get"): True,
    ("sdr", "info"): False, ("chassis", "status"): False, ("chassis", "power", "status"): False,
    ("power", "status"): False, ("sel",): False, ("sel", "list"): True, ("sel", "elist"): True,
    ("sel", "info"): False, ("fru",): False, ("fru", "print"): True, ("lan", "print"): True,
    ("mc", "info"): False, ("mc", "guid"): False, ("dcmi", "power", "reading"): False,
    ("dcmi", "sensors"): False, ("chassis", "bootparam", "get"): True,
}  # fmt: skip


def ipmitool_words_read_only(words: Sequence[str]) -> bool:
    """`sensor get X` may name more, `chassis status` may not (so `… power off` is out)."""
    words = tuple(words)
    for length in range(min(len(words), 3), 0, -1):
        extra_ok = _IPMI_READ.get(words[:length])
        if extra_ok is not None:
            return extra_ok or len(words) == length
    return False


IPMITOOL = prog(
    "-I= -H=host -U= -P= -E -f=any -L= -p= -C= -c -v -N= -R= -y= -Y -k= -K -A= -o= -O= -e= "
    "-t= -b= -T= -B= -m= -l= -z= -h -V -Z -S=",
    "text+",
    style="posix",
    check=lambda inv: (
        None if ipmitool_words_read_only(inv.operands) else "ipmitool command is not a read"
    ),
)
SENSORS = prog("-A|--no-adapter -u -j -f|--fahrenheit -c|--config-file=path -h|--help "
               "-v|--version --bus-list !-s|--set", "text*")  # fmt: skip
CRONTAB = prog(
    "-l -u= !-e !-r !-i !-n !-c !-T",
    "",
    check=lambda inv: None if inv.has("-l") else "crontab without -l installs",
)
CHRONYC = prog(
    "-n -c -m -4 -6 -a -d -v -N !-h=",
    subcommands={
        v: _ANY
        for v in (
            "tracking",
            "sources",
            "sourcestats",
            "activity",
            "ntpdata",
            "serverstats",
            "selectdata",
            "authdata",
            "rtcdata",
            "smoothing",
            "sourcename",
            "clients",
            "manual list",
        )
    },
    bare=False,
)
NTPQ = prog("-p|--peers -n|--numeric -w|--wide -4 -6 -i|--interactive", "host?",
            check=lambda inv: "ntpq -i is interactive" if inv.has("-i") else None)  # fmt: skip
PROMTOOL = prog(
    "--help --version --experimental --enable-feature=",
    subcommands={
        "check": prog(
            "--lint= --lint-fatal --extended --syntax-only --ignore-unknown-fields",
            subcommands={
                "config": prog("", "path+"),
                "rules": prog("", "path+"),
                "web-config": prog("", "path+"),
                "metrics": _NONE,
                "healthy": prog("--url=url", ""),
                "ready": prog("--url=url", ""),
            },
        ),
        "query": prog(
            "-o|--format= --http.config.file=path",
            subcommands={
                "instant": prog("--time=", "url text"),
                "range": prog("--start= --end= --step=", "url text"),
                "series": prog("--match= --start= --end=", "url"),
                "labels": prog("--start= --end= --match=", "url text"),
            },
        ),
        "test": prog("", subcommands={"rules": prog("--run= --debug --diff", "path+")}),
        "tsdb": prog(
            "",
            subcommands={
                "analyze": prog("--limit= --extended", "tree text?"),
                "list": prog("-r|--human-readable", "tree"),
            },
        ),
    },
    bare=False,
)


_X509 = (
    "-in=path -inform= -noout -text -subject -issuer -dates -enddate -startdate -fingerprint "
    "-serial -hash -subject_hash -issuer_hash -modulus -pubkey -ext= -purpose -email "
    "-ocsp_uri -ocspid -checkend= -nameopt= -certopt= -sha1 -sha256 -sha384 -sha512 -md5 "
    "-alias -trustout -nocert -dateopt= -help "
    "!-out= !-signkey= !-CA= !-CAkey= !-req !-set_serial= !-days= !-key= !-passin= "
    "!-x509toreq !-extfile= !-force_pubkey= !-new"
)
OPENSSL = prog(
    "",
    subcommands={
        "x509": prog(_X509, "", style="exact"),
        "req": prog(
            "-in=path -inform= -noout -text -subject -verify -pubkey -nameopt= -help "
            "!-new !-x509 !-key= !-out= !-newkey= !-keyout=",
            "",
            style="exact",
            check=lambda inv: None if inv.has("-in") else "openssl req without -in",
        ),
        "crl": prog(
            "-in=path -inform= -noout -text -hash -issuer -lastupdate -nextupdate "
            "-fingerprint -crlnumber !-out=",
            "",
            style="exact",
        ),
        "verify": prog(
            "-CAfile=path -CApath=meta -untrusted=path -purpose= -verbose "
            "-show_chain -crl_check -x509_strict -partial_chain",
            "path*",
            style="exact",
        ),
        "s_client": prog(
            "-connect=host -servername= -showcerts -brief -verify_return_error "
            "-CAfile=path -CApath=meta -starttls= -tls1_2 -tls1_3 -alpn= "
            "-verify= -quiet -no_ign_eof -ign_eof -state -prexit -status "
            "-host=host -port= -4 -6 !-cert= !-key= !-pass= !-msgfile= "
            "!-keylogfile= !-sess_out= !-proxy=",
            "host?",
            style="exact",
        ),
        "version": prog("-a -v -b -o -f -p -d -e -c -r", "", style="exact"),
        "rand": prog("-hex -base64", "int", style="exact"),
        "ciphers": prog("-v -V -s -tls1_2 -tls1_3 -stdname", "text?", style="exact"),
        "list": prog(
            "-commands -digest-commands -cipher-commands -cipher-algorithms "
            "-digest-algorithms -public-key-algorithms",
            "",
            style="exact",
        ),
    },
    bare=False,
    style="exact",
)


def _ansible_check(inv: Invocation) -> str | None:
    modules = inv.values("-m")
    if not modules or any(m.rsplit(".", 1)[-1] not in ("ping", "setup") for m in modules):
        return "ansible runs modules other than ping/setup"
    return None


ANSIBLE = prog(
    "-m|--module-name= -i|--inventory|--inventory-file=path -u|--user= -o|--one-line "
    "-v|--verbose -vv -vvv -vvvv -f|--forks= -T|--timeout= -l|--limit= --list-hosts "
    "-e|--extra-vars= -k|--ask-pass -b|--become --become-user= --become-method= "
    "-c|--connection= --private-key|--key-file=path --version -h|--help "
    "!-a|--args= !-B|--background= !-P|--poll= !-t|--tree= !-C|--check !-D|--diff "
    "!--playbook-dir= !-M|--module-path= !--vault-password-file= !--vault-id=",
    "text",
    check=_ansible_check,
)
COROSYNC_CFGTOOL = prog("-s -n -a= -b= -i= -h -V !-R !-k= !-H !-c= !-r !-L", "")
COROSYNC_QUORUMTOOL = prog("-s -l -a -i -m -o= -p -H -V -h -n !-e= !-v= !-f", "")
SUDO_LIST = prog("-l|--list -U|--other-user= -n|--non-interactive -h|--help -V|--version "
                 "-v|--validate -K|--remove-timestamp -k|--reset-timestamp", "",
                 check=lambda inv: None if inv.has("-l", "-V", "-h", "-v", "-K", "-k")
                 else "sudo runs a command")  # fmt: skip
WATCH = prog(
    "-b|--beep -c|--color -C|--no-color -e|--errexit -g|--chgexit -p|--precise "
    "-t|--no-title -w|--no-wrap -x|--exec -r|--no-rerun -d|--differences=? "
    "-n|--interval= -q|--equexit= -h|--help -v|--version",
    "text+",
    style="posix",
)
IOTOP = prog("-b|--batch -n|--iter= -d|--delay= -o|--only -P|--processes -a|--accumulated "
             "-k|--kilobytes -t|--time -q|--quiet -qq -qqq -p|--pid= -u|--user=", "",
             check=lambda inv: None if inv.has("-b") else "iotop without -b is interactive",
             )  # fmt: skip
SYSTEMD_CGLS = prog("--no-pager -a|--all -l|--full -k -u|--unit -x|--xattr= -c|--cgroup-id= "
                    "--user-unit", "text*")  # fmt: skip

TABLE: dict[str, Program] = {
    "qm": QM, "pct": PCT, "pvesh": PVESH, "pvecm": PVECM, "pvesm": PVESM,
    "ha-manager": HA_MANAGER, "pveversion": PVEVERSION, "pvesr": PVESR,
    "virsh": VIRSH, "ceph": CEPH, "rados": RADOS, "rbd": RBD,
    "kubectl": KUBECTL, "docker": DOCKER, "podman": DOCKER, "crictl": CRICTL,
    "nvidia-smi": NVIDIA_SMI, "ipmitool": IPMITOOL, "sensors": SENSORS, "crontab": CRONTAB,
    "chronyc": CHRONYC, "ntpq": NTPQ, "promtool": PROMTOOL, "openssl": OPENSSL,
    "ansible": ANSIBLE, "corosync-cfgtool": COROSYNC_CFGTOOL,
    "corosync-quorumtool": COROSYNC_QUORUMTOOL, "sudo": SUDO_LIST, "watch": WATCH,
    "iotop": IOTOP, "systemd-cgls": SYSTEMD_CGLS,
}  # fmt: skip
