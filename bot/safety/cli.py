"""`halops check "<command>"`: ask the policy without running anything.

Prints the verdict as JSON and exits 0 whatever the decision (the decision is the output);
2 on a usage error, 1 when the inventory or policy settings cannot be loaded.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path

from bot.safety.audit import AuditLog
from bot.safety.inventory import Inventory, InventoryError
from bot.safety.policy import TRANSPORTS, CommandPolicy, PolicyConfigError, load_policy_settings
from bot.safety.rules import RuleSettings

DEFAULT_INVENTORY = Path("config/inventory.yaml")
DEFAULT_POLICY = Path("config/policy.yaml")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="halops check",
        description="Print the safety policy's verdict on a command as JSON; runs nothing.",
    )
    parser.add_argument("command", help="shell command, IPMI action, or '[METHOD] URL' for http")
    parser.add_argument("--host", help="target inventory host (name or exact address)")
    parser.add_argument(
        "--transport",
        choices=TRANSPORTS,
        help="default: ssh when --host is given, else shell",
    )
    parser.add_argument("--audit", type=Path, help="also append the verdict to this audit log")
    parser.add_argument(
        "--inventory", type=Path, help=f"inventory file (default: {DEFAULT_INVENTORY} if present)"
    )
    parser.add_argument(
        "--policy", type=Path, help=f"policy settings (default: {DEFAULT_POLICY} if present)"
    )
    return parser


def cli_main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    transport = args.transport or ("ssh" if args.host else "shell")
    try:
        inventory = _load_inventory(args.inventory)
        settings = _load_settings(args.policy)
    except (InventoryError, PolicyConfigError) as exc:
        print(f"halops check: {exc}", file=sys.stderr)
        return 1
    verdict = CommandPolicy(settings, inventory).evaluate(args.command, transport, args.host)
    if args.audit is not None:
        with AuditLog(args.audit) as audit:
            audit.record_verdict(
                verdict,
                command=args.command,
                transport=transport,
                host=args.host,
                requester=f"cli:{getpass.getuser()}",
            )
    print(json.dumps(verdict.to_dict(), indent=2))
    return 0


def _load_inventory(path: Path | None) -> Inventory | None:
    if path is None:
        return Inventory.from_yaml(DEFAULT_INVENTORY) if DEFAULT_INVENTORY.is_file() else None
    return Inventory.from_yaml(path)


def _load_settings(path: Path | None) -> RuleSettings:
    if path is None:
        return load_policy_settings(DEFAULT_POLICY) if DEFAULT_POLICY.is_file() else RuleSettings()
    return load_policy_settings(path)


if __name__ == "__main__":
    raise SystemExit(cli_main(sys.argv[1:]))
