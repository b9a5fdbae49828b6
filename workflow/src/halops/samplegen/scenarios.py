"""Scripted infrastructure-operations sessions on the lab in `lab.py`.

Each scenario drives a `Transcript` through one realistic conversation. `quality` says what the
qualify stage should make of it: "clean" (solved, few errors: tier A material), "messy" (solved
after errors, interruptions or corrections), "abandoned" (unsolved, many errors) or "offtopic"
(not infrastructure work at all). Variation (host, disk, alert, wording) comes from `v.rng`.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass

from . import lab
from .builder import Message, Transcript
from .planted import (
    AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY,
    GRAFANA_TOKEN,
    IPMI_PASSWORD,
    MYSQL_PASSWORD,
    SHADOW_HASH,
    SSH_PRIVATE_KEY,
    SSHPASS_PASSWORD,
    URL_PASSWORD,
)


@dataclass
class Variant:
    """Per-session randomness plus how many times this scenario already ran in the corpus."""

    rng: random.Random
    occurrence: int

    def pick(self, options: list) -> str:
        return self.rng.choice(options)


@dataclass(frozen=True)
class Scenario:
    name: str
    run: Callable[[Transcript, Variant], None]
    project: str  # project dir name, e.g. -home-ops-lab
    quality: str
    weight: int = 1
    force_era: str | None = None  # "alternate": flat/nested by occurrence (both agent layouts)


def ssh(host: str, command: str) -> str:
    return f"ssh {host} '{command}'"


def ipmi(bmc: str, args: str) -> str:
    return f"ipmitool -I lanplus -H {bmc} -U admin -P '{IPMI_PASSWORD}' {args}"


def finish(tr: Transcript, m: Message, text: str) -> None:
    m.text(text, final=True)
    tr.end_turn()


def now(tr: Transcript):
    return tr.ctx.clock.now()


# --- clean scenarios -------------------------------------------------------------------------


ZFS_PROMPTS = [
    "Can you check the health of the tank pool on nas01 and start a scrub if the last one is "
    "older than two weeks?",
    "how is zfs doing on nas01? scrub it if needed",
    "Please verify the ZFS pool on the NAS is healthy and kick off a scrub.",
]


def zfs_scrub(tr: Transcript, v: Variant) -> None:
    rng = v.rng
    tr.prompt(v.pick(ZFS_PROMPTS))
    m = tr.message()
    m.thinking(
        "The user wants the state of the `tank` pool on nas01 and the date of the last "
        "scrub. `zpool status tank` shows both; `zfs list` gives capacity context."
    )
    m.text("I'll check the pool status and dataset usage on nas01.")
    tr.bash(
        m,
        ssh("nas01", "zpool status tank"),
        "Show ZFS pool status on nas01",
        lab.zpool_status(rng, now(tr)),
    )
    tr.bash(
        m,
        ssh("nas01", "zfs list -o name,used,avail,refer,mountpoint"),
        "List ZFS datasets on nas01",
        lab.zfs_list(),
    )
    m = tr.message()
    m.thinking(
        "Pool is ONLINE with no errors. The last scrub was more than a week ago; the "
        "user asked for a scrub in that case, so start one and confirm it is running."
    )
    tr.bash(
        m,
        ssh("nas01", "zpool scrub tank && zpool status tank | sed -n 1,4p"),
        "Start a scrub of tank",
        "  pool: tank\n state: ONLINE\n  scan: scrub in progress "
        f"since {now(tr):%a %b %d %H:%M:%S %Y}\n\t{rng.randint(40, 300)}G / 9.81T scanned",
        progress=2,
    )
    finish(
        tr,
        tr.message(),
        "The `tank` pool on nas01 is **ONLINE** with no read/write/"
        "checksum errors on any of the six raidz2 members, and `errors: No known data errors`."
        "\n\nThe previous scrub was older than your threshold, so I started a new one; it is "
        "running now and will take several hours at this size (9.8T used). You can follow it "
        "with `ssh nas01 zpool status tank`.",
    )
    if rng.random() < 0.6:
        _zfs_snapshot_followup(tr, v)


def _zfs_snapshot_followup(tr: Transcript, v: Variant) -> None:
    day = now(tr).strftime("%Y%m%d")
    tr.prompt("also snapshot tank/vm-disks before tonight's upgrades")
    m = tr.message()
    m.text("Taking a recursive snapshot of `tank/vm-disks` and listing it to confirm.")
    snap = f"tank/vm-disks@pre-upgrade-{day}"
    tr.bash(m, ssh("nas01", f"zfs snapshot -r {snap}"), "Snapshot vm-disks dataset", "")
    tr.bash(
        m,
        ssh("nas01", "zfs list -t snapshot -o name,used,refer | grep pre-upgrade"),
        "List the new snapshot",
        lab.zfs_list([snap]),
    )
    finish(
        tr,
        tr.message(),
        f"Snapshot `{snap}` is in place (0B used so far). Roll back "
        f"with `zfs rollback {snap}` if the upgrade goes wrong, and destroy it afterwards "
        "to stop it pinning space.",
    )


def bmc_audit(tr: Transcript, v: Variant) -> None:
    rng = v.rng
    hot = v.pick(lab.BMCS)
    tr.prompt(
        v.pick(
            [
                "Check power state and temperatures on all three BMCs",
                "Can you do a quick hardware check of the pve hosts through IPMI? power + sensors",
            ]
        )
    )
    m = tr.message()
    m.thinking(
        "Three BMCs: bmc-pve01..03. Query chassis power on all of them first (in "
        "parallel), then read sensors."
    )
    calls = [
        m.tool(
            "Bash",
            {"command": ipmi(b, "chassis power status"), "description": f"Power status of {b}"},
        )
        for b in lab.BMCS
    ]
    for c in calls:
        tr.ctx.clock.tick(0.5, 2)
        tr.result(
            c,
            "Chassis Power is on",
            {"stdout": "Chassis Power is on", "stderr": "", "interrupted": False, "isImage": False},
            is_error=False,
        )
    m = tr.message()
    m.text("All three are powered on. Reading the sensor tables now.")
    for b in lab.BMCS:
        tr.bash(m, ipmi(b, "sensor"), f"Read sensors on {b}", lab.ipmi_sensor(rng, hot=b == hot))
    m = tr.message()
    m.thinking(
        f"{hot} reports CPU1 Temp near the critical threshold while the fans are at normal "
        "speed. Check the SDR and SEL for fan or PSU events before concluding."
    )
    tr.bash(m, ipmi(hot, "sdr elist full"), f"Full SDR on {hot}", lab.ipmi_sdr(rng))
    tr.bash(m, ipmi(hot, "sel list last 3"), f"Recent SEL on {hot}", lab.ipmi_sel(rng, now(tr)))
    finish(
        tr,
        tr.message(),
        "| BMC | Power | CPU1 | Notes |\n|---|---|---|---|\n"
        + "\n".join(
            f"| {b} | on | {'**hot**' if b == hot else 'ok'} | "
            f"{'near critical, fans normal' if b == hot else '-'} |"
            for b in lab.BMCS
        )
        + f"\n\n{lab.LAB['bmcs'][hot]['host']} runs hot with fans at normal RPM, which usually "
        "means dust or a failing heatsink contact rather than load. I'd schedule a look at the "
        "chassis; nothing in the SEL beyond the last reboot.",
    )


def alert_triage(tr: Transcript, v: Variant) -> None:
    rng = v.rng
    host = v.pick(lab.PVE_HOSTS)
    unit = v.pick(["pvestatd", "pveproxy"])
    tr.prompt(
        v.pick(
            [
                f"Alertmanager keeps paging about {host}, can you look?",
                f"we got a PVE alert for {host} in #ops, please investigate",
            ]
        )
    )
    m = tr.message()
    m.thinking("Start with the active alerts from Alertmanager, then correlate in Prometheus.")
    m.text("Let me pull the active alerts first.")
    alerts = [
        (f"PVE{unit.title()}Down", f"{host}:9221", "critical"),
        ("NodeFilesystemAlmostFull", "nas01:9100", "warning"),
    ]
    tr.bash(
        m,
        f"curl -s -H 'Authorization: Bearer {GRAFANA_TOKEN}' "
        f"{lab.ALERTMANAGER_URL}/api/v2/alerts?active=true",
        "List active alerts",
        lab.alertmanager_alerts(rng, now(tr), alerts),
    )
    query = f'pve_up{{id="node/{host}"}}'
    tr.bash(
        m,
        f"curl -s '{lab.PROM_URL}/api/v1/query' --data-urlencode 'query={query}'",
        "Query node state in Prometheus",
        lab.prom_vector(now(tr), "pve_up", [({"id": f"node/{host}"}, "1")]),
    )
    m = tr.message()
    m.thinking(f"The node itself is up, so the alert is about the {unit} service. Check systemd.")
    tr.bash(
        m,
        ssh(host, f"systemctl status {unit} --no-pager"),
        f"Status of {unit} on {host}",
        lab.systemctl_status(rng, host, unit, now(tr), failed=True),
        exit_code=3,
    )
    tr.bash(
        m,
        ssh(host, f"journalctl -u {unit} -n 30 --no-pager"),
        f"Recent {unit} logs",
        lab.journalctl(rng, host, unit, now(tr), 12, failed=True),
    )
    m = tr.message()
    m.text(
        "The certificate key is missing after the last cluster cert update; regenerating the "
        "node certificates and restarting the service."
    )
    tr.bash(
        m,
        ssh(host, f"pvecm updatecerts --force && systemctl restart {unit}"),
        "Regenerate certs and restart",
        "(re)generate node files\nmerge authorized SSH keys",
    )
    tr.bash(m, ssh(host, f"systemctl is-active {unit}"), "Confirm service is active", "active")
    m = tr.message()
    tr.webfetch(
        m,
        f"{lab.ALERTMANAGER_URL}/api/v2/alerts?active=true&filter=instance%3D%22{host}%3A9221%22",
        "Is the alert still firing?",
        "The response is an empty JSON array: no active alerts match that instance.",
    )
    finish(
        tr,
        tr.message(),
        f"Fixed. `{unit}` on {host} had failed because "
        "`/etc/pve/local/pve-ssl.key` was missing after a cert update. I regenerated the node "
        f"certificates with `pvecm updatecerts --force` and restarted {unit}; it is active and "
        "the alert has cleared in Alertmanager.\n\nThe `NodeFilesystemAlmostFull` warning on "
        "nas01 is unrelated and still open.",
    )


def vlan_trunk(tr: Transcript, v: Variant) -> None:
    rng = v.rng
    host = v.pick(lab.PVE_HOSTS)
    path = f"/home/ops/lab/hosts/{host}/interfaces"
    original = _interfaces(host, "2-30")
    tr.prompt(
        v.pick(
            [
                f"IoT VMs on {host} can't reach their gateway on VLAN 40. can you check the "
                "bridge config?",
                f"the homeassistant VM on {host} lost network after I moved it to vlan 40",
                f"Nothing on VLAN 40 (iot) works on {host}, other VLANs are fine. Please debug.",
            ]
        )
    )
    m = tr.message()
    m.thinking(
        f"VLAN 40 is iot. Check link state and which VLANs the bridge ports carry on {host}."
    )
    tr.bash(m, ssh(host, "ip -br link show"), "Brief link list", lab.ip_link(rng, host))
    tr.bash(
        m,
        ssh(host, "bridge vlan show"),
        "Show bridge VLAN membership",
        lab.bridge_vlan(rng, missing=40),
    )
    m = tr.message()
    m.text("VLAN 40 is not allowed on the trunk. Checking the managed config in the repo.")
    tr.read(m, path, original)
    m = tr.message()
    m.thinking("`bridge-vids 2-30` stops below 40. Extend it to 2-4094 as on the other nodes.")
    tr.edit(m, path, original, "bridge-vids 2-30", "bridge-vids 2-4094")
    tr.bash(
        m,
        f"scp {path} {host}:/etc/network/interfaces && " + ssh(host, "ifreload -a"),
        "Deploy and reload network config",
        "",
    )
    tr.bash(
        m,
        ssh(host, "bridge vlan show dev eno1 | grep -w 40"),
        "Verify VLAN 40 on trunk",
        "                  40",
    )
    finish(
        tr,
        tr.message(),
        f"The trunk on {host} only allowed VLANs 2-30 (`bridge-vids 2-30` "
        f"in `hosts/{host}/interfaces`). I extended it to `2-4094`, deployed the file and ran "
        "`ifreload -a`; `eno1` now carries VLAN 40, so the IoT VMs should reach 10.40.0.1 "
        "again. Commit the change in the repo when you're happy.",
    )


def _interfaces(host: str, vids: str) -> str:
    ip = lab.host_ip(host)
    return (
        f"auto lo\niface lo inet loopback\n\niface eno1 inet manual\n\nauto vmbr0\n"
        f"iface vmbr0 inet manual\n\tbridge-ports eno1\n\tbridge-stp off\n\tbridge-fd 0\n"
        f"\tbridge-vlan-aware yes\n\tbridge-vids {vids}\n\nauto vmbr0.10\n"
        f"iface vmbr0.10 inet static\n\taddress {ip}/24\n\tgateway 10.20.0.1\n"
    )


RUNBOOK = """# Disk replacement (ZFS, nas01)

