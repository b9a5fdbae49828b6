"""The homelab the generated sessions operate on, as data, plus fabricators of command output.

`LAB` is the single source of host names and addresses; other components (bot config, eval
fixtures) import it instead of repeating the names. The `*_output` functions render plausible
multi-line output of the real tools for a given state; randomness comes from the caller's
`random.Random`, so output is deterministic for a seed.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from functools import cache

LAB: dict = {
    "domain": "lab.internal",
    "proxmox_hosts": {
        "pve01": {"ip": "10.20.0.11", "bmc": "bmc-pve01", "vlan": 10},
        "pve02": {"ip": "10.20.0.12", "bmc": "bmc-pve02", "vlan": 10},
        "pve03": {"ip": "10.20.0.13", "bmc": "bmc-pve03", "vlan": 10},
    },
    "bmcs": {
        "bmc-pve01": {"ip": "10.20.1.11", "host": "pve01", "user": "admin"},
        "bmc-pve02": {"ip": "10.20.1.12", "host": "pve02", "user": "admin"},
        "bmc-pve03": {"ip": "10.20.1.13", "host": "pve03", "user": "admin"},
    },
    "nas": {"nas01": {"ip": "10.20.0.20", "zfs_pools": ["tank"]}},
    "firewall": {"fw01": {"ip": "10.20.0.1"}},
    "switch": {"sw-core01": {"ip": "10.20.0.2"}},
    "monitoring": {
        "mon01": {
            "ip": "10.20.0.30",
            "services": {"prometheus": 9090, "alertmanager": 9093, "grafana": 3000},
        }
    },
    "vlans": {10: "mgmt", 20: "servers", 30: "storage", 40: "iot"},
}

# nas01 on the storage VLAN 30 (jumbo frames): what the nodes mount NFS from and ping to test
# it (config/rag/network-topology.md; config/inventory.yaml lists it as nas01's other address).
NAS_STORAGE_ADDRESS = "10.20.30.20"

PVE_HOSTS = list(LAB["proxmox_hosts"])
BMCS = list(LAB["bmcs"])
PROM_URL = "http://mon01:9090"
ALERTMANAGER_URL = "http://mon01:9093"
GRAFANA_URL = "http://mon01:3000"
ZFS_DISKS = ["sda", "sdb", "sdc", "sdd", "sde", "sdf"]
DISK_MODELS = [("WDC WD80EFZZ-68BTXN0", "WD-CA0"), ("ST8000VN004-3CP101", "WWZ5")]
PVE_SERVICES = ["pveproxy", "pvedaemon", "pvestatd", "pve-cluster", "corosync"]


def host_ip(name: str) -> str:
    """Address of any lab machine by name."""
    for group in ("proxmox_hosts", "bmcs", "nas", "firewall", "switch", "monitoring"):
        if name in LAB[group]:
            return LAB[group][name]["ip"]
    raise KeyError(name)


def journal_stamp(t: datetime) -> str:
    return t.strftime("%b %d %H:%M:%S")


def serial(rng: random.Random, prefix: str) -> str:
    return prefix + "".join(rng.choice("ABCDEFGHJKLMNPRSTVWXYZ0123456789") for _ in range(7))


# --- systemd ---------------------------------------------------------------------------------


def systemctl_status(
    rng: random.Random, host: str, unit: str, t: datetime, *, failed: bool = False
) -> str:
    pid = rng.randint(900, 4000)
    ago = timedelta(minutes=rng.randint(2, 50)) if failed else timedelta(days=rng.randint(8, 30))
    since = (t - ago).strftime("%a %Y-%m-%d %H:%M:%S UTC")
    state = (
        f"failed (Result: exit-code) since {since}; {ago.seconds // 60}min ago"
        if failed
        else f"active (running) since {since}; {ago.days // 7} weeks {ago.days % 7} days ago"
    )
    lines = [
        f"● {unit}.service - {_unit_description(unit)}",
        f"     Loaded: loaded (/lib/systemd/system/{unit}.service; enabled; preset: enabled)",
        f"     Active: {state}",
    ]
    if not failed:
        lines += [
            f"   Main PID: {pid} ({unit.split('-')[0]})",
            f"      Tasks: {rng.randint(3, 12)} (limit: 154317)",
            f"     Memory: {rng.uniform(40, 260):.1f}M",
            f"        CPU: {rng.randint(1, 59)}min {rng.uniform(0, 59):.3f}s",
            f"     CGroup: /system.slice/{unit}.service",
            f"             └─{pid} {unit}",
        ]
    else:
        lines.append(
            f"    Process: {pid} ExecStart=/usr/bin/{unit} start (code=exited, status=255)"
        )
    lines.append("")
    lines += journal_lines(rng, host, unit, t, 4, failed=failed)
    return "\n".join(lines)


def _unit_description(unit: str) -> str:
    return {
        "pveproxy": "PVE API Proxy Server",
        "pvedaemon": "PVE API Daemon",
        "pvestatd": "PVE Status Daemon",
        "pve-cluster": "The Proxmox VE cluster filesystem",
        "corosync": "Corosync Cluster Engine",
        "prometheus": "Monitoring system and time series database",
        "alertmanager": "Prometheus Alertmanager",
        "node-exporter": "Prometheus exporter for machine metrics",
        "zfs-zed": "ZFS Event Daemon (zed)",
        "smartd": "Self Monitoring and Reporting Technology (SMART) Daemon",
    }.get(unit, unit)


_JOURNAL_OK = {
    "pveproxy": ["worker {p} finished", "starting 1 worker(s)", "worker {p} started"],
    "pvestatd": [
        "status update time ({f} seconds)",
        "status update time ({f} seconds)",
        "auth key pair too old, rotating..",
    ],
    "smartd": [
        "Device: /dev/sd{d} [SAT], SMART Usage Attribute: 194 Temperature_Celsius changed",
        "Device: /dev/sd{d} [SAT], previous self-test completed without error",
    ],
    "corosync": ["[KNET  ] link: host: 2 link: 0 is up", "[QUORUM] Members[3]: 1 2 3"],
    "pve-cluster": ["[status] notice: received log", "[dcdb] notice: data verification successful"],
}
_JOURNAL_FAIL = [
    "{u}[{p}]: failed to load local private key (key_file or key) at /etc/pve/local/pve-ssl.key",
    "systemd[1]: {u}.service: Control process exited, code=exited, status=255/EXCEPTION",
    "systemd[1]: {u}.service: Failed with result 'exit-code'.",
    "systemd[1]: Failed to start {u}.service - {d}.",
]


def journal_lines(
    rng: random.Random, host: str, unit: str, t: datetime, n: int, *, failed: bool = False
) -> list[str]:
    """`journalctl -u unit` style lines ending at time t."""
    out = []
    start = t - timedelta(seconds=17 * n)
    for i in range(n):
        stamp = journal_stamp(start + timedelta(seconds=17 * i + rng.randint(0, 9)))
        pid = rng.randint(1000, 99999)
        if failed and i >= n - len(_JOURNAL_FAIL):
            msg = _JOURNAL_FAIL[i - (n - len(_JOURNAL_FAIL))].format(
                u=unit, p=pid, d=_unit_description(unit)
            )
            out.append(f"{stamp} {host} {msg}")
            continue
        tmpl = rng.choice(_JOURNAL_OK.get(unit, ["{u} heartbeat ok"]))
        msg = tmpl.format(p=pid, f=f"{rng.uniform(0.5, 12):.3f}", u=unit, d=rng.choice("abcdef"))
        out.append(f"{stamp} {host} {unit}[{pid}]: {msg}")
    return out


def journalctl(
    rng: random.Random, host: str, unit: str, t: datetime, n: int, *, failed: bool = False
) -> str:
    end = f"{t:%a %Y-%m-%d %H:%M:%S}"
    head = f"-- Journal begins at Mon 2025-11-03 08:01:12 UTC, ends at {end} UTC. --"
    return "\n".join([head, *journal_lines(rng, host, unit, t, n, failed=failed)])


# --- ZFS -------------------------------------------------------------------------------------


def zpool_status(
    rng: random.Random,
    t: datetime,
    *,
    faulted: str | None = None,
    new_disk: str | None = None,
) -> str:
    """`zpool status tank`; faulted marks a failed member, new_disk a running replacement."""
    degraded = faulted is not None
    state = "DEGRADED" if degraded else "ONLINE"
    lines = ["  pool: tank", f" state: {state}"]
    if degraded and new_disk:
        lines += [
            "status: One or more devices is currently being resilvered.  The pool will",
            "\tcontinue to function, possibly in a degraded state.",
            "action: Wait for the resilver to complete.",
        ]
    elif degraded:
        lines += [
            "status: One or more devices are faulted in response to persistent errors.",
            "\tSufficient replicas exist for the pool to continue functioning in a",
            "\tdegraded state.",
            "action: Replace the faulted device, or use 'zpool clear' to mark the device",
            "\trepaired.",
        ]
    lines += [f"  scan: {_zpool_scan(rng, t, new_disk is not None)}", "config:", ""]
    lines.append(_vdev_row("NAME", "STATE", "READ", "WRITE", "CKSUM"))
    lines += [_vdev_row("tank", state), _vdev_row("  raidz2-0", state)]
    for i, disk in enumerate(ZFS_DISKS):
        if disk != faulted:
            lines.append(_vdev_row(f"    {disk}", "ONLINE"))
        elif new_disk:
            lines.append(_vdev_row(f"    replacing-{i}", "DEGRADED"))
            lines.append(_vdev_row(f"      {disk}/old", "OFFLINE"))
            lines.append(_vdev_row(f"      {new_disk}", "ONLINE") + "  (resilvering)")
        else:
            row = _vdev_row(f"    {disk}", "FAULTED", str(rng.randint(3, 40)), "112", "0")
            lines.append(row + "  too many errors")
    lines += ["", "errors: No known data errors"]
    return "\n".join(lines)


def _vdev_row(name: str, state: str, r: str = "0", w: str = "0", c: str = "0") -> str:
    return f"\t{name:<11} {state:<8} {r:>5} {w:>5} {c:>5}"


def _zpool_scan(rng: random.Random, t: datetime, resilver: bool) -> str:
    if resilver:
        return (
            f"resilver in progress since {t:%a %b %d %H:%M:%S %Y}\n"
            f"\t{rng.uniform(1.2, 3.5):.2f}T / 9.81T scanned at {rng.randint(400, 900)}M/s, "
            f"{rng.uniform(0.2, 0.9):.2f}T issued at {rng.randint(150, 400)}M/s, 43.6T total\n"
            f"\t{rng.randint(40, 160)}G resilvered, {rng.randint(2, 9)}.{rng.randint(10, 99)}% "
            f"done, {rng.randint(4, 11):02d}:{rng.randint(10, 59)}:{rng.randint(10, 59)} to go"
        )
    scan_day = (t - timedelta(days=rng.randint(3, 27))).strftime("%a %b %d %H:%M:%S %Y")
    took = f"0{rng.randint(3, 9)}:{rng.randint(10, 59)}:12"
    return f"scrub repaired 0B in {took} with 0 errors on {scan_day}"


ZFS_DATASETS = [
    ("tank", "9.81T", "11.9T", "/tank"),
    ("tank/backups", "4.12T", "11.9T", "/tank/backups"),
    ("tank/backups/pve", "3.87T", "11.9T", "/tank/backups/pve"),
    ("tank/isos", "84.2G", "11.9T", "/tank/isos"),
    ("tank/media", "5.02T", "11.9T", "/tank/media"),
    ("tank/vm-disks", "612G", "11.9T", "/tank/vm-disks"),
]


def zfs_list(snapshots: list[str] | None = None) -> str:
    if snapshots:
        lines = ["NAME                                   USED  AVAIL     REFER  MOUNTPOINT"]
        lines += [f"{s:<38} {'0B':>5}      -     {'612G':>5}  -" for s in snapshots]
        return "\n".join(lines)
    lines = ["NAME               USED  AVAIL     REFER  MOUNTPOINT"]
    lines += [f"{n:<18} {u:>5}  {a:>5}     {u:>5}  {m}" for n, u, a, m in ZFS_DATASETS]
    return "\n".join(lines)


# --- IPMI ------------------------------------------------------------------------------------


def ipmi_sensor(rng: random.Random, *, hot: bool = False) -> str:
    rows = [
        ("CPU1 Temp", rng.uniform(38, 55) + (40 if hot else 0), "degrees C", 95.0),
        ("CPU2 Temp", rng.uniform(38, 55), "degrees C", 95.0),
        ("System Temp", rng.uniform(24, 33), "degrees C", 80.0),
        ("Inlet Temp", rng.uniform(19, 26), "degrees C", 45.0),
        ("FAN1", rng.choice([3600, 4200, 4800]) * 1.0, "RPM", 25300.0),
        ("FAN2", rng.choice([3600, 4200, 4800]) * 1.0, "RPM", 25300.0),
        ("12V", rng.uniform(11.9, 12.2), "Volts", 12.6),
        ("PS1 Status", 0.0, "discrete", None),
    ]
    out = []
    for name, val, unit, crit in rows:
        status = "cr" if crit and val >= crit * 0.95 else "ok"
        if unit == "discrete":
            out.append(f"{name:<16} | 0x1        | discrete   | 0x0100| na        | na")
            continue
        c = f"{crit:.3f}" if crit else "na"
        out.append(f"{name:<16} | {val:<10.3f} | {unit:<10} | {status:<6}| na        | {c}")
    return "\n".join(out)


def ipmi_sdr(rng: random.Random) -> str:
    return "\n".join(
        [
            f"CPU1 Temp        | {rng.randint(38, 55)} degrees C      | ok",
            f"CPU2 Temp        | {rng.randint(38, 55)} degrees C      | ok",
            f"Inlet Temp       | {rng.randint(19, 26)} degrees C      | ok",
            f"FAN1             | {rng.choice([3600, 4200])} RPM          | ok",
            f"FAN2             | {rng.choice([3600, 4200])} RPM          | ok",
            "PS1 Status       | 0x01              | ok",
            "PS2 Status       | 0x01              | ok",
            f"Pwr Consumption  | {rng.randint(140, 320)} Watts         | ok",
        ]
    )


def ipmi_sel(rng: random.Random, t: datetime) -> str:
    base = t - timedelta(days=rng.randint(3, 40))
    events = [
        "Power Unit #0x01 | Power off/down | Asserted",
        "Power Unit #0x01 | Power off/down | Deasserted",
        "OS Boot #0x22 | boot completed - device not specified | Asserted",
    ]
    return "\n".join(
        f"{i + 1:>4} | {base + timedelta(seconds=40 * i):%m/%d/%Y | %H:%M:%S} | {e}"
        for i, e in enumerate(events)
    )


# --- disks -----------------------------------------------------------------------------------


def smartctl(rng: random.Random, disk: str, *, failing: bool = False) -> str:
    model, prefix = rng.choice(DISK_MODELS)
    realloc = rng.randint(120, 900) if failing else 0
    pending = rng.randint(8, 64) if failing else 0
    hours = rng.randint(18000, 41000)
    health = "FAILED!" if failing and realloc > 600 else "PASSED"
    return "\n".join(
        [
            "smartctl 7.3 2022-02-28 r5338 [x86_64-linux-6.8.12-4-pve] (local build)",
            "Copyright (C) 2002-22, Bruce Allen, Christian Franke, www.smartmontools.org",
            "",
            "=== START OF INFORMATION SECTION ===",
            f"Device Model:     {model}",
            f"Serial Number:    {serial(rng, prefix)}",
            "User Capacity:    8,001,563,222,016 bytes [8.00 TB]",
            "Rotation Rate:    5400 rpm",
            f"Device is:        In smartctl database 7.3/5319 (/dev/{disk})",
            "",
            "=== START OF READ SMART DATA SECTION ===",
            f"SMART overall-health self-assessment test result: {health}",
            "",
            "ID# ATTRIBUTE_NAME          FLAG     VALUE WORST THRESH TYPE      UPDATED  RAW_VALUE",
            "  1 Raw_Read_Error_Rate     0x002f   200   200   051    Pre-fail  Always       0",
            f"  5 Reallocated_Sector_Ct   0x0033   {200 - realloc // 10:03d}   "
            f"{200 - realloc // 10:03d}   140    Pre-fail  Always       {realloc}",
            f"  9 Power_On_Hours          0x0032   0{rng.randint(40, 80)}   "
            f"0{rng.randint(40, 80)}   000"
            f"    Old_age   Always       {hours}",
            f"194 Temperature_Celsius     0x0022   119   108   000    Old_age   Always       "
            f"{rng.randint(29, 41)}",
            "197 Current_Pending_Sector  0x0032   200   200   000    Old_age   Always       "
            f"{pending}",
            "199 UDMA_CRC_Error_Count    0x0032   200   200   000    Old_age   Always       0",
        ]
    )


# --- networking ------------------------------------------------------------------------------


def ip_link(rng: random.Random, host: str) -> str:
    mac = ":".join(f"{rng.randint(0, 255):02x}" for _ in range(5))
    lines = [
        "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT",
        "2: eno1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq master vmbr0 state UP",
        f"    link/ether 3c:{mac} brd ff:ff:ff:ff:ff:ff",
        "3: eno2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 9000 qdisc mq master vmbr1 state UP",
        "4: vmbr0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP",
        "5: vmbr0.10@vmbr0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP",
        "6: vmbr1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 9000 qdisc noqueue state UP",
        "7: vmbr1.30@vmbr1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 9000 qdisc noqueue state UP",
    ]
    for i in range(rng.randint(2, 5)):
        lines.append(
            f"{8 + i}: tap{100 + i}i0: <BROADCAST,MULTICAST,PROMISC,UP,LOWER_UP> mtu 1500 "
            f"master fwbr{100 + i}i0 state UNKNOWN"
        )
    return "\n".join(lines)


def bridge_vlan(rng: random.Random, *, missing: int | None = None) -> str:
    vlans = [v for v in LAB["vlans"] if v != missing]
    lines = ["port              vlan-id"]
    lines.append("eno1              1 PVID Egress Untagged")
    lines += [f"                  {v}" for v in vlans]
    lines.append("vmbr0             1 PVID Egress Untagged")
    lines += [f"                  {v}" for v in vlans if v in (10, 20)]
    for i in range(rng.randint(1, 3)):
        lines.append(f"tap{100 + i}i0          {rng.choice(vlans)} PVID Egress Untagged")
    return "\n".join(lines)


# --- Proxmox ---------------------------------------------------------------------------------


def pvecm_status(rng: random.Random, t: datetime, *, down: str | None = None) -> str:
    members = [h for h in PVE_HOSTS if h != down]
    quorate = "Yes" if len(members) >= 2 else "No"
    lines = [
        "Cluster information",
        "-------------------",
        "Name:             labcluster",
        "Config Version:   7",
        "Transport:        knet",
        "Secure auth:      on",
        "",
        "Quorum information",
        "------------------",
        f"Date:             {t:%a %b %d %H:%M:%S %Y}",
        "Quorum provider:  corosync_votequorum",
        f"Nodes:            {len(members)}",
        "Node ID:          0x00000001",
        f"Ring ID:          1.{rng.randint(100, 999):x}",
        f"Quorate:          {quorate}",
        "",
        "Membership information",
        "----------------------",
        "    Nodeid      Votes Name",
    ]
    for h in members:
        idx = PVE_HOSTS.index(h) + 1
        lines.append(f"0x0000000{idx}          1 {host_ip(h)}{' (local)' if idx == 1 else ''}")
    return "\n".join(lines)


def qm_list(rng: random.Random) -> str:
    names = ["dns01", "gitea", "homeassistant", "unifi", "k3s-node1", "k3s-node2", "plex"]
    lines = ["      VMID NAME                 STATUS     MEM(MB)    BOOTDISK(GB) PID"]
    for i, n in enumerate(rng.sample(names, 4)):
        status = "running" if rng.random() > 0.15 else "stopped"
        pid = rng.randint(2000, 90000) if status == "running" else 0
        lines.append(
            f"       {101 + i} {n:<20} {status:<10} {rng.choice([2048, 4096, 8192]):<10} "
            f"{rng.choice([32, 64]):>8}.00 {pid}"
        )
    return "\n".join(lines)


# --- monitoring APIs -------------------------------------------------------------------------


def prom_vector(t: datetime, metric: str, series: list[tuple[dict, str]]) -> str:
    result = [
        {"metric": {"__name__": metric, **labels}, "value": [round(t.timestamp(), 3), v]}
        for labels, v in series
    ]
    data = {"status": "success", "data": {"resultType": "vector", "result": result}}
    return json.dumps(data, separators=(",", ":"))


def alertmanager_alerts(rng: random.Random, t: datetime, alerts: list[tuple[str, str, str]]) -> str:
    """alerts: (alertname, instance, severity) triples, rendered like /api/v2/alerts."""
    out = []
    for name, instance, severity in alerts:
        starts = (t - timedelta(minutes=rng.randint(4, 300))).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        out.append(
            {
                "annotations": {"summary": f"{name} on {instance}"},
                "endsAt": (t + timedelta(minutes=4)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "fingerprint": f"{rng.getrandbits(64):016x}",
                "receivers": [{"name": "ops-slack"}],
                "startsAt": starts,
                "status": {"inhibitedBy": [], "silencedBy": [], "state": "active"},
                "updatedAt": t.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "generatorURL": f"{PROM_URL}/graph?g0.expr=up",
                "labels": {
                    "alertname": name,
                    "instance": instance,
                    "job": "node",
                    "severity": severity,
                },
            }
        )
    return json.dumps(out, indent=2)


def prom_targets(down: str | None) -> str:
    active = []
    for h in [*PVE_HOSTS, "nas01", "mon01", "fw01"]:
        health = "down" if h == down else "up"
        err = f'Get "http://{h}:9100/metrics": context deadline exceeded' if h == down else ""
        active.append(
            {
                "labels": {"instance": f"{h}:9100", "job": "node"},
                "scrapeUrl": f"http://{h}:9100/metrics",
                "lastError": err,
                "health": health,
            }
        )
    return json.dumps({"status": "success", "data": {"activeTargets": active}}, indent=1)


def df_h(rng: random.Random) -> str:
    root = rng.randint(18, 93)
    return "\n".join(
        [
            "Filesystem            Size  Used Avail Use% Mounted on",
            f"/dev/mapper/pve-root   94G  {root * 94 // 100}G  {94 - root * 94 // 100}G  {root}% /",
            "/dev/fuse             128M   36K  128M   1% /etc/pve",
            "tmpfs                  63G     0   63G   0% /dev/shm",
            f"nas01:/tank/backups   12T  4.2T  7.8T  {rng.randint(30, 40)}% /mnt/pve/nas-backups",
        ]
    )


def uptime(rng: random.Random, t: datetime, *, minutes: int | None = None) -> str:
    up = (
        f"{minutes} min"
        if minutes is not None
        else f"{rng.randint(2, 90)} days, {rng.randint(0, 23)}:{rng.randint(10, 59)}"
    )
    return (
        f" {t:%H:%M:%S} up {up},  {0 if minutes is not None else 1} user,  load average: "
        f"{rng.uniform(0.1, 3):.2f}, {rng.uniform(0.1, 3):.2f}, {rng.uniform(0.1, 3):.2f}"
    )


def last_boot_tail(rng: random.Random, host: str, t: datetime) -> str:
    """The end of the previous boot's journal of a node that hung on its NIC."""
    start = t - timedelta(hours=rng.randint(2, 9))
    msgs = [
        "kernel: igb 0000:03:00.0 eno1: Reset adapter",
        "kernel: NETDEV WATCHDOG: eno1 (igb): transmit queue 0 timed out 5120 ms",
        "corosync[1842]:   [KNET  ] link: host: 1 link: 0 is down",
        "corosync[1842]:   [TOTEM ] Token has not been received in 2737 ms",
        "pve-ha-lrm[2231]: loop take too long (62 seconds)",
        "kernel: igb 0000:03:00.0 eno1: Reset adapter",
    ]
    return "\n".join(
        f"{journal_stamp(start + timedelta(seconds=9 * i))} {host} {m}" for i, m in enumerate(msgs)
    )


