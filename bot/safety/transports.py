"""Requests that are not shell commands: IPMI actions, local tools, and the host allowlist
for the remote transports."""

from __future__ import annotations

from bot.safety.inventory import Inventory
from bot.safety.verdict import Decision, RuleFinding
from halops.contract.tools import ACTIONS, AGENT_TOOL_SPECS, READ_ONLY_ACTIONS

BLOCK, CONFIRM, ALLOW = Decision.BLOCK, Decision.CONFIRM, Decision.ALLOW
# The ipmi tool's own spellings ("sensor list", "sdr elist") besides the agent's action names.
IPMI_READ_PHRASES = frozenset(
    {
        "power status", "chassis status", "chassis power status", "sensor", "sensors",
        "sensor list", "sdr", "sdr list", "sdr elist", "sel", "sel list", "sel elist",
        "sel info", "fru", "fru print", "mc info", "lan print", "bootdev get",
        "boot device get",
    }
)  # fmt: skip
IPMI_POWER_VERBS = frozenset({"off", "cycle", "reset", "soft", "on", "diag"})


def analyze_ipmi(action: str) -> list[RuleFinding]:
    """An IPMI action: the agent's names (`power_status`, `bootdev_set`) or the words the ipmi
    tool and people use (`power status`, `chassis power off`, `sdr list`)."""
    words = action.lower().replace("_", " ").split()
    text = " ".join(words)
    if text.replace(" ", "_") in READ_ONLY_ACTIONS or text in IPMI_READ_PHRASES:
        return [RuleFinding("ipmi.read_only", ALLOW, f"reads BMC state ({text})", text)]
    if words[:1] == ["chassis"] and words[1:2] == ["power"]:
        words = words[1:]
    if len(words) == 2 and words[0] == "power" and words[1] in IPMI_POWER_VERBS:
        return [RuleFinding("ipmi.power_change", CONFIRM, f"BMC power {words[1]}", text)]
    if words[:1] in (["bootdev"], ["boot"]):
        return [RuleFinding("ipmi.boot_device", CONFIRM, "changes the boot device", text)]
    if words[:2] == ["mc", "reset"]:
        return [RuleFinding("ipmi.bmc_reset", CONFIRM, "resets the BMC", text)]
    known = ", ".join(ACTIONS)
    reason = f"unknown IPMI action {text!r} (the agent's actions: {known})"
    return [RuleFinding("ipmi.unknown_action", CONFIRM, reason, text)]


def analyze_local_tool(request: str) -> list[RuleFinding]:
    """A tool that runs inside the bot (`search_runbooks {…}`): its declaration decides."""
    name = request.split(" ", 1)[0]
    spec = next((s for s in AGENT_TOOL_SPECS if s.name == name), None)
    if spec is None or spec.transport != "local":
        reason = f"{name!r} is not a local tool"
        return [RuleFinding("tool.unknown_local", BLOCK, reason, request)]
    if spec.read_only:
        return [RuleFinding("tool.read_only", ALLOW, f"{name} is read-only", request)]
    return [RuleFinding("tool.local_write", CONFIRM, f"{name} changes state", request)]


def check_host(transport: str, host: str | None, inventory: Inventory | None) -> list[RuleFinding]:
    """The host allowlist: remote transports reach only inventory hosts, by name or address."""
    if transport in ("shell", "local"):
        if host is None:
            return []
        reason = f"the {transport} transport runs on the bot's own machine; use ssh to reach a host"
        return [RuleFinding("host.not_applicable", BLOCK, reason, host)]
    if host is None:
        return [RuleFinding("host.missing", BLOCK, f"{transport} needs a target host", "")]
    if inventory is None:
        reason = f"no inventory loaded, so {host!r} cannot be checked"
        return [RuleFinding("host.no_inventory", BLOCK, reason, host)]
    entry = inventory.lookup(host)
    if entry is None:
        reason = f"{host!r} is not an inventory host (name or exact address)"
        return [RuleFinding("host.not_in_inventory", BLOCK, reason, host)]
    if not entry.allows(transport):
        reason = f"{entry.name} does not allow {transport} (allows: {sorted(entry.transports)})"
        return [RuleFinding("host.transport_not_allowed", BLOCK, reason, host)]
    return []