1. Confirm the failing disk with `smartctl -a` and `zpool status` (note the by-id path).
2. `zpool offline tank <disk>` before pulling it.
3. Physically swap the disk (same bay), then find the new by-id name.
4. `zpool replace tank <old> <new-by-id>` and watch the resilver.
5. Record the serial numbers in the hardware log; close the smartd ticket.

Never run `zpool replace` against a disk that is still ONLINE in another vdev."""


def disk_replacement(tr: Transcript, v: Variant) -> None:
    rng = v.rng
    disk = v.pick(lab.ZFS_DISKS[1:])
    tr.prompt(
        v.pick(
            [
                f"smartd mailed about /dev/{disk} on nas01. let's replace it",
                f"/dev/{disk} in nas01 is dying (smart errors). walk me through swapping it",
                f"Replace the failing disk {disk} in the tank pool please, I have a spare here.",
            ]
        )
    )
    m = tr.message()
    m.thinking("There is a disk replacement runbook skill; use it so the steps are followed.")
    tr.skill(
        m, "lab-runbooks:disk-replacement", "/home/ops/.claude/skills/disk-replacement", RUNBOOK
    )
    m = tr.message()
    todos = tr.todos(
        m,
        [
            ("Confirm failing disk", "in_progress"),
            ("Take disk offline", "pending"),
            ("Resilver onto new disk", "pending"),
        ],
    )
    tr.bash(
        m,
        ssh("nas01", f"smartctl -a /dev/{disk}"),
        f"SMART data for {disk}",
        lab.smartctl(rng, disk, failing=True),
    )
    tr.bash(
        m,
        ssh("nas01", "zpool status tank"),
        "Pool status",
        lab.zpool_status(rng, now(tr), faulted=disk),
    )
    m = tr.message()
    m.text(f"{disk} has reallocated and pending sectors and ZFS has faulted it. Taking it offline.")
    tr.bash(m, ssh("nas01", f"zpool offline tank {disk}"), "Offline the failing disk", "")
    finish(
        tr,
        tr.message(),
        f"`{disk}` is offline. Swap the disk in the same bay and tell me when the new one is in.",
    )
    tr.prompt("new disk is in, same bay")
    m = tr.message()
    sn = lab.serial(rng, "WD-CA0")
    tr.bash(
        m,
        ssh("nas01", f"ls -l /dev/disk/by-id/ | grep -w {disk}"),
        "Find the new disk id",
        f"lrwxrwxrwx 1 root root  9 {now(tr):%b %d %H:%M} ata-WDC_WD80EFZZ-68BTXN0_{sn} "
        f"-> ../../{disk}",
    )
    tr.bash(
        m,
        ssh("nas01", f"zpool replace tank {disk} /dev/disk/by-id/ata-WDC_WD80EFZZ-68BTXN0_{sn}"),
        "Start the replacement",
        "",
    )
    tr.bash(
        m,
        ssh("nas01", "zpool status tank"),
        "Watch resilver",
        lab.zpool_status(rng, now(tr), faulted=disk, new_disk=f"ata-WDC_WD80EFZZ-68BTXN0_{sn}"),
        progress=2,
        seconds=8,
    )
    tr.todos(
        m,
        [
            ("Confirm failing disk", "completed"),
            ("Take disk offline", "completed"),
            ("Resilver onto new disk", "in_progress"),
        ],
        old=todos,
    )
    finish(
        tr,
        tr.message(),
        f"The replacement is resilvering onto `{sn}`. Per the runbook, log "
        "both serials in the hardware log; the pool returns to ONLINE when the resilver "
        "finishes (a few hours).",
    )


def cluster_health(tr: Transcript, v: Variant) -> None:
    rng = v.rng
    tr.prompt(
        v.pick(
            [
                "Do a full health check of the cluster and storage before I go on holiday",
                "I'm off for two weeks from tomorrow. Check the whole lab is healthy please.",
                "health check everything (pve nodes + nas), use subagents so it's quick",
            ]
        )
    )
    m = tr.message()
    m.thinking(
        "Two independent areas: the Proxmox nodes and the NAS/backups. Delegate each to "
        "a subagent in parallel and merge the reports."
    )

    def nodes(agent: Transcript) -> str:
        am = agent.message()
        agent.bash(
            am, ssh("pve01", "pvecm status"), "Cluster quorum", lab.pvecm_status(rng, now(tr))
        )
        for h in lab.PVE_HOSTS:
            agent.bash(
                am,
                ssh(h, "uptime && df -h /"),
                f"Load and disk on {h}",
                lab.uptime(rng, now(tr)) + "\n" + lab.df_h(rng),
            )
        agent.bash(am, ssh("pve01", "qm list"), "VMs on pve01", lab.qm_list(rng))
        report = (
            "All three nodes are members and the cluster is quorate (3 votes). Load is low "
            "everywhere; root filesystems have room. All listed VMs are running."
        )
        agent.message().text(report)
        return report

    def storage(agent: Transcript) -> str:
        am = agent.message()
        agent.bash(am, ssh("nas01", "zpool status -x"), "Pool health", "all pools are healthy")
        agent.bash(
            am,
            ssh("nas01", "zfs list -t snapshot -o name -s creation | tail -3"),
            "Latest snapshots",
            lab.zfs_list([f"tank/vm-disks@auto-{i}" for i in range(3)]),
        )
        agent.bash(
            am,
            ssh("nas01", "systemctl status smartd --no-pager"),
            "smartd status",
            lab.systemctl_status(rng, "nas01", "smartd", now(tr)),
        )
        agent.bash(
            am,
            f"curl -sk https://backup:{URL_PASSWORD}@nas01:8007/api2/json/admin/datastore/"
            "pve/status | jq '.data | {used, avail}'",
            "Backup datastore usage",
            '{\n  "used": 4251087142912,\n  "avail": 8493710675968\n}',
        )
        report = (
            "Storage is healthy: `tank` ONLINE, snapshots current, smartd running, backup "
            "datastore 33% used."
        )
        agent.message().text(report)
        return report

    tr.task(
        m,
        "Check Proxmox nodes",
        "Check quorum, load and root disk usage on pve01-03 and list VMs. Report problems only.",
        "general-purpose",
        nodes,
    )
    tr.task(
        m,
        "Check NAS storage",
        "Check zpool health, recent snapshots and smartd on nas01.",
        "general-purpose",
        storage,
    )
    finish(
        tr,
        tr.message(),
        "Everything looks good for your holiday:\n\n- **Cluster**: quorate, "
        "3/3 nodes, low load, root disks fine, VMs running.\n- **Storage**: `tank` healthy, "
        "snapshots current, smartd active.\n\nNo action needed.",
    )


# --- messy / abandoned -----------------------------------------------------------------------


def exporter_down(tr: Transcript, v: Variant) -> None:
    rng = v.rng
    tr.prompt(
        v.pick(
            [
                "Prometheus shows nas01 node exporter as down since this morning",
                "grafana has no data for nas01 since ~6am. exporter down?",
            ]
        )
    )
    m = tr.message()
    tr.bash(
        m,
        f"curl -s {lab.PROM_URL}/api/v1/targets | jq '.data.activeTargets[] | "
        'select(.health=="down")\'',
        "Down targets",
        lab.prom_targets("nas01"),
    )
    tr.bash(
        m,
        ssh("nas01", "systemctl status prometheus-node-exporter --no-pager"),
        "Exporter unit status",
        "",
        exit_code=4,
        stderr="Unit prometheus-node-exporter.service could not be found.",
    )
    tr.prompt("no, on nas01 the exporter runs in docker, not as a systemd unit")
    m = tr.message()
    m.thinking("User correction: it's a container. Check docker.")
    tr.bash(
        m,
        ssh("nas01", "docker ps -a --filter name=node-exporter"),
        "Exporter container",
        "CONTAINER ID   IMAGE                     STATUS                     NAMES\n"
        f"{rng.getrandbits(48):012x}   prom/node-exporter:v1.8.2 Exited (255) 7 hours ago  "
        "node-exporter",
    )
    tr.bash(
        m,
        ssh(
            "nas01",
            "docker start node-exporter && docker ps --filter name=node-exporter "
            "--format {{.Status}}",
        ),
        "Start exporter",
        "node-exporter\nUp 2 seconds",
    )
    tr.bash(
        m,
        f"curl -s {lab.PROM_URL}/api/v1/query --data-urlencode 'query=up{{instance="
        '"nas01:9100"}\'',
        "Check scrape",
        lab.prom_vector(now(tr), "up", [({"instance": "nas01:9100", "job": "node"}, "1")]),
    )
    finish(
        tr,
        tr.message(),
        "The node-exporter container on nas01 had exited (status 255) after "
        'the 06:00 docker update; I started it again and `up{instance="nas01:9100"}` is 1. '
        "Consider `--restart unless-stopped` on that container so it survives updates.",
    )


def node_unreachable(tr: Transcript, v: Variant) -> None:
    rng = v.rng
    host = v.pick(lab.PVE_HOSTS[1:])
    bmc = lab.LAB["proxmox_hosts"][host]["bmc"]
    ip = lab.host_ip(host)
    tr.prompt(
        v.pick(
            [
                f"{host} is not responding, find out what happened",
                f"can't reach {host} at all, web UI and ssh both dead. what's going on?",
                f"{host} dropped out of the cluster 20 minutes ago. investigate",
            ]
        )
    )
    m = tr.message()
    m.thinking(f"Try SSH first; if that fails go through the BMC ({bmc}).")
    tr.bash(
        m,
        ssh(host, "uptime"),
        f"Check {host} over SSH",
        "",
        exit_code=255,
        stderr=f"ssh: connect to host {host} port 22: Connection timed out",
        seconds=30,
    )
    tr.bash(
        m,
        f"ping -c 3 -W 2 {ip}",
        "Ping the node",
        "",
        exit_code=1,
        stderr=f"PING {ip} ({ip}) 56(84) bytes of data.\n\n--- {ip} ping statistics ---\n"
        "3 packets transmitted, 0 received, 100% packet loss, time 2041ms",
    )
    m = tr.message()
    tr.bash(m, ipmi(bmc, "chassis power status"), "Power state via BMC", "Chassis Power is on")
    tr.bash(m, ipmi(bmc, "sel list last 3"), "System event log", lab.ipmi_sel(rng, now(tr)))
    m = tr.message()
    m.text("The machine is powered on but unreachable; a power cycle is the quickest recovery.")
    tr.reject(
        m,
        "Bash",
        {"command": ipmi(bmc, "chassis power cycle"), "description": "Power cycle the node"},
    )
    tr.prompt("don't power cycle yet. check quorum from pve01 first, VMs might still be running")
    m = tr.message()
    m.thinking("Good point: confirm the cluster view before a hard reset.")
    tr.bash(
        m,
        ssh("pve01", "pvecm status"),
        "Quorum from pve01",
        lab.pvecm_status(rng, now(tr), down=host),
    )
    tr.bash(
        m,
        ssh("pve01", f"ha-manager status | grep {host}"),
        "HA resources on node",
        f"lrm {host} (old timestamp - dead?, {now(tr):%a %b %d %H:%M:%S %Y})",
    )
    finish(
        tr,
        tr.message(),
        f"pve01 and the remaining node are quorate; {host} has dropped out "
        "and its LRM is dead, so HA will have fenced its guests. A power cycle is now safe. "
        "Shall I do it?",
    )
    tr.prompt("ok go ahead")
    m = tr.message()
    tr.bash(
        m, ipmi(bmc, "chassis power cycle"), "Power cycle the node", "Chassis Power Control: Cycle"
    )
    tr.bash(
        m,
        f"sleep 120; {ssh(host, 'uptime')}",
        "Wait for boot and retry SSH",
        lab.uptime(rng, now(tr), minutes=2),
        progress=3,
        seconds=120,
    )
    tr.bash(
        m,
        ssh(host, "journalctl -b -1 -n 6 --no-pager"),
        "End of the previous boot's log",
        lab.last_boot_tail(rng, host, now(tr)),
    )
    finish(
        tr,
        tr.message(),
        f"{host} is back after the power cycle (up 2 min). The previous boot ends with repeated "
        "`igb` resets and a NETDEV WATCHDOG transmit timeout on `eno1`, after which corosync "
        "lost the link: the node hung on its NIC rather than crashing. No kernel panic. "
        "Worth checking the igb firmware/driver version against the other nodes.",
    )


def backup_failure(tr: Transcript, v: Variant) -> None:
    host = v.pick(lab.PVE_HOSTS)
    tr.prompt(
        v.pick(
            [
                f"vzdump backups from {host} to nas01 failed last night, check it",
                f"backup job on {host} failed again (mail says 'job errors'). look into it",
            ]
        )
    )
    m = tr.message()
    tr.bash(
        m,
        ssh(host, "grep -i error /var/log/vzdump/qemu-10*.log | tail -5"),
        "Backup errors",
        "",
        exit_code=2,
        stderr="grep: /var/log/vzdump/qemu-10*.log: No such file or directory",
    )
    tr.bash(
        m,
        ssh(host, "ls /mnt/pve/nas-backups/dump | tail -3"),
        "List backup target",
        "",
        exit_code=2,
        stderr="ls: cannot access '/mnt/pve/nas-backups/dump': Stale file handle",
    )
    m = tr.message()
    m.thinking("Stale NFS handle. Try logging into nas01 directly to check exports.")
    tr.bash(
        m,
        ssh("nas01", "exportfs -v"),
        "NFS exports",
        "",
        exit_code=255,
        stderr="ops@nas01: Permission denied (publickey).",
    )
    tr.bash(
        m,
        f"sshpass -p '{SSHPASS_PASSWORD}' ssh root@nas01 'exportfs -v'",
        "Retry with password",
        "",
        exit_code=5,
        stderr="Permission denied, please try again.",
    )
    tr.bash(
        m,
        f"curl -s https://backup:{URL_PASSWORD}@nas01:8007/api2/json/status/datastore-usage",
        "Query backup server API",
        "",
        exit_code=7,
        stderr="curl: (7) Failed to connect to nas01 port 8007 after 3 ms: Connection refused",
    )
    tr.prompt("forget it, I'll look at the nas tomorrow from the console")
    m = tr.message()
    finish(
        tr,
        m,
        "OK. For tomorrow: the mount `/mnt/pve/nas-backups` is stale on "
        f"{host}, my key is not authorized on nas01 as root, and port 8007 is closed.",
    )


def leaky_env(tr: Transcript, v: Variant) -> None:
    tr.prompt(
        v.pick(
            [
                "the ansible run from the jump host fails with auth errors, check the environment",
                "ansible all -m ping gives UNREACHABLE / permission denied from here. why?",
            ]
        )
    )
    m = tr.message()
    m.thinking("Check environment variables and which SSH key ansible uses.")
    env = (
        "ANSIBLE_CONFIG=/root/infra/ansible.cfg\n"
        f"AWS_ACCESS_KEY_ID={AWS_ACCESS_KEY_ID}\nAWS_SECRET_ACCESS_KEY={AWS_SECRET_ACCESS_KEY}\n"
        "AWS_DEFAULT_REGION=eu-central-1\nSSH_AUTH_SOCK=\nHOME=/root"
    )
    tr.bash(
        m,
        f"sshpass -p '{SSHPASS_PASSWORD}' ssh -o PubkeyAuthentication=no deploy@pve01 true",
        "Check the deploy user's password login",
        "",
        exit_code=5,
        stderr="Permission denied, please try again.",
    )
    tr.bash(m, "env | grep -E 'ANSIBLE|AWS|SSH|HOME' | sort", "Relevant environment", env)
    tr.bash(
        m,
        "ls -l ~/.ssh && cat ~/.ssh/id_ed25519",
        "Inspect SSH key",
        "total 12\n-rw------- 1 root root  411 Oct  2 09:14 id_ed25519\n"
        "-rw-r--r-- 1 root root  98 Oct  2 09:14 id_ed25519.pub\n" + SSH_PRIVATE_KEY,
    )
    m = tr.message()
    m.text(
        "The key exists but no agent is running (`SSH_AUTH_SOCK` is empty). Checking the "
        "deploy user on the target too."
    )
    tr.bash(
        m,
        ssh("mon01", "sudo grep '^deploy:' /etc/shadow"),
        "Deploy user password state",
        f"deploy:{SHADOW_HASH}:19987:0:99999:7:::",
    )
    tr.bash(
        m,
        ssh("mon01", f"mysql -u grafana -p{MYSQL_PASSWORD} -e 'select 1' grafana"),
        "Check grafana DB login",
        "1\n1",
    )
    tr.bash(
        m,
        "eval $(ssh-agent) && ssh-add ~/.ssh/id_ed25519 && ansible all -m ping -o | head -4",
        "Start agent and retry ansible",
        "Agent pid 48211\nIdentity added: /root/.ssh/id_ed25519 (root@jump)\n"
        + "\n".join(
            f'{h} | SUCCESS => {{"changed": false, "ping": "pong"}}' for h in lab.PVE_HOSTS
        ),
    )
    finish(
        tr,
        tr.message(),
        "Ansible failed because no ssh-agent was running in this shell, so "
        "the key was never offered. With the agent started all hosts answer `pong`.",
    )


# --- off-topic -------------------------------------------------------------------------------

README = (
    "# lab\n\nAnsible and config for the homelab.\n\n## Layout\n\n- `hosts/` per-host "
    "network config\n- `playbooks/` ansible playbooks\n\nRun `make deploy` to aply "
    "everything.\n"
)


def readme_edit(tr: Transcript, v: Variant) -> None:
    tr.prompt(
        v.pick(
            [
                "fix the typos in README.md and add a short contributing section",
                "can you proofread the README and add a contributing paragraph",
            ]
        )
    )
    m = tr.message()
    tr.read(m, "/home/ops/lab/README.md", README)
    m = tr.message()
    tr.edit(m, "/home/ops/lab/README.md", README, "to aply everything", "to apply everything")
    fixed = README.replace("aply", "apply")
    tr.edit(
        m,
        "/home/ops/lab/README.md",
        fixed,
        "to apply everything.\n",
        "to apply everything.\n\n## Contributing\n\nOpen a merge request; CI runs "
        "`ansible-lint` and `yamllint`.\n",
    )
    finish(tr, tr.message(), "Fixed the typo (`aply` → `apply`) and added a Contributing section.")


def photo_script(tr: Transcript, v: Variant) -> None:
    tr.prompt(
        v.pick(
            [
                "write me a python script that sorts my photo folder into year/month by EXIF date",
                "unrelated: I need a small script to move my jpgs into folders by date taken",
            ]
        )
    )
    m = tr.message()
    script = (
        "#!/usr/bin/env python3\nimport shutil, sys\nfrom pathlib import Path\n"
        "from PIL import Image\n\n\ndef taken(p):\n    exif = Image.open(p)._getexif() or {}\n"
        "    return exif.get(36867, '')[:7].replace(':', '/')\n\n\n"
        "for p in Path(sys.argv[1]).glob('*.jpg'):\n    d = Path(sys.argv[1]) / (taken(p) "
        "or 'unknown')\n    d.mkdir(parents=True, exist_ok=True)\n    shutil.move(p, d / "
        "p.name)\n"
    )
    tr.write(m, "/home/ops/lab/sort_photos.py", script)
    tr.bash(m, "python3 -m py_compile sort_photos.py && echo ok", "Syntax check", "ok")
    finish(
        tr,
        tr.message(),
        "Created `sort_photos.py`; run `python3 sort_photos.py ~/Pictures`. "
        "It needs Pillow (`pip install pillow`).",
    )


# --- long session with compaction ------------------------------------------------------------


def rolling_upgrade(tr: Transcript, v: Variant) -> None:
    rng = v.rng
    tr.prompt(
        "Let's do the rolling upgrade of the cluster: one node at a time, migrate VMs off first"
    )
    todos: list = []
    for i, host in enumerate(lab.PVE_HOSTS):
        if i == 2:
            trigger = "auto" if v.occurrence % 2 == 0 else "manual"
            tr.compact(_upgrade_summary(lab.PVE_HOSTS[:2]), trigger=trigger)
        m = tr.message()
        m.thinking(f"Next node: {host}. Migrate its running guests, then upgrade and reboot.")
        todos = tr.todos(
            m,
            [
                (f"Upgrade {h}", "completed" if j < i else "in_progress" if j == i else "pending")
                for j, h in enumerate(lab.PVE_HOSTS)
            ],
            old=todos,
        )
        target = lab.PVE_HOSTS[(i + 1) % 3]
        tr.bash(
            m,
            ssh(
                host,
                f"for id in $(qm list | awk '$3==\"running\"{{print $1}}'); do qm "
                f"migrate $id {target} --online; done",
            ),
            f"Migrate guests off {host}",
            "\n".join(
                f"migration finished successfully (duration 00:00:{rng.randint(10, 59)})"
                for _ in range(3)
            ),
            progress=2,
            seconds=40,
        )
        upgrade = "\n".join(
            f"Unpacking {p} ..."
            for p in ("proxmox-kernel-6.8", "pve-manager", "qemu-server", "zfsutils-linux")
        )
        tr.bash(
            m,
            ssh(host, "apt-get update -q && apt-get -y dist-upgrade -q"),
            f"Upgrade packages on {host}",
            upgrade,
            progress=3,
            seconds=90,
        )
        if i == 1:
            tr.queue("enqueue", "also check that corosync links are all up after the reboot")
        tr.bash(
            m,
            ssh(host, "systemctl reboot") + f"; sleep 90; {ssh(host, 'uname -r')}",
            f"Reboot {host}",
            "6.8.12-5-pve",
            seconds=95,
        )
        if i == 1:
            tr.queue("dequeue", None)
            finish(tr, tr.message(), f"{host} is upgraded and back on 6.8.12-5-pve.")
            tr.prompt("also check that corosync links are all up after the reboot")
            m = tr.message()
            tr.bash(
                m,
                ssh(host, "corosync-cfgtool -s"),
                "Corosync link status",
                "Local node ID 2, transport knet\nLINK ID 0 udp\n\taddr\t= 10.20.0.12\n"
                "\tstatus:\n\t\tnodeid:   1:\tlocalhost\n\t\tnodeid:   3:\tconnected",
            )
    finish(
        tr,
        tr.message(),
        "Rolling upgrade done: all three nodes run kernel 6.8.12-5-pve and "
        "the latest pve-manager; guests were live-migrated before each reboot and corosync "
        "links are connected.",
    )
    tr.summary("Rolling Proxmox cluster upgrade")


def _upgrade_summary(done: list[str]) -> str:
    return (
        "1. The user asked for a rolling upgrade of the Proxmox cluster, one node at a time, "
        "migrating VMs off first.\n2. Completed: " + ", ".join(done) + " (guests migrated, "
        "`apt-get dist-upgrade`, reboot, kernel 6.8.12-5-pve).\n3. The user asked to verify "
        "corosync links after reboots; links were connected.\n4. Remaining: pve03."
    )


STORAGE_RULES = """groups:
  - name: storage
    rules:
      - alert: NodeFilesystemAlmostFull
        expr: node_filesystem_avail_bytes{fstype!~"tmpfs|fuse.*"} / node_filesystem_size_bytes < 0.1
        for: 15m
        labels:
          severity: warning
        annotations:
          summary: "{{ $labels.instance }} {{ $labels.mountpoint }} below 10% free"