# --- repository files read in sessions -------------------------------------------------------

GUESTS = [
    "dns",
    "gitea",
    "homeassistant",
    "unifi",
    "k3s",
    "plex",
    "nextcloud",
    "minio",
    "vault",
    "postgres",
    "redis",
    "mqtt",
    "zigbee2mqtt",
    "frigate",
    "paperless",
    "immich",
    "jellyfin",
    "uptime-kuma",
    "loki",
    "tempo",
    "runner",
    "build",
    "dev",
    "win11",
    "pbs",
]


@cache
def inventory_yaml() -> str:
    """The ansible inventory of the lab: every guest with host, VLAN, address and resources.

    Large (tens of KB) and fixed, like a real repo file that many sessions read; cached because
    the scale benchmark reads it thousands of times."""
    rng = random.Random("inventory")
    lines = [
        "# Generated by tools/sync-inventory.py from the Proxmox API. Do not edit by hand.",
        "all:",
        "  vars:",
        "    ansible_user: ops",
        f"    domain: {LAB['domain']}",
        "  children:",
        "    proxmox:",
        "      hosts:",
    ]
    for h, info in LAB["proxmox_hosts"].items():
        lines += [
            f"        {h}:",
            f"          ansible_host: {info['ip']}",
            f"          bmc: {info['bmc']}",
        ]
    lines += ["    guests:", "      hosts:"]
    for i in range(160):
        vlan = rng.choice([20, 20, 20, 30, 40])
        name = f"{rng.choice(GUESTS)}-{i:03d}"
        lines += [
            f"        {name}:",
            f"          vmid: {100 + i}",
            f"          node: {rng.choice(PVE_HOSTS)}",
            f"          vlan: {vlan}  # {LAB['vlans'][vlan]}",
            f"          ansible_host: 10.{vlan}.1.{i + 20}",
            f"          cores: {rng.choice([1, 2, 4, 8])}",
            f"          memory_mb: {rng.choice([512, 1024, 2048, 4096, 8192])}",
            f"          disk: tank/vm-disks/vm-{100 + i}-disk-0",
            f"          backup: {rng.choice(['daily', 'weekly', 'none'])}",
        ]
    return "\n".join(lines) + "\n"


@cache
def inventory_guests_on(host: str) -> tuple[tuple[str, int], ...]:
    """(guest name, memory_mb) of the guests the inventory places on host."""
    out, name, node = [], "", ""
    for line in inventory_yaml().splitlines():
        key, _, value = line.strip().partition(": ")
        if line.startswith("        ") and not line.startswith("         "):
            name = key.rstrip(":")
        elif key == "node":
            node = value
        elif key == "memory_mb" and node == host:
            out.append((name, int(value)))
    return tuple(out)
