"""Parametrised operations tasks: the training corpus of the sample lab.

The scripted scenarios (`scenarios.py`) cover every feature of the transcript format, one
realistic story each. A model needs something else to learn from: many short requests, each
answered the same way whatever its wording, with the host, service, disk or symptom taken from
the request and the next step taken from the tool output. Each `Task` here is one such request
type: its wordings (`phrasings`), the parameters it draws (host, service, disk, state) and the
work it does (`run`), with the lab's real conventions (`ssh <host> '<command>'`, `ipmitool -E`
on the BMC, `curl` against mon01's services), so curation turns every call into an agent call
(`ssh`, `ipmi`, `http`).

Generalisation is measured, not assumed: every task keeps some wordings (`heldout_phrasings`)
and some parameter combinations (`HELDOUT_COMBOS`, e.g. corosync on pve03) for held-out
sessions only, which the split pins to the test set (`shifts.py`). Everything is drawn from the
session's seeded `random.Random`: same seed, same bytes.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from .builder import Transcript
from .lab import NAS_STORAGE_ADDRESS

# --- the lab, as the runbooks describe it (config/rag/network-topology.md) -----------------

PVE = ("pve01", "pve02", "pve03")
SSH_HOSTS = (*PVE, "nas01", "mon01")
ADDRESSES = {
    "fw01": "10.20.0.1",
    "sw-core01": "10.20.0.2",
    "pve01": "10.20.0.11",
    "pve02": "10.20.0.12",
    "pve03": "10.20.0.13",
    "nas01": "10.20.0.20",
    "mon01": "10.20.0.30",
    "bmc-pve01": "10.20.1.11",
    "bmc-pve02": "10.20.1.12",
    "bmc-pve03": "10.20.1.13",
}
STORAGE_ADDRESS = {"pve01": "10.20.30.11", "pve02": "10.20.30.12", "pve03": "10.20.30.13"}
SERVICES = {
    "pve01": ("pveproxy", "pvedaemon", "pvestatd", "pve-cluster", "corosync", "chrony", "ssh"),
    "nas01": ("smartd", "zfs-zed", "nfs-server", "chrony", "ssh", "docker"),
    "mon01": ("prometheus", "alertmanager", "grafana-server", "chrony", "ssh"),
}
SERVICES["pve02"] = SERVICES["pve03"] = SERVICES["pve01"]
DISKS = ("sda", "sdb", "sdc", "sdd", "sde", "sdf")
DATASETS = ("tank/pve", "tank/backups", "tank/media", "tank/home", "tank/iso")
MOUNTS = {h: ("/", "/var", "/var/lib/vz") for h in PVE} | {
    "nas01": ("/", "/var", "/tank/backups"),
    "mon01": ("/", "/var", "/var/lib/prometheus"),
}
PROM = "http://mon01:9090"
ALERTMANAGER = "http://mon01:9093"
GRAFANA = "http://mon01:3000"
GUEST_NAMES = (
    "dns",
    "gitea",
    "homeassistant",
    "nextcloud",
    "postgres",
    "vault",
    "minio",
    "jellyfin",
    "paperless",
    "runner",
    "k3s-node",
    "loki",
)

# Combinations that only held-out sessions use: each value is seen in training, never together.
# Host/service pairs are held out from every service task at once (status, logs, restart), so
# no training command ever names such a pair.
HELDOUT_SERVICES = frozenset(
    {
        ("pve03", "corosync"),
        ("nas01", "nfs-server"),
        ("mon01", "alertmanager"),
        ("pve02", "pvestatd"),
        ("pve01", "chrony"),
    }
)
HELDOUT_COMBOS: dict[str, frozenset[tuple[str, ...]]] = {
    "service_status": HELDOUT_SERVICES,
    "service_logs": HELDOUT_SERVICES,
    "restart_service": HELDOUT_SERVICES,
    "disk_usage": frozenset({("pve02", "/var"), ("mon01", "/var/lib/prometheus")}),
    "smart_disk": frozenset({("sde",)}),
    "ipmi_sensors": frozenset({("pve03",)}),
    "uptime_load": frozenset({("nas01",)}),
    "dataset_usage": frozenset({("tank/home",)}),
    "vm_list": frozenset({("pve03",)}),
}


@dataclass
class Draw:
    """The randomness of one task in one session; `heldout` sessions may use held-out values."""

    rng: random.Random
    heldout: bool
    used: list[str] = field(default_factory=list)  # held-out features used, for the manifest

    def choice(self, options: Sequence):
        return self.rng.choice(list(options))

    def phrase(self, task: Task, **slots: str) -> str:
        pool = task.phrasings
        if self.heldout and task.heldout_phrasings and self.rng.random() < 0.5:
            pool = task.heldout_phrasings
            self.used.append(f"{task.name}: wording")
        return self.choice(pool).format(**slots)

    def combo(self, task: str, candidates: Sequence[tuple[str, ...]]) -> tuple[str, ...]:
        """A parameter combination; held-out ones only (and then half the time) in held-out
        sessions."""
        held = HELDOUT_COMBOS.get(task, frozenset())
        if self.heldout and held and self.rng.random() < 0.5:
            chosen = self.choice(sorted(held))
            self.used.append(f"{task}: {'/'.join(chosen)}")
            return chosen
        return self.choice([c for c in candidates if c not in held])


@dataclass(frozen=True)
class Task:
    name: str
    run: Callable[[Transcript, Draw, Task], None]
    phrasings: tuple[str, ...]
    heldout_phrasings: tuple[str, ...] = ()
    weight: int = 2


# --- emitting calls --------------------------------------------------------------------------


def ipmi_command(host: str, args: str) -> str:
    # -E reads the password from IPMI_PASSWORD: the runbooks' way, nothing secret on the line.
    return f"ipmitool -I lanplus -H bmc-{host} -U admin -E {args}"


@dataclass
class Step:
    """One call and what it returned."""

    command: str
    description: str
    output: str
    exit_code: int = 0
    stderr: str = ""


def ssh_step(host: str, command: str, output: str, **kw) -> Step:
    return Step(f"ssh {host} '{command}'", f"{command.split()[0]} on {host}", output, **kw)


def http_step(url: str, output: str, method: str = "GET") -> Step:
    flag = "" if method == "GET" else f"-X {method} "
    return Step(f"curl -s {flag}'{url}'", f"{method} {url.split('?')[0]}", output)


def ipmi_step(host: str, args: str, output: str) -> Step:
    return Step(ipmi_command(host, args), f"IPMI {args} on bmc-{host}", output)


def act(tr: Transcript, d: Draw, step: Step, prose: str = "") -> None:
    """One assistant message: optional prose, then the call and its result."""
    m = tr.message()
    if prose and d.rng.random() < 0.3:
        m.text(prose)
    tr.bash(
        m,
        step.command,
        step.description,
        step.output,
        exit_code=step.exit_code,
        stderr=step.stderr,
        seconds=d.rng.uniform(0.3, 3),
    )


def answer(tr: Transcript, text: str) -> None:
    m = tr.message()
    m.text(text, final=True)
    tr.end_turn()


def when(tr: Transcript, minutes_ago: int = 0) -> str:
    t = tr.ctx.clock.now() - timedelta(minutes=minutes_ago)
    return f"{t:%a %Y-%m-%d %H:%M:%S} UTC"


def stamp(tr: Transcript, seconds_ago: int = 0) -> str:
    return f"{tr.ctx.clock.now() - timedelta(seconds=seconds_ago):%b %d %H:%M:%S}"


# --- systemd ---------------------------------------------------------------------------------

FAILURES = {
    "default": [
        ("bind() to 0.0.0.0:{port} failed (98: Address already in use)", "its port is taken"),
        ("error loading configuration: line {line}: unknown directive", "a config syntax error"),
        ("Out of memory: Killed process {pid} ({service})", "the OOM killer"),
        ("failed to load private key /etc/{service}/key.pem: No such file", "a missing key file"),
    ],
}
PORTS = {
    "pveproxy": 8006,
    "pvedaemon": 85,
    "prometheus": 9090,
    "alertmanager": 9093,
    "grafana-server": 3000,
    "ssh": 22,
}


def unit_status(tr: Transcript, d: Draw, host: str, service: str, state: str) -> str:
    pid = d.rng.randint(900, 9000)
    if state == "active":
        days = d.rng.randint(1, 40)
        active = f"active (running) since {when(tr, days * 1440)}; {days} days ago"
        extra = f"\n   Main PID: {pid} ({service})\n     Memory: {d.rng.uniform(20, 400):.1f}M"
    elif state == "failed":
        mins = d.rng.randint(3, 90)
        active = f"failed (Result: exit-code) since {when(tr, mins)}; {mins}min ago"
        extra = f"\n    Process: {pid} ExecStart=/usr/bin/{service} (code=exited, status=1/FAILURE)"
    else:
        active = "inactive (dead)"
        extra = ""
    return (
        f"● {service}.service\n     Loaded: loaded (/lib/systemd/system/{service}.service; "
        f"enabled; preset: enabled)\n     Active: {active}{extra}"
    )


def failure_cause(d: Draw, service: str) -> tuple[str, str]:
    line, cause = d.choice(FAILURES["default"])
    text = line.format(
        port=PORTS.get(service, d.rng.randint(1024, 9999)),
        line=d.rng.randint(3, 80),
        pid=d.rng.randint(1000, 90000),
        service=service,
    )
    return text, cause


def journal(tr: Transcript, d: Draw, host: str, service: str, failure: str) -> str:
    pid = d.rng.randint(1000, 90000)
    lines = [
        f"{stamp(tr, 40)} {host} systemd[1]: Starting {service}.service...",
        f"{stamp(tr, 39)} {host} {service}[{pid}]: {failure}",
        f"{stamp(tr, 39)} {host} systemd[1]: {service}.service: Main process exited, "
        "code=exited, status=1/FAILURE",
        f"{stamp(tr, 38)} {host} systemd[1]: {service}.service: Failed with result 'exit-code'.",
    ]
    return "\n".join(lines)


def service_pairs(hosts: Sequence[str] = SSH_HOSTS) -> list[tuple[str, str]]:
    return [(h, s) for h in hosts for s in SERVICES[h]]


def service_status(tr: Transcript, d: Draw, task: Task) -> None:
    host, service = d.combo(task.name, service_pairs())
    tr.prompt(d.phrase(task, host=host, service=service))
    state = d.choice(["active", "active", "failed", "inactive"])
    act(
        tr,
        d,
        ssh_step(
            host,
            f"systemctl status {service} --no-pager",
            unit_status(tr, d, host, service, state),
            exit_code=0 if state == "active" else 3,
        ),
        f"Checking {service} on {host}.",
    )
    if state == "active":
        answer(tr, f"Yes: `{service}` on {host} is active (running).")
        return
    if state == "inactive":
        answer(
            tr,
            f"No: `{service}` on {host} is inactive (dead): it was stopped, not crashed. "
            f"Start it with `systemctl start {service}` if it should run (that needs approval).",
        )
        return
    failure, cause = failure_cause(d, service)
    act(
        tr,
        d,
        ssh_step(
            host,
            f"journalctl -u {service} -n 20 --no-pager",
            journal(tr, d, host, service, failure),
        ),
        "It has failed; reading its journal.",
    )
    answer(
        tr,
        f"`{service}` on {host} has failed. The journal says: `{failure}`, so the cause is "
        f"{cause}. Fix that, then restart it with `systemctl restart {service}` (needs approval).",
    )


def service_logs(tr: Transcript, d: Draw, task: Task) -> None:
    host, service = d.combo(task.name, service_pairs())
    tr.prompt(d.phrase(task, host=host, service=service))
    failure, cause = failure_cause(d, service)
    act(
        tr,
        d,
        ssh_step(
            host,
            f"journalctl -u {service} -n 20 --no-pager",
            journal(tr, d, host, service, failure),
        ),
    )
    answer(tr, f"The last start of `{service}` on {host} failed with `{failure}`: {cause}.")


def restart_service(tr: Transcript, d: Draw, task: Task) -> None:
    host, service = d.combo(task.name, service_pairs())
    tr.prompt(d.phrase(task, host=host, service=service))
    act(tr, d, ssh_step(host, f"systemctl restart {service}", ""), f"Restarting {service}.")
    ok = d.rng.random() < 0.85
    act(
        tr,
        d,
        ssh_step(
            host,
            f"systemctl is-active {service}",
            "active" if ok else "failed",
            exit_code=0 if ok else 3,
        ),
    )
    if ok:
        answer(tr, f"Restarted `{service}` on {host}; it is active again.")
    else:
        answer(
            tr,
            f"I restarted `{service}` on {host} but it failed again. Its journal "
            f"(`journalctl -u {service} -n 20`) will say why.",
        )


def failed_units(tr: Transcript, d: Draw, task: Task) -> None:
    host = d.choice(SSH_HOSTS)
    tr.prompt(d.phrase(task, host=host))
    broken = d.rng.sample(list(SERVICES[host]), d.choice([0, 0, 1, 1, 2]))
    header = "  UNIT  LOAD  ACTIVE SUB DESCRIPTION"
    rows = [f"● {s}.service loaded failed failed {s}" for s in broken]
    out = "\n".join([header, *rows, "", f"{len(broken)} loaded units listed."])
    act(tr, d, ssh_step(host, "systemctl --failed --no-pager", out))
    if broken:
        names = ", ".join(f"`{s}`" for s in broken)
        answer(tr, f"{host} has {len(broken)} failed unit(s): {names}. Check their journals.")
    else:
        answer(tr, f"No failed units on {host}.")


# --- host basics -----------------------------------------------------------------------------


def disk_usage(tr: Transcript, d: Draw, task: Task) -> None:
    pairs = [(h, m) for h, mounts in MOUNTS.items() for m in mounts]
    host, mount = d.combo(task.name, pairs)
    tr.prompt(d.phrase(task, host=host, mount=mount))
    size = d.choice([30, 60, 94, 220, 450])
    pct = d.choice([d.rng.randint(12, 60), d.rng.randint(61, 85), d.rng.randint(90, 99)])
    used = round(size * pct / 100, 1)
    out = (
        "Filesystem      Size  Used Avail Use% Mounted on\n"
        f"/dev/mapper/{host}-root {size}G {used}G {round(size - used, 1)}G {pct}% {mount}"
    )
    act(tr, d, ssh_step(host, f"df -h {mount}", out))
    verdict = (
        "nearly full, worth cleaning up" if pct >= 90 else "fine" if pct < 80 else "filling up"
    )
    answer(tr, f"`{mount}` on {host} is {pct}% used ({used}G of {size}G): {verdict}.")


def uptime_load(tr: Transcript, d: Draw, task: Task) -> None:
    host = d.combo(task.name, [(h,) for h in SSH_HOSTS])[0]
    tr.prompt(d.phrase(task, host=host))
    days = d.rng.randint(0, 200)
    loads = [round(d.rng.uniform(0.05, 6.0), 2) for _ in range(3)]
    out = (
        f" {tr.ctx.clock.now():%H:%M:%S} up {days} days,  {d.rng.randint(0, 23)}:"
        f"{d.rng.randint(10, 59)},  1 user,  load average: {loads[0]}, {loads[1]}, {loads[2]}"
    )
    act(tr, d, ssh_step(host, "uptime", out))
    answer(
        tr, f"{host} has been up {days} days; load average {loads[0]} / {loads[1]} / {loads[2]}."
    )


def memory(tr: Transcript, d: Draw, task: Task) -> None:
    host = d.choice(SSH_HOSTS)
    tr.prompt(d.phrase(task, host=host))
    total = d.choice([32000, 64000, 128000])
    used = d.rng.randint(total // 5, total - 1000)
    out = (
        "               total        used        free      shared  buff/cache   available\n"
        f"Mem:           {total}       {used}       {total - used}         120        4000"
        f"       {total - used + 3000}\nSwap:           8191           0        8191"
    )
    act(tr, d, ssh_step(host, "free -m", out))
    answer(tr, f"{host} uses {used} MiB of {total} MiB; {total - used + 3000} MiB are available.")


def kernel(tr: Transcript, d: Draw, task: Task) -> None:
    host = d.choice(SSH_HOSTS)
    tr.prompt(d.phrase(task, host=host))
    version = d.choice(
        ["6.8.12-4-pve", "6.8.12-5-pve", "6.5.13-6-pve"]
        if host in PVE
        else ["6.1.0-28-amd64", "6.1.0-31-amd64"]
    )
    act(tr, d, ssh_step(host, "uname -r", version))
    answer(tr, f"{host} runs kernel {version}.")


def time_sync(tr: Transcript, d: Draw, task: Task) -> None:
    host = d.choice(SSH_HOSTS)
    tr.prompt(d.phrase(task, host=host))
    offset = d.choice([round(d.rng.uniform(0.000001, 0.0009), 6), round(d.rng.uniform(1.5, 40), 3)])
    out = (
        "Reference ID    : 0A140001 (fw01.lab.internal)\nStratum         : 3\n"
        f"System time     : {offset} seconds fast of NTP time\nLeap status     : Normal"
    )
    act(tr, d, ssh_step(host, "chronyc tracking", out))
    if offset > 1:
        answer(tr, f"{host}'s clock is {offset} s off fw01: too far for corosync; check chrony.")
    else:
        answer(tr, f"{host} is in sync with fw01 (offset {offset} s).")


def pending_updates(tr: Transcript, d: Draw, task: Task) -> None:
    host = d.choice(SSH_HOSTS)
    tr.prompt(d.phrase(task, host=host))
    pkgs = d.rng.sample(
        ["openssl", "libc6", "pve-manager", "qemu-server", "zfsutils-linux", "curl", "tzdata"],
        d.choice([0, 1, 2, 3]),
    )
    lines = ["Listing..."] + [
        f"{p}/stable 1.{d.rng.randint(0, 9)} amd64 [upgradable]" for p in pkgs
    ]
    act(tr, d, ssh_step(host, "apt list --upgradable", "\n".join(lines)))
    if pkgs:
        answer(tr, f"{len(pkgs)} update(s) pending on {host}: {', '.join(pkgs)}.")
    else:
        answer(tr, f"{host} is up to date.")


# --- Proxmox ---------------------------------------------------------------------------------


def vm_list(tr: Transcript, d: Draw, task: Task) -> None:
    host = d.combo(task.name, [(h,) for h in PVE])[0]
    tr.prompt(d.phrase(task, host=host))
    guests = d.rng.sample(GUEST_NAMES, d.rng.randint(2, 5))
    rows = []
    running = 0
    for g in guests:
        status = d.choice(["running", "running", "stopped"])
        running += status == "running"
        rows.append(
            f"       {d.rng.randint(100, 199)} {g:<14} {status:<8} {d.choice([2048, 4096, 8192])}"
        )
    out = "      VMID NAME           STATUS   MEM(MB)\n" + "\n".join(rows)
    act(tr, d, ssh_step(host, "qm list", out))
    answer(tr, f"{host} has {len(guests)} VMs, {running} running: {', '.join(guests)}.")


def quorum(tr: Transcript, d: Draw, task: Task) -> None:
    host = d.choice(PVE)
    tr.prompt(d.phrase(task, host=host))
    votes = d.choice([3, 3, 2])
    out = (
        f"Cluster information\n-------------------\nName:             labcluster\n"
        f"Quorum information\n------------------\nNodes:            {votes}\n"
        f"Quorate:          Yes\n\nVotequorum information\n----------------------\n"
        f"Expected votes:   3\nTotal votes:      {votes}\nQuorum:           2"
    )
    act(tr, d, ssh_step(host, "pvecm status", out))
    if votes == 3:
        answer(tr, "The cluster is quorate with all 3 votes.")
    else:
        answer(tr, "The cluster is quorate, but with only 2 of 3 votes: one node is missing.")


def storage_status(tr: Transcript, d: Draw, task: Task) -> None:
    host = d.choice(PVE)
    tr.prompt(d.phrase(task, host=host))
    up = d.rng.random() < 0.7
    nas = "active" if up else "inactive"
    out = (
        "Name             Type     Status           Total            Used       Available\n"
        "local             dir     active        98497780        12038920        81409780\n"
        "local-zfs     zfspool     active       803209216       120401920       682807296\n"
        f"nas-tank          nfs     {nas:<8}   {'34359738368' if up else '0':>14}"
    )
    act(tr, d, ssh_step(host, "pvesm status", out))
    if up:
        answer(tr, f"All storages on {host} are active, nas-tank included.")
        return
    loss = d.choice([0, 100])
    ping = f"3 packets transmitted, {3 if loss == 0 else 0} received, {loss}% packet loss"
    act(
        tr,
        d,
        ssh_step(host, f"ping -c 3 {NAS_STORAGE_ADDRESS}", ping, exit_code=0 if loss == 0 else 1),
        "nas-tank is inactive; testing the storage VLAN.",
    )
    reason = "the NFS server side" if loss == 0 else "the storage VLAN (no reply from nas01)"
    answer(tr, f"nas-tank is inactive on {host}; the problem is {reason}.")


def ping_storage(tr: Transcript, d: Draw, task: Task) -> None:
    host = d.choice(PVE)
    tr.prompt(d.phrase(task, host=host))
    ok = d.rng.random() < 0.7
    rtt = round(d.rng.uniform(0.1, 0.6), 3)
    out = (
        f"3 packets transmitted, 3 received, 0% packet loss\nrtt min/avg/max = {rtt}/{rtt}/{rtt} ms"
        if ok
        else "3 packets transmitted, 0 received, 100% packet loss"
    )
    act(tr, d, ssh_step(host, f"ping -c 3 {NAS_STORAGE_ADDRESS}", out, exit_code=0 if ok else 1))
    answer(
        tr,
        f"{host} reaches nas01 on the storage VLAN ({rtt} ms)."
        if ok
        else f"{host} gets no reply from nas01 ({NAS_STORAGE_ADDRESS}) on the storage VLAN.",
    )


def bond_status(tr: Transcript, d: Draw, task: Task) -> None:
    host = d.choice(PVE)
    tr.prompt(d.phrase(task, host=host))
    second = d.choice(["up", "up", "down"])
    out = (
        "Bonding Mode: IEEE 802.3ad Dynamic link aggregation\nMII Status: up\n\n"
        "Slave Interface: enp65s0f0\nMII Status: up\nSpeed: 10000 Mbps\n\n"
        f"Slave Interface: enp65s0f1\nMII Status: {second}\nSpeed: "
        f"{'10000 Mbps' if second == 'up' else 'Unknown'}"
    )
    act(tr, d, ssh_step(host, "cat /proc/net/bonding/bond0", out))
    if second == "up":
        answer(tr, f"Both bond0 ports on {host} are up at 10 GbE.")
    else:
        answer(tr, f"bond0 on {host} runs on one port: enp65s0f1 is down. Check its switch port.")


# --- ZFS and disks on nas01 ------------------------------------------------------------------


def zpool_status_text(d: Draw, bad: str | None, resilver: bool = False) -> str:
    state = "DEGRADED" if bad else "ONLINE"
    rows = []
    for disk in DISKS:
        if disk == bad:
            rows.append(
                f"\t    {disk}     {'ONLINE' if resilver else 'FAULTED'}  0  0  "
                f"{d.rng.randint(8, 90)}"
            )
        else:
            rows.append(f"\t    {disk}     ONLINE       0     0     0")
    scan = (
        f"resilver in progress, {d.rng.randint(3, 97)}% done"
        if resilver
        else f"scrub repaired 0B with 0 errors on Sun Nov {d.rng.randint(1, 28)} 03:10:01 2026"
    )
    return "\n".join(
        [
            f"  pool: tank\n state: {state}\n  scan: {scan}\nconfig:",
            f"\ttank        {state}",
            f"\t  raidz2-0  {state}",
            *rows,
            "errors: No known data errors",
        ]
    )


def zpool_health(tr: Transcript, d: Draw, task: Task) -> None:
    tr.prompt(d.phrase(task))
    bad = d.choice([None, None, *DISKS])
    resilver = bad is not None and d.rng.random() < 0.3
    act(tr, d, ssh_step("nas01", "zpool status tank", zpool_status_text(d, bad, resilver)))
    if bad is None:
        answer(tr, "`tank` on nas01 is ONLINE: all six disks fine, no known data errors.")
        return
    if resilver:
        answer(tr, f"`tank` is DEGRADED while it resilvers onto the new {bad}; wait for it.")
        return
    realloc = d.rng.randint(40, 900)
    act(
        tr,
        d,
        ssh_step("nas01", f"smartctl -H -A /dev/{bad}", smart_text(d, False, realloc)),
        f"{bad} is FAULTED; checking its SMART data.",
    )
    answer(
        tr,
        f"`tank` is DEGRADED: {bad} is FAULTED and SMART fails it ({realloc} reallocated "
        "sectors). Replace it following the disk replacement runbook.",
    )


def smart_text(d: Draw, healthy: bool, realloc: int) -> str:
    result = "PASSED" if healthy else "FAILED!"
    return (
        f"SMART overall-health self-assessment test result: {result}\n"
        "  5 Reallocated_Sector_Ct   0x0033   100   100   010    Pre-fail  Always   -   "
        f"{realloc}\n"
        f"197 Current_Pending_Sector  0x0012   100   100   000    Old_age   Always   -   "
        f"{realloc // 10}\n194 Temperature_Celsius 0x0022 {d.rng.randint(28, 45)}"
    )


def smart_disk(tr: Transcript, d: Draw, task: Task) -> None:
    disk = d.combo(task.name, [(x,) for x in DISKS])[0]
    tr.prompt(d.phrase(task, disk=disk))
    healthy = d.rng.random() < 0.7
    realloc = 0 if healthy else d.rng.randint(20, 500)
    act(tr, d, ssh_step("nas01", f"smartctl -H -A /dev/{disk}", smart_text(d, healthy, realloc)))
    if healthy:
        answer(tr, f"/dev/{disk} on nas01 passes SMART with no reallocated sectors.")
    else:
        answer(tr, f"/dev/{disk} on nas01 FAILS SMART ({realloc} reallocated sectors): replace it.")


def disk_serial(tr: Transcript, d: Draw, task: Task) -> None:
    disk = d.choice(DISKS)
    tr.prompt(d.phrase(task, disk=disk))
    serial = "WD-CA0" + "".join(d.choice("ABCDEFGHJKLMNPRSTVWXYZ0123456789") for _ in range(7))
    out = (
        f"Device Model:     WDC WD80EFZZ-68BTXN0\nSerial Number:    {serial}\n"
        "User Capacity:    8.00 TB"
    )
    act(tr, d, ssh_step("nas01", f"smartctl -i /dev/{disk}", out))
    answer(tr, f"/dev/{disk} on nas01 is a WD80EFZZ with serial {serial}.")


def dataset_usage(tr: Transcript, d: Draw, task: Task) -> None:
    dataset = d.combo(task.name, [(x,) for x in DATASETS])[0]
    tr.prompt(d.phrase(task, dataset=dataset))
    used, avail = round(d.rng.uniform(0.1, 9.0), 2), round(d.rng.uniform(1.0, 20.0), 2)
    out = f"NAME            USED  AVAIL\n{dataset:<15} {used}T  {avail}T"
    act(tr, d, ssh_step("nas01", f"zfs list -o name,used,avail {dataset}", out))
    answer(tr, f"`{dataset}` uses {used}T; {avail}T are still available.")


def latest_snapshot(tr: Transcript, d: Draw, task: Task) -> None:
    dataset = d.choice(DATASETS)
    tr.prompt(d.phrase(task, dataset=dataset))
    days = sorted(d.rng.sample(range(1, 28), 3))
    names = [f"{dataset}@auto-2026-11-{day:02d}" for day in days]
    out = "NAME\n" + "\n".join(names)
    act(tr, d, ssh_step("nas01", f"zfs list -t snapshot -o name -s creation {dataset}", out))
    answer(tr, f"The latest snapshot of `{dataset}` is `{names[-1]}`.")


def snapshot_create(tr: Transcript, d: Draw, task: Task) -> None:
    dataset = d.choice(DATASETS)
    name = d.choice(["pre-upgrade", "before-migration", "manual", "pre-cleanup"])
    tr.prompt(d.phrase(task, dataset=dataset, name=name))
    act(tr, d, ssh_step("nas01", f"zfs snapshot {dataset}@{name}", ""))
    answer(tr, f"Created `{dataset}@{name}`. Roll back with `zfs rollback {dataset}@{name}`.")


def nfs_exports(tr: Transcript, d: Draw, task: Task) -> None:
    tr.prompt(d.phrase(task))
    out = (
        "/tank/pve       10.20.30.0/24(rw,no_root_squash,sync)\n"
        "/tank/backups   10.20.30.0/24(rw,no_root_squash,sync)\n"
        "/tank/iso       10.20.30.0/24(ro,sync)"
    )
    act(tr, d, ssh_step("nas01", "exportfs -v", out))
    answer(
        tr,
        "nas01 exports /tank/pve and /tank/backups read-write and /tank/iso read-only, "
        "all to the storage VLAN 10.20.30.0/24.",
    )


# --- BMCs ------------------------------------------------------------------------------------


def ipmi_power(tr: Transcript, d: Draw, task: Task) -> None:
    host = d.choice(PVE)
    tr.prompt(d.phrase(task, host=host))
    on = d.rng.random() < 0.8
    act(tr, d, ipmi_step(host, "chassis power status", f"Chassis Power is {'on' if on else 'off'}"))
    answer(tr, f"bmc-{host} reports {host} powered {'on' if on else 'off'}.")


def ipmi_sensors(tr: Transcript, d: Draw, task: Task) -> None:
    host = d.combo(task.name, [(h,) for h in PVE])[0]
    tr.prompt(d.phrase(task, host=host))
    cpu = d.choice([d.rng.randint(38, 62), d.rng.randint(85, 94)])
    out = (
        f"CPU1 Temp        | {cpu}.000     | degrees C  | {'ok' if cpu < 80 else 'nc'}\n"
        f"System Temp      | {d.rng.randint(25, 35)}.000     | degrees C  | ok\n"
        f"FAN1             | {d.rng.randint(40, 90)}00.000   | RPM        | ok\n"
        "PS1 Status       | 0x01       | discrete   | 0x0100"
    )
    act(tr, d, ipmi_step(host, "sensor", out))
    if cpu < 80:
        answer(tr, f"{host} is fine: CPU1 at {cpu} °C, fans and PSU normal.")
    else:
        answer(tr, f"{host} runs hot: CPU1 at {cpu} °C (non-critical). Check airflow and fans.")


def ipmi_bootdev_get(tr: Transcript, d: Draw, task: Task) -> None:
    host = d.choice(PVE)
    tr.prompt(d.phrase(task, host=host))
    dev = d.choice(["Force Boot from default Hard-Drive", "Force PXE", "No override"])
    out = (
        "Boot parameter version: 1\nBoot parameter 5 is valid/unlocked\n"
        f"Boot Device Selector : {dev}"
    )
    act(tr, d, ipmi_step(host, "chassis bootparam get 5", out))
    answer(tr, f"bmc-{host} boot device: {dev}.")


BOOT_DEVICES = {
    "PXE": ("pxe", "network"),
    "the disk": ("disk", "hd"),
    "BIOS setup": ("bios", "setup"),
}


def ipmi_bootdev_set(tr: Transcript, d: Draw, task: Task) -> None:
    host = d.choice(PVE)
    label = d.choice(sorted(BOOT_DEVICES))
    tr.prompt(d.phrase(task, host=host, device=label))
    ipmi_word, _ = BOOT_DEVICES[label]
    act(tr, d, ipmi_step(host, f"chassis bootdev {ipmi_word}", f"Set Boot Device to {ipmi_word}"))
    answer(tr, f"{host} will boot from {label} on its next start (one time).")


def power_cycle(tr: Transcript, d: Draw, task: Task) -> None:
    host = d.choice(PVE)
    tr.prompt(d.phrase(task, host=host))
    act(tr, d, ipmi_step(host, "chassis power cycle", "Chassis Power Control: Cycle"))
    answer(tr, f"Power cycle sent to {host}; it should answer SSH again in about two minutes.")


def unreachable(tr: Transcript, d: Draw, task: Task) -> None:
    host = d.choice(PVE)
    tr.prompt(d.phrase(task, host=host))
    err = f"ssh: connect to host {host} port 22: Connection timed out"
    act(tr, d, ssh_step(host, "uptime", "", exit_code=255, stderr=err))
    on = d.rng.random() < 0.7
    act(
        tr,
        d,
        ipmi_step(host, "chassis power status", f"Chassis Power is {'on' if on else 'off'}"),
        "SSH times out; asking its BMC.",
    )
    if on:
        answer(
            tr,
            f"{host} is powered on but not answering SSH: probably hung. A power cycle "
            "(needs approval) is the usual fix; check quorum from another node first.",
        )
    else:
        answer(tr, f"{host} is powered off. Power it on through bmc-{host} (needs approval).")


# --- monitoring (mon01) ----------------------------------------------------------------------


def prom_result(metric: str, series: list[tuple[dict, str]]) -> str:
    return json.dumps(
        {
            "status": "success",
            "data": {
                "resultType": "vector",
                "result": [
                    {"metric": {"__name__": metric, **labels}, "value": [1764000000, value]}
                    for labels, value in series
                ],
            },
        }
    )


def exporter_up(tr: Transcript, d: Draw, task: Task) -> None:
    host = d.choice(SSH_HOSTS)
    tr.prompt(d.phrase(task, host=host))
    up = d.choice(["1", "1", "0"])
    url = f'{PROM}/api/v1/query?query=up{{instance="{host}:9100"}}'
    out = prom_result("up", [({"instance": f"{host}:9100", "job": "node"}, up)])
    act(tr, d, http_step(url, out))
    answer(
        tr,
        f"Prometheus scrapes {host}'s node exporter fine (up = 1)."
        if up == "1"
        else f"{host}'s node exporter is down (up = 0): check the exporter on {host}.",
    )


def targets_down(tr: Transcript, d: Draw, task: Task) -> None:
    tr.prompt(d.phrase(task))
    down = d.rng.sample(list(SSH_HOSTS), d.choice([0, 1, 1, 2]))
    targets = [
        {
            "labels": {"instance": f"{h}:9100", "job": "node"},
            "health": "down" if h in down else "up",
        }
        for h in SSH_HOSTS
    ]
    out = json.dumps({"status": "success", "data": {"activeTargets": targets}})
    act(tr, d, http_step(f"{PROM}/api/v1/targets?state=active", out))
    if down:
        answer(tr, "Down targets: " + ", ".join(f"{h}:9100" for h in down) + ".")
    else:
        answer(tr, "All Prometheus targets are up.")


ALERTS = [
    ("HostDown", "critical"),
    ("NodeFilesystemAlmostFull", "warning"),
    ("ZfsPoolDegraded", "critical"),
    ("PveServiceDown", "critical"),
    ("HighLoad", "warning"),
]


def alerts_firing(tr: Transcript, d: Draw, task: Task) -> None:
    tr.prompt(d.phrase(task))
    firing = [
        (name, sev, d.choice(SSH_HOSTS)) for name, sev in d.rng.sample(ALERTS, d.choice([0, 1, 2]))
    ]
    out = json.dumps(
        [
            {
                "labels": {"alertname": n, "severity": s, "instance": f"{h}:9100"},
                "status": {"state": "active"},
            }
            for n, s, h in firing
        ]
    )
    act(tr, d, http_step(f"{ALERTMANAGER}/api/v2/alerts?active=true", out))
    if firing:
        answer(tr, "Firing: " + "; ".join(f"{n} ({s}) on {h}" for n, s, h in firing) + ".")
    else:
        answer(tr, "Nothing is firing in Alertmanager.")


def grafana_health(tr: Transcript, d: Draw, task: Task) -> None:
    tr.prompt(d.phrase(task))
    ok = d.rng.random() < 0.8
    out = json.dumps(
        {"commit": "03f502a94d", "database": "ok" if ok else "failing", "version": "11.3.1"}
    )
    act(tr, d, http_step(f"{GRAFANA}/api/health", out))
    answer(
        tr,
        "Grafana is healthy (database ok, 11.3.1)."
        if ok
        else "Grafana answers but its database is failing.",
    )


def pool_state_query(tr: Transcript, d: Draw, task: Task) -> None:
    tr.prompt(d.phrase(task))
    degraded = d.rng.random() < 0.3
    url = f'{PROM}/api/v1/query?query=node_zfs_zpool_state{{state!="online"}}>0'
    series = (
        [({"instance": "nas01:9100", "zpool": "tank", "state": "degraded"}, "1")]
        if degraded
        else []
    )
    act(tr, d, http_step(url, prom_result("node_zfs_zpool_state", series)))
    answer(
        tr,
        "Prometheus reports tank on nas01 as degraded."
        if degraded
        else "Every ZFS pool is online according to Prometheus.",
    )


def prometheus_reload(tr: Transcript, d: Draw, task: Task) -> None:
    tr.prompt(d.phrase(task))
    act(tr, d, http_step(f"{PROM}/-/reload", "", method="POST"))
    answer(tr, "Prometheus reloaded its configuration and rules.")


# --- knowledge only (no tool) ----------------------------------------------------------------

BMC_OF = {h: f"bmc-{h}" for h in PVE}


def lab_fact(tr: Transcript, d: Draw, task: Task) -> None:
    kind = d.choice(["address", "bmc", "storage", *sorted(TOPOLOGY_FACTS)])
    if kind == "address":
        host = d.choice(sorted(ADDRESSES))
        tr.prompt(d.choice(ADDRESS_QUESTIONS).format(host=host))
        answer(tr, d.choice(ADDRESS_ANSWERS).format(host=host, address=ADDRESSES[host]))
    elif kind == "bmc":
        host = d.choice(PVE)
        bmc = BMC_OF[host]
        tr.prompt(d.choice(BMC_QUESTIONS).format(host=host))
        answer(tr, d.choice(BMC_ANSWERS).format(host=host, bmc=bmc, address=ADDRESSES[bmc]))
    elif kind == "storage":
        host = d.choice(PVE)
        tr.prompt(d.choice(STORAGE_QUESTIONS).format(host=host))
        answer(tr, d.choice(STORAGE_ANSWERS).format(host=host, address=STORAGE_ADDRESS[host]))
    else:
        questions, answers = TOPOLOGY_FACTS[kind]
        tr.prompt(d.choice(questions))
        answer(tr, d.choice(answers))


# Several wordings of each question and answer: identical examples are removed as duplicates
# before the split, so one wording per fact would leave the model a handful of no-tool turns.
ADDRESS_QUESTIONS = (
    "what's the IP of {host}?",
    "{host} address?",
    "Where do I find {host} on the network?",
    "what IP does {host} have?",
    "which address is {host} on?",
    "remind me of {host}'s IP",
)
ADDRESS_ANSWERS = (
    "{host} is at {address}.",
    "{host}'s address is {address}.",
    "You reach {host} at {address}.",
)
BMC_QUESTIONS = (
    "which BMC manages {host}?",
    "What's the out-of-band controller for {host}?",
    "which IPMI controller belongs to {host}, and where is it?",
    "{host}'s BMC address?",
    "where do IPMI commands for {host} go?",
)
BMC_ANSWERS = (
    "{host}'s BMC is {bmc} at {address}.",
    "{bmc} ({address}) is the BMC of {host}: IPMI calls go to it, not to {host} itself.",
)
STORAGE_QUESTIONS = (
    "{host}'s storage network address?",
    "which IP does {host} use for NFS traffic?",
    "what's {host}'s address on the storage VLAN?",
    "{host} on VLAN 30: which IP?",
)
STORAGE_ANSWERS = (
    "On the storage VLAN (30, 10.20.30.0/24) {host} is {address}.",
    "{host} uses {address} on the storage VLAN (VLAN 30, 10.20.30.0/24) for NFS.",
)
# What an operator asks about the lab's layout and the assistant knows without a tool call
# (config/rag/network-topology.md and the inventory): kind -> (questions, answers).
TOPOLOGY_FACTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "storage_vlan": (
        ("what VLAN is the storage network?", "storage subnet?",
         "where does NFS traffic go, network-wise?", "which VLAN and subnet carry storage?"),
        ("Storage is VLAN 30, 10.20.30.0/24, with no gateway: NFS and replication traffic "
         "never leave the rack.",
         "NFS and replication run on the storage VLAN: VLAN 30, subnet 10.20.30.0/24, not "
         "routed."),
    ),
    "monitoring_ports": (
        ("what port is grafana on?", "prometheus and alertmanager ports?",
         "where do I reach the monitoring UIs?", "which ports does the monitoring stack use?"),
        ("All three run on mon01 (10.20.0.30): Prometheus on :9090, Alertmanager on :9093 and "
         "Grafana on :3000.",
         "On mon01: Prometheus listens on 9090, Alertmanager on 9093, Grafana on 3000."),
    ),
    "monitoring_host": (
        ("which host runs the monitoring stack?", "where does prometheus run?",
         "what machine hosts grafana?"),
        ("mon01 (10.20.0.30) runs the monitoring stack: Prometheus, Alertmanager and Grafana.",
         "The monitoring stack lives on mon01, 10.20.0.30."),
    ),
    "cluster": (
        ("which hosts are in the proxmox cluster?", "how many votes does the cluster need?",
         "how many nodes can we lose and keep quorum?", "what makes up the PVE cluster?"),
        ("The Proxmox cluster is pve01, pve02 and pve03 with one vote each: it needs 2 of the 3 "
         "votes to stay quorate, so it survives losing one node.",
         "Three nodes, pve01, pve02 and pve03, one vote each; quorum is 2 votes, so losing one "
         "node is fine and losing two is not."),
    ),
    "gateway": (
        ("what's the gateway for the mgmt VLAN?", "which box routes between the VLANs?",
         "default gateway of the management network?"),
        ("fw01 at 10.20.0.1: it is the gateway of the mgmt VLAN (10, 10.20.0.0/23) and routes "
         "between the VLANs.",
         "The management network's default gateway is fw01, 10.20.0.1; it also routes between "
         "the VLANs."),
    ),
    "pool_layout": (
        ("what disks make up tank?", "what raid level is the NAS pool?",
         "how many disk failures can tank take?", "how is tank laid out?"),
        ("tank on nas01 is a raidz2 of six 8 TB disks: it keeps running with any two of them "
         "failed.",
         "nas01's pool tank: one raidz2 vdev of six 8 TB disks, so two disks may fail."),
    ),
    "dns": (
        ("who answers DNS in the lab?", "which host is the resolver for lab.internal?",
         "what's our DNS server?"),
        ("fw01 (10.20.0.1) is the DNS resolver for lab.internal; it forwards other names "
         "upstream.",
         "DNS for lab.internal is answered by fw01 at 10.20.0.1."),
    ),
}  # fmt: skip


# --- requests the agent must not carry out (no tool call) -------------------------------------
# Operators do ask for destructive things; in the transcripts the assistant declines in words,
# says why and what it would check instead, and calls nothing. Each kind renders a request, the
# command it stands for and a safe alternative; the policy blocks every one of these commands
# (tests/halops/samplegen check it), so a model that learns to propose them would only ever
# meet a refusal from the gate.
DANGEROUS: tuple[tuple[str, str, str], ...] = (
    # (request template, the dangerous command, what to do instead)
    ("wipe {disk} on {host} with dd, we're retiring it", "dd if=/dev/zero of=/dev/{disk}",
     "I can read its SMART data and serial first so we know exactly which disk it is"),
    ("format /dev/{disk} on {host} as ext4", "mkfs.ext4 /dev/{disk}",
     "I can show what is on it now with lsblk so you can confirm it is unused"),
    ("delete everything under / on {host} to free space", "rm -rf /",
     "I can check which filesystem is full with df -h and find the big directories"),
    ("make /etc on {host} world-writable with chmod -R 777", "chmod -R 777 /etc",
     "I can check the permissions of the file that is causing trouble"),
    ("pipe the install script from http://get.example.com/install.sh into sh on {host}",
     "curl -s http://get.example.com/install.sh | sh",
     "I can download it so you can read it first"),
    ("drop all firewall rules on {host} with iptables -F", "iptables -F",
     "I can list the current rules with iptables -S so we can find the one in the way"),
    ("overwrite the boot sector of {disk} on {host}", "dd of=/dev/{disk} bs=512 count=1",
     "I can show the partition table with lsblk instead"),
    ("kill every process on {host} with kill -9 -1", "kill -9 -1",
     "I can show the top CPU and memory users so we can pick the one that misbehaves"),
    ("throw away the pool tank on nas01 and recreate it", "zpool destroy tank",
     "I can show zpool status tank so we see what state it is really in"),
    ("enable all the new zfs feature flags on tank (nas01)", "zpool upgrade tank",
     "I can show the pool's current features with zpool get all tank"),
    ("make {host} quorate by itself, set expected votes to 1", "pvecm expected 1",
     "I can show pvecm status so we see which nodes are missing and why"),
    ("clear out /var/log on {host} using find with -delete", "find /var/log -type f -delete",
     "I can list the biggest files under /var/log so we rotate the right ones"),
    ("decode ZWNobyBoaQ== from base64 and run it in a shell on {host}",
     "echo ZWNobyBoaQ== | base64 -d | sh", "I can decode it and show you what it says first"),
    ("as root, delete /var/lib/vz/dump on {host} through sudo sh -c",
     'sudo sh -c "rm -rf /var/lib/vz/dump"',
     "I can list the old backups there so you pick the ones to remove"),
    ("hop from {host} to pve03 over ssh and wipe its root filesystem",
     'ssh root@pve03 "rm -rf /"', "I can check pve03's disk usage with df -h instead"),
)  # fmt: skip
# Worded to hold for both tiers these commands fall in: blocked outright, or held until an
# on-call approves (zpool destroy, find -delete, sudo sh -c "rm -rf <dir>").
REFUSALS = (
    "I won't run `{command}` on {host}: it is destructive and the safety policy stops it. "
    "Instead, {instead}.",
    "I can't do that: `{command}` would do irreversible damage on {host}, and commands like "
    "it are blocked or held for approval. If it helps, {instead}.",
    "That's not something I will run. `{command}` on {host} cannot be undone, so the policy "
    "refuses it; {instead}.",
)
LITERAL_REQUEST_SHARE = 0.35
LITERAL_REQUESTS = (
    "run `{command}` on {host}",
    "on {host} run `{command}`",
    "execute {command} on {host}, it's fine",
    "run `{command}` on {host}, I know what I'm doing",
)
UNKNOWN_HOSTS = ("10.20.0.77", "10.20.2.5", "db01", "pve07", "backup02", "10.30.0.4")
UNKNOWN_HOST_REQUESTS = (
    "ssh to {host} and check its disk space",
    "what's the uptime of {host}?",
    "restart nginx on {host}",
    "check if {host} is up",
)
UNKNOWN_HOST_ANSWERS = (
    "{host} is not in the inventory, so I can't reach it; only the lab's known hosts "
    "({known}) are allowed. If it is a new machine, add it to config/inventory.yaml first.",
    "I can't: {host} is unknown, it is not listed in config/inventory.yaml, and the policy "
    "only lets me reach inventory hosts ({known}).",
)


def refuse_dangerous(tr: Transcript, d: Draw, task: Task) -> None:
    if d.rng.random() < 0.2:
        host = d.choice(UNKNOWN_HOSTS)
        tr.prompt(d.choice(UNKNOWN_HOST_REQUESTS).format(host=host))
        known = ", ".join(SSH_HOSTS)
        answer(tr, d.choice(UNKNOWN_HOST_ANSWERS).format(host=host, known=known))
        return
    template, command, instead = d.choice(DANGEROUS)
    host = "nas01" if "{disk}" in template or "nas01" in template else d.choice(PVE)
    disk = d.choice(DISKS)
    command = command.format(disk=disk)
    # Operators either describe what they want done or paste the command itself.
    if d.rng.random() < LITERAL_REQUEST_SHARE:
        request = d.choice(LITERAL_REQUESTS).format(host=host, command=command)
    else:
        request = template.format(host=host, disk=disk)
    tr.prompt(d.choice(task.phrasings).format(request=request))
    text = d.choice(REFUSALS).format(command=command, host=host, instead=instead)
    answer(tr, text)


TASKS: tuple[Task, ...] = (
    Task(
        "service_status",
        service_status,
        (
            "Is {service} running on {host}?",
            "check {service} on {host}",
            "{service} on {host}: up or down?",
            "what's the state of the {service} service on {host}",
            "can you verify that {service} is healthy on {host}?",
            "is the {service} daemon alive on {host}",
        ),
        (
            "Quick one: does {host} still run {service}?",
            "Tell me whether {service} works on {host}.",
        ),
        weight=5,
    ),
    Task(
        "service_logs",
        service_logs,
        (
            "why did {service} fail on {host}? check its logs",
            "show me the recent {service} log on {host}",
            "{service} on {host} keeps crashing, what does the journal say?",
            "look at the {service} journal on {host}",
        ),
        ("Dig into the {service} logs on {host} for me.",),
        weight=3,
    ),
    Task(
        "restart_service",
        restart_service,
        (
            "restart {service} on {host}",
            "please bounce {service} on {host}",
            "{service} on {host} is stuck, restart it",
            "can you restart the {service} service on {host}?",
        ),
        ("Give {service} on {host} a restart.",),
        weight=3,
    ),
    Task(
        "failed_units",
        failed_units,
        (
            "any failed units on {host}?",
            "does systemd report anything failed on {host}",
            "list failed services on {host}",
        ),
        ("Is anything broken in systemd on {host}?",),
    ),
    Task(
        "disk_usage",
        disk_usage,
        (
            "how full is {mount} on {host}?",
            "disk space of {mount} on {host}",
            "is {mount} on {host} running out of space?",
            "check free space on {host} ({mount})",
        ),
        ("How much room is left in {mount} on {host}?",),
        weight=3,
    ),
    Task(
        "uptime_load",
        uptime_load,
        (
            "how long has {host} been up?",
            "what's the load on {host}",
            "uptime of {host}",
            "is {host} busy right now?",
        ),
        ("When did {host} last reboot?",),
    ),
    Task(
        "memory",
        memory,
        ("how much memory is free on {host}?", "RAM usage on {host}", "is {host} short on memory?"),
        ("Show me {host}'s memory situation.",),
    ),
    Task(
        "kernel",
        kernel,
        ("which kernel does {host} run?", "kernel version on {host}", "what kernel is {host} on"),
        ("Which Linux version is {host} booted into?",),
        weight=1,
    ),
    Task(
        "time_sync",
        time_sync,
        ("is the clock on {host} in sync?", "check time sync on {host}", "is chrony ok on {host}"),
        ("Has {host}'s clock drifted?",),
        weight=1,
    ),
    Task(
        "pending_updates",
        pending_updates,
        ("any updates pending on {host}?", "which packages can be upgraded on {host}"),
        ("Does {host} need patching?",),
        weight=1,
    ),
    Task(
        "vm_list",
        vm_list,
        (
            "which VMs are on {host}?",
            "list the guests of {host}",
            "what runs on {host}?",
            "show VMs on {host} and whether they're running",
        ),
        ("Give me an overview of the virtual machines on {host}.",),
    ),
    Task(
        "quorum",
        quorum,
        (
            "is the cluster quorate? ask {host}",
            "check quorum from {host}",
            "how many votes does the cluster have right now (use {host})",
        ),
        ("From {host}, tell me if the cluster is healthy.",),
    ),
    Task(
        "storage_status",
        storage_status,
        (
            "is nas-tank available on {host}?",
            "check the Proxmox storages on {host}",
            "{host} says storage nas-tank is unavailable, why?",
        ),
        ("Are all storages online on {host}?",),
    ),
    Task(
        "ping_storage",
        ping_storage,
        (
            "can {host} reach nas01 on the storage network?",
            "ping nas01 over VLAN 30 from {host}",
            "test the storage link from {host} to the NAS",
        ),
        ("Does {host} still talk to nas01 on the storage VLAN?",),
        weight=1,
    ),
    Task(
        "bond_status",
        bond_status,
        ("are both bond ports up on {host}?", "check bond0 on {host}", "is {host}'s LACP bond ok"),
        ("Is {host} running on both 10G links?",),
        weight=1,
    ),
    Task(
        "zpool_health",
        zpool_health,
        (
            "is the tank pool healthy?",
            "how is zfs doing on nas01?",
            "check the ZFS pool on the NAS",
            "any errors on tank?",
            "zpool status of nas01 please",
        ),
        ("Is anything wrong with the storage pool on nas01?",),
        weight=4,
    ),
    Task(
        "smart_disk",
        smart_disk,
        (
            "SMART health of /dev/{disk} on nas01?",
            "check SMART for {disk} in the NAS",
            "is /dev/{disk} on nas01 dying?",
            "run smartctl on {disk} (nas01)",
        ),
        ("How healthy is disk {disk} in nas01?",),
        weight=3,
    ),
    Task(
        "disk_serial",
        disk_serial,
        ("serial number of /dev/{disk} on nas01?", "which serial does {disk} in the NAS have"),
        ("I need the serial of nas01's {disk}.",),
        weight=1,
    ),
    Task(
        "dataset_usage",
        dataset_usage,
        (
            "how much space does {dataset} use?",
            "size of {dataset} on nas01",
            "how much is left for {dataset}",
        ),
        ("Is {dataset} getting big?",),
    ),
    Task(
        "latest_snapshot",
        latest_snapshot,
        (
            "when was {dataset} last snapshotted?",
            "list the snapshots of {dataset}",
            "newest snapshot of {dataset}?",
        ),
        ("Which snapshot of {dataset} is the most recent one?",),
    ),
    Task(
        "snapshot_create",
        snapshot_create,
        (
            "take a snapshot of {dataset} called {name}",
            "snapshot {dataset} as {name}",
            "please create snapshot {name} of {dataset}",
        ),
        ("Before I touch it, snapshot {dataset} ({name}).",),
        weight=1,
    ),
    Task(
        "nfs_exports",
        nfs_exports,
        ("what does nas01 export?", "list the NFS exports of the NAS", "show nas01's exports"),
        ("Which shares does nas01 offer over NFS?",),
        weight=1,
    ),
    Task(
        "ipmi_power",
        ipmi_power,
        (
            "is {host} powered on? check the BMC",
            "power state of {host} via IPMI",
            "ask bmc-{host} whether {host} is on",
        ),
        ("Use IPMI to see if {host} has power.",),
        weight=3,
    ),
    Task(
        "ipmi_sensors",
        ipmi_sensors,
        (
            "temperatures on {host} via IPMI?",
            "read the sensors of {host}'s BMC",
            "is {host} overheating? check ipmi",
            "hardware sensors of {host}",
        ),
        ("How warm is {host} running according to its BMC?",),
        weight=3,
    ),
    Task(
        "ipmi_bootdev_get",
        ipmi_bootdev_get,
        ("what will {host} boot from next?", "boot device setting of {host}'s BMC"),
        ("Which boot override is set on {host}?",),
        weight=1,
    ),
    Task(
        "ipmi_bootdev_set",
        ipmi_bootdev_set,
        ("make {host} boot from {device} next time", "set {host}'s next boot to {device}"),
        ("On its next start {host} should come up from {device}.",),
        weight=1,
    ),
    Task(
        "power_cycle",
        power_cycle,
        ("{host} is frozen, power cycle it", "hard reset {host} through its BMC"),
        ("{host} hangs. Cycle its power.",),
        weight=1,
    ),
    Task(
        "unreachable",
        unreachable,
        (
            "{host} doesn't respond",
            "can't reach {host}, what's going on?",
            "{host} dropped off the network, investigate",
        ),
        ("I lost {host}, please find out why.",),
        weight=2,
    ),
    Task(
        "exporter_up",
        exporter_up,
        (
            "is {host}'s node exporter being scraped?",
            "does prometheus see {host}?",
            "is the node exporter on {host} up in prometheus",
        ),
        ("Check in Prometheus that {host} reports metrics.",),
    ),
    Task(
        "targets_down",
        targets_down,
        ("which scrape targets are down?", "any prometheus targets failing?", "list down targets"),
        ("Is Prometheus missing any target?",),
    ),
    Task(
        "alerts_firing",
        alerts_firing,
        ("what's firing in alertmanager?", "any active alerts?", "show current alerts"),
        ("Is anything paging right now?",),
        weight=3,
    ),
    Task(
        "grafana_health",
        grafana_health,
        ("is grafana ok?", "check grafana's health endpoint", "grafana health?"),
        ("Is the dashboard server up?",),
        weight=1,
    ),
    Task(
        "pool_state_query",
        pool_state_query,
        ("ask prometheus if any zpool is not online", "does prometheus show a degraded pool?"),
        ("Query the pool state metric for problems.",),
        weight=1,
    ),
    Task(
        "prometheus_reload",
        prometheus_reload,
        ("reload prometheus", "make prometheus re-read its rules"),
        ("Prometheus needs to pick up the new rules now.",),
        weight=1,
    ),
    Task("lab_fact", lab_fact, ("(questions in the task)",), weight=9),
    Task(
        "refuse_dangerous",
        refuse_dangerous,
        (
            "{request}",
            "please {request}",
            "can you {request}?",
            "{request} now",
            "I need you to {request}",
            "go ahead and {request}",
        ),
        weight=9,
    ),
)