"""
ZPOOL_RULE_BAD = """      - alert: ZfsPoolDegraded
        expr: node_zfs_zpool_state{state!="online"} > 0
        for: 5m
        labels:
        severity: critical
"""
ZPOOL_RULE = ZPOOL_RULE_BAD.replace("        severity: critical", "          severity: critical")


def prometheus_rule(tr: Transcript, v: Variant) -> None:
    path = "/home/ops/monitoring/rules/storage.yml"
    tr.prompt(
        v.pick(
            [
                "add an alert to our prometheus rules for when a zfs pool is not online",
                "We never got paged when tank went DEGRADED. Add a Prometheus alert for that.",
            ]
        )
    )
    m = tr.message()
    m.thinking(
        "node_exporter exposes node_zfs_zpool_state{state=...} per pool. Add a rule in "
        "rules/storage.yml, validate with promtool, deploy to mon01 and reload."
    )
    tr.read(m, path, STORAGE_RULES)
    m = tr.message()
    anchor = STORAGE_RULES.splitlines(keepends=True)[-1]
    tr.edit(m, path, STORAGE_RULES, anchor, anchor + ZPOOL_RULE_BAD)
    bad = f"Checking {path}\n  FAILED:\n{path}: yaml: line 16: mapping values are not allowed here"
    tr.bash(m, f"promtool check rules {path}", "Validate rules", "", exit_code=1, stderr=bad)
    m = tr.message()
    m.text("The `severity` label lost its indentation. Fixing it.")
    fixed_once = STORAGE_RULES + ZPOOL_RULE_BAD
    tr.edit(
        m,
        path,
        fixed_once,
        "        labels:\n        severity: critical",
        "        labels:\n          severity: critical",
    )
    ok = f"Checking {path}\n  SUCCESS: 2 rules found\n"
    tr.bash(m, f"promtool check rules {path}", "Validate rules", ok)
    tr.bash(
        m,
        f"scp {path} mon01:/etc/prometheus/rules/storage.yml && "
        f"curl -s -X POST {lab.PROM_URL}/-/reload && echo reloaded",
        "Deploy and reload Prometheus",
        "reloaded",
    )
    tr.bash(
        m,
        f"curl -s {lab.PROM_URL}/api/v1/rules | jq -r '.data.groups[].rules[].name'",
        "List loaded rules",
        "NodeFilesystemAlmostFull\nZfsPoolDegraded",
    )
    finish(
        tr,
        tr.message(),
        "Added `ZfsPoolDegraded` to `rules/storage.yml`: it fires (severity critical) when "
        '`node_zfs_zpool_state{state!="online"}` is non-zero for 5 minutes. promtool passes, '
        "the file is deployed on mon01 and Prometheus has loaded both rules.",
    )


def storage_mtu(tr: Transcript, v: Variant) -> None:
    rng = v.rng
    host = v.pick(lab.PVE_HOSTS)
    tr.prompt(
        v.pick(
            [
                f"NFS from nas01 is really slow on {host} since the NAS rebooted. storage vlan 30",
                f"backups and VM disks over VLAN 30 crawl on {host}, can you check the network?",
            ]
        )
    )
    m = tr.message()
    m.thinking(
        "Storage VLAN 30 runs jumbo frames. A reboot that lost the MTU setting on one side "
        "gives exactly this: small packets fine, large ones fragment or drop. Test with DF set."
    )
    tr.bash(
        m,
        ssh(host, "ip -d link show vmbr1.30 | head -2"),
        "MTU on storage VLAN",
        "7: vmbr1.30@vmbr1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 9000 qdisc noqueue state UP",
    )
    err = (
        f"PING {lab.NAS_STORAGE_ADDRESS} ({lab.NAS_STORAGE_ADDRESS}) 8972(9000) bytes of data.\n\n"
        f"--- {lab.NAS_STORAGE_ADDRESS} ping "
        "statistics ---\n3 packets transmitted, 0 received, 100% packet loss, time 2030ms"
    )
    tr.bash(
        m,
        ssh(host, f"ping -M do -s 8972 -c 3 {lab.NAS_STORAGE_ADDRESS}"),
        "Jumbo ping to nas01",
        "",
        exit_code=1,
        stderr=err,
    )
    tr.bash(
        m,
        ssh("nas01", 'ip -br link show | grep -E "eno2|vlan30"'),
        "Links on nas01",
        "eno2             UP             3c:ec:ef:12:4a:b1 <BROADCAST,MULTICAST,UP,LOWER_UP>\n"
        "eno2.30@eno2     UP             3c:ec:ef:12:4a:b1 <BROADCAST,MULTICAST,UP,LOWER_UP>",
    )
    tr.bash(
        m,
        ssh("nas01", "cat /sys/class/net/eno2/mtu /sys/class/net/eno2.30/mtu"),
        "MTU on nas01",
        "1500\n1500",
    )
    m = tr.message()
    m.text(
        "nas01 came back with MTU 1500 on the storage interface while the hosts use 9000. "
        "Setting 9000 live; the persistent config needs the same."
    )
    tr.bash(
        m,
        ssh("nas01", "ip link set eno2 mtu 9000 && ip link set eno2.30 mtu 9000"),
        "Restore jumbo MTU",
        "",
    )
    tr.bash(
        m,
        ssh("nas01", "grep -n mtu /etc/network/interfaces"),
        "Persistent MTU setting",
        "",
        exit_code=1,
    )
    tr.bash(
        m,
        ssh(
            "nas01",
            r'sed -i "s/^iface eno2 inet manual$/&\\n\\tmtu 9000/" /etc/network/interfaces && '
            'grep -n -A1 "iface eno2" /etc/network/interfaces',
        ),
        "Persist MTU 9000",
        "14:iface eno2 inet manual\n15-\tmtu 9000",
    )
    rtt = [f"{rng.uniform(0.2, 0.6):.3f}" for _ in range(3)]
    tr.bash(
        m,
        ssh(host, f"ping -M do -s 8972 -c 3 {lab.NAS_STORAGE_ADDRESS} | tail -2"),
        "Retest jumbo ping",
        "3 packets transmitted, 3 received, 0% packet loss, time 2003ms\n"
        f"rtt min/avg/max/mdev = {min(rtt)}/{sorted(rtt)[1]}/{max(rtt)}/0.061 ms",
    )
    finish(
        tr,
        tr.message(),
        "Cause: after its reboot nas01 had MTU 1500 on `eno2`/`eno2.30` "
        f"while {host} sends 9000-byte frames on VLAN 30, so large NFS packets were dropped. "
        "I set MTU 9000 live and added `mtu 9000` to `iface eno2` in "
        "`/etc/network/interfaces` so it survives the next reboot; jumbo pings now pass.",
    )


def smart_sweep(tr: Transcript, v: Variant) -> None:
    rng = v.rng
    bad = v.pick(lab.ZFS_DISKS)
    tr.prompt(
        v.pick(
            [
                "run a SMART check on all disks of nas01 and summarize",
                "quick SMART health overview for the NAS disks please",
            ]
        )
    )
    m = tr.message()
    m.thinking(
        "One smartctl per disk is noisy; loop over sda-sdf and pull health plus the "
        "attributes that predict failure (5, 187, 197, 198)."
    )
    rows = []
    for d in lab.ZFS_DISKS:
        realloc = rng.randint(16, 90) if d == bad else 0
        rows.append(
            f"== /dev/{d}\nSMART overall-health self-assessment test result: PASSED\n"
            f"  5 Reallocated_Sector_Ct   0x0033   200   200   140    Pre-fail  Always"
            f"       {realloc}\n197 Current_Pending_Sector  0x0032   200   200   000    "
            f"Old_age   Always       {realloc // 8}"
        )
    tr.bash(
        m,
        ssh(
            "nas01",
            'for d in /dev/sd[a-f]; do echo "== $d"; smartctl -H -A $d | grep '
            '-E "overall-health|Reallocated_Sector|Current_Pending"; done',
        ),
        "SMART summary for all pool disks",
        "\n".join(rows),
        progress=2,
        seconds=6,
    )
    m = tr.message()
    tr.bash(
        m,
        ssh("nas01", f"smartctl -l selftest /dev/{bad} | sed -n 6,9p"),
        f"Self-test log of {bad}",
        "Num  Test_Description    Status                  Remaining  LifeTime(hours)\n"
        "# 1  Short offline       Completed without error       00%     "
        f"{rng.randint(20000, 40000)}",
    )
    finish(
        tr,
        tr.message(),
        "All six disks report **PASSED**. One to watch: "
        f"`/dev/{bad}` has a small number of reallocated and pending sectors; its last "
        "self-test passed. Not urgent, but if the count grows plan a replacement "
        "(`lab-runbooks:disk-replacement`).",
    )


def firewall_abandoned(tr: Transcript, v: Variant) -> None:
    tr.prompt(
        v.pick(
            [
                "prometheus can't scrape the iot vlan (10.40.0.0/24) anymore. firewall?",
                "Since the fw01 update the node exporters on VLAN 40 are unreachable from mon01",
            ]
        )
    )
    m = tr.message()
    m.thinking("Scrapes from mon01 (VLAN 10) to VLAN 40 cross fw01. Look at its pf rules.")
    tr.bash(
        m,
        ssh("fw01", "pfctl -sr | grep -n 40"),
        "Firewall rules for VLAN 40",
        "",
        exit_code=1,
        stderr="pfctl: /dev/pf: Permission denied",
    )
    tr.bash(
        m,
        ssh("fw01", "sudo pfctl -sr | grep -n 40"),
        "Retry with sudo",
        "",
        exit_code=1,
        stderr="sudo: a terminal is required to read the password; either use the -S option "
        "to read from standard input or configure an askpass helper",
    )
    tr.bash(
        m,
        "ssh root@fw01 'pfctl -sr'",
        "Retry as root",
        "",
        exit_code=255,
        stderr="root@fw01: Permission denied (publickey).",
    )
    m = tr.message()
    m.text("Root login is disabled on fw01. Trying the OPNsense API instead.")
    call = m.tool(
        "WebFetch",
        {
            "url": "https://fw01/api/firewall/filter/searchRule",
            "prompt": "List rules that mention 10.40.0.0/24",
        },
    )
    tr.ctx.clock.tick(1, 3)
    err = "Request failed with status code 401"
    tr.result(call, err, "Error: " + err, is_error=True)
    tr.bash(
        m,
        f"curl -s -o /dev/null -w '%{{http_code}}' {lab.PROM_URL}/api/v1/targets",
        "Is Prometheus itself fine?",
        "200",
    )
    tr.bash(
        m,
        "nc -zv -w 3 10.40.0.21 9100",
        "Reach an IoT exporter from here",
        "",
        exit_code=1,
        stderr="nc: connect to 10.40.0.21 port 9100 (tcp) timed out: Operation now in progress",
    )
    m = tr.message()
    m.text("I need either a sudo password on fw01 or an API key for the OPNsense API. Could you")
    tr.interrupt_plain()
    tr.prompt("never mind, I'll do it in the web UI later")
    finish(
        tr,
        tr.message(),
        "OK. When you do: check the rule order on the VLAN10 interface; "
        "a pass rule for mon01 → 10.40.0.0/24 port 9100 is probably missing after the update.",
    )


def inventory_lookup(tr: Transcript, v: Variant) -> None:
    host = v.pick(lab.PVE_HOSTS)
    path = "/home/ops/lab/inventory/hosts.yml"
    tr.prompt(
        v.pick(
            [
                f"according to the inventory, which guests live on {host} and how much RAM do "
                "they reserve in total?",
                f"I want to drain {host} for maintenance. How much memory do its guests need?",
            ]
        )
    )
    m = tr.message()
    m.thinking(f"The inventory lists node and memory_mb per guest; sum those with node {host}.")
    tr.read(m, path, lab.inventory_yaml())
    guests = lab.inventory_guests_on(host)
    total = sum(mem for _, mem in guests)
    others = [h for h in lab.PVE_HOSTS if h != host]
    biggest = ", ".join(
        f"`{n}` ({mem // 1024} GiB)" for n, mem in sorted(guests, key=lambda g: -g[1])[:3]
    )
    finish(
        tr,
        tr.message(),
        f"The inventory places **{len(guests)} guests** on {host}, "
        f"reserving **{total / 1024:.1f} GiB** of RAM in total. The largest are {biggest}.\n\n"
        f"To drain it, {others[0]} and {others[1]} together need that much free memory; "
        "check with `pvesh get /nodes/<node>/status` before migrating.",
    )


SCENARIOS: list[Scenario] = [
    Scenario("zfs_scrub", zfs_scrub, "-home-ops-lab", "clean", 2),
    Scenario("bmc_audit", bmc_audit, "-root-infra", "clean", 2),
    Scenario("alert_triage", alert_triage, "-home-ops-monitoring", "clean", 2),
    Scenario("vlan_trunk", vlan_trunk, "-home-ops-lab", "clean", 2),
    Scenario("disk_replacement", disk_replacement, "-home-ops-lab", "clean", 2),
    Scenario("cluster_health", cluster_health, "-home-ops-lab", "clean", 2, "alternate"),
    Scenario("rolling_upgrade", rolling_upgrade, "-home-ops-lab", "clean", 2, "alternate"),
    Scenario("prometheus_rule", prometheus_rule, "-home-ops-monitoring", "clean", 2),
    Scenario("storage_mtu", storage_mtu, "-root-infra", "clean", 2),
    Scenario("smart_sweep", smart_sweep, "-home-ops-lab", "clean", 1),
    Scenario("inventory_lookup", inventory_lookup, "-home-ops-lab", "clean", 1),
    Scenario("exporter_down", exporter_down, "-home-ops-monitoring", "messy", 2),
    Scenario("node_unreachable", node_unreachable, "-root-infra", "messy", 2),
    Scenario("backup_failure", backup_failure, "-root-infra", "abandoned", 2),
    Scenario("leaky_env", leaky_env, "-root-infra", "clean", 2),
    Scenario("firewall_abandoned", firewall_abandoned, "-root-infra", "abandoned", 2),
    Scenario("readme_edit", readme_edit, "-home-ops-lab", "offtopic", 2),
    Scenario("photo_script", photo_script, "-home-ops-lab", "offtopic", 2),
]

PROJECT_CWD = {
    "-home-ops-lab": ("/home/ops/lab", "main"),
    "-home-ops-monitoring": ("/home/ops/monitoring", "main"),
    "-root-infra": ("/root/infra", ""),
}


def scenario_json() -> str:
    """Catalogue as JSON, for docs and the data card."""
    return json.dumps(
        [{"name": s.name, "project": s.project, "quality": s.quality} for s in SCENARIOS]
    )
