"""The confirmation tier: legitimate operations that take something away, so a person approves
them (reboots, stopping critical services, destroying ZFS datasets, BMC power, guests)."""

from __future__ import annotations

from bot.safety.analyzers.base import Context, finding, operands, words
from bot.safety.programs.platform import ipmitool_words_read_only
from bot.safety.shell.command import SimpleCommand
from bot.safety.verdict import Decision, RuleFinding

CONFIRM = Decision.CONFIRM
POWER_COMMANDS = words("reboot shutdown poweroff halt kexec")
SYSTEMCTL_POWER = words(
    "reboot poweroff halt kexec soft-reboot rescue emergency suspend hibernate hybrid-sleep "
    "suspend-then-hibernate default"
)
SYSTEMCTL_CRITICAL_VERBS = words(
    "stop restart try-restart reload-or-restart try-reload-or-restart condrestart disable mask "
    "kill freeze isolate reload"
)
IPMI_POWER_VERBS = words("off cycle reset soft on diag")
PVE_GUEST_VERBS = words(
    "stop destroy shutdown reset reboot suspend rollback delsnapshot migrate remote-migrate"
)


def check_power(command: SimpleCommand, context: Context) -> list[RuleFinding]:
    name, ops = command.name, operands(command.args)
    if name in POWER_COMMANDS and "--help" not in command.args:
        return finding("power.shutdown_reboot", CONFIRM, f"{name} of the host", command)
    if name in ("init", "telinit") and ops[:1] and ops[0] in ("0", "1", "6", "s", "S"):
        reason = f"{name} {ops[0]} changes the runlevel"
        return finding("power.shutdown_reboot", CONFIRM, reason, command)
    if name == "systemctl" and ops[:1] and ops[0] in SYSTEMCTL_POWER:
        return finding("power.shutdown_reboot", CONFIRM, f"systemctl {ops[0]} of the host", command)
    if name == "systemctl" and ops[:1] == ["isolate"]:
        reason = f"systemctl isolate {' '.join(ops[1:2])} stops everything else"
        return finding("power.shutdown_reboot", CONFIRM, reason, command)
    return []


def _unit_name(unit: str) -> str:
    return unit.removesuffix(".service").split("@", 1)[0]


def check_critical_service(command: SimpleCommand, context: Context) -> list[RuleFinding]:
    ops = operands(command.args)
    critical = context.settings.critical_services
    if command.name == "systemctl" and ops and ops[0] in SYSTEMCTL_CRITICAL_VERBS:
        verb, units = ops[0], ops[1:]
    elif command.name == "service" and len(ops) >= 2:
        units, verb = ops[:1], ops[1]
        if verb not in ("stop", "restart", "force-reload", "reload"):
            return []
    elif command.name in ("pkill", "killall"):
        hits = [o for o in ops if o in critical]
        if hits:
            reason = f"{command.name} of the critical service {hits[0]}"
            return finding("service.critical_change", CONFIRM, reason, command)
        return []
    else:
        return []
    hits = [u for u in units if _unit_name(u) in critical]
    if not hits:
        return []
    reason = f"{verb} of the critical service {hits[0]}"
    return finding("service.critical_change", CONFIRM, reason, command)


def check_storage(command: SimpleCommand, context: Context) -> list[RuleFinding]:
    ops = operands(command.args)
    verb = ops[0] if ops else ""
    target = " ".join(ops[1:]) or "no target"
    if command.name == "zfs" and verb in ("destroy", "rollback", "promote", "rename"):
        return finding("zfs.destroy", CONFIRM, f"zfs {verb} loses data ({target})", command)
    zpool_verbs = ("destroy", "offline", "detach", "remove", "labelclear", "split", "reguid",
                   "export", "replace", "clear", "trim", "initialize")  # fmt: skip
    if command.name == "zpool" and verb in zpool_verbs:
        reason = f"zpool {verb} takes storage away ({target})"
        return finding("zpool.destructive", CONFIRM, reason, command)
    if command.name in ("lvremove", "vgremove", "pvremove", "lvreduce"):
        return finding("lvm.remove", CONFIRM, f"{command.name} removes storage", command)
    return []


def check_ipmitool(command: SimpleCommand, context: Context) -> list[RuleFinding]:
    if command.name != "ipmitool":
        return []
    ops = _ipmitool_words(command.args)
    if ipmitool_words_read_only(ops):
        return []
    if ops[:1] == ["chassis"]:
        ops = ops[1:]
    if len(ops) >= 2 and ops[0] == "power" and ops[1] in IPMI_POWER_VERBS:
        return finding("ipmi.power_change", CONFIRM, f"BMC power {ops[1]}", command)
    if ops[:2] == ["mc", "reset"]:
        return finding("ipmi.bmc_reset", CONFIRM, "resets the BMC", command)
    if ops[:1] == ["bootdev"] or ops[:2] == ["chassis", "bootdev"]:
        return finding("ipmi.boot_device", CONFIRM, "changes the boot device", command)
    return []


_IPMITOOL_VALUE = frozenset("-" + c for c in "IHUPLpfykCtbTBRNAoOeEKgsmcz")


def _ipmitool_words(args: tuple[str, ...]) -> list[str]:
    i = 0
    while i < len(args) and args[i].startswith("-"):
        i += 2 if args[i] in _IPMITOOL_VALUE else 1
    return list(args[i:])


def check_pve_guest(command: SimpleCommand, context: Context) -> list[RuleFinding]:
    ops = operands(command.args)
    if command.name in ("qm", "pct") and ops and ops[0] in PVE_GUEST_VERBS:
        target = ops[1] if len(ops) > 1 else "?"
        reason = f"{command.name} {ops[0]} of guest {target}"
        return finding("pve.guest_lifecycle", CONFIRM, reason, command)
    return []


def check_extra_rules(command: SimpleCommand, context: Context) -> list[RuleFinding]:
    from bot.safety.verdict import RuleFinding as Found

    return [
        Found(rule.rule_id, rule.decision, rule.reason, command.text())
        for rule in context.settings.extra_rules
        if command.fields and rule.matches(command)
    ]


ANALYZERS = (
    check_power,
    check_critical_service,
    check_storage,
    check_ipmitool,
    check_pve_guest,
    check_extra_rules,
)
