"""`halops check "<command>"`: ask the policy without running anything.

Prints the verdict as JSON; the reason names the deciding finding. The exit status is the
decision, so scripts can branch on it: 0 allow, 10 confirm, 20 block; 2 on a usage error, 1
when the inventory or policy settings cannot be loaded. `config/` is found in the working
directory or the nearest parent that has one (or given with `--config-dir`).
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path

from bot.safety.audit import AuditLog
from bot.safety.inventory import Inventory, InventoryError
from bot.safety.policy import TRANSPORTS, CommandPolicy
from bot.safety.settings import PolicyConfigError, RuleSettings, load_policy_settings
from bot.safety.verdict import Verdict
from halops.contract.tools import ACTIONS

EXIT_CODES = {"allow": 0, "confirm": 10, "block": 20}
EXIT_CONFIG_ERROR = 1
INVENTORY_FILE = "inventory.yaml"
POLICY_FILE = "policy.yaml"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="halops check",
        description=(
            "Print the safety policy's verdict on a command as JSON; runs nothing. "
            "Exit status: 0 allow, 10 confirm, 20 block (2 usage error, 1 bad config)."
        ),
    )
    parser.add_argument(
        "command",
        help=(
            "shell command; for --transport ipmi an action (the agent's own names: "
            f"{', '.join(ACTIONS)}); for http '[METHOD] URL'; for local 'TOOL ARGS'"
        ),
    )
    parser.add_argument("--host", help="target inventory host (name or exact address)")
    parser.add_argument(
        "--transport", choices=TRANSPORTS, help="default: ssh when --host is given, else shell"
    )
    parser.add_argument("--audit", type=Path, help="also append the verdict to this audit log")
    parser.add_argument(
        "--config-dir",
        type=Path,
        help="folder with inventory.yaml and policy.yaml (default: ./config, or the nearest "
        "parent folder's config/)",
    )
    parser.add_argument("--inventory", type=Path, help="inventory file (overrides --config-dir)")
    parser.add_argument("--policy", type=Path, help="policy settings (overrides --config-dir)")
    return parser


def cli_main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    transport = args.transport or ("ssh" if args.host else "shell")
    config_dir = args.config_dir or find_config_dir(Path.cwd())
    try:
        inventory = _load_inventory(args.inventory, config_dir)
        settings = _load_settings(args.policy, config_dir)
    except (InventoryError, PolicyConfigError) as exc:
        print(f"halops check: {exc}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    verdict = CommandPolicy(settings, inventory).evaluate(args.command, transport, args.host)
    if args.audit is not None:
        _audit(args.audit, verdict, args.command, transport, args.host)
    _print(json.dumps(verdict.to_dict(), indent=2))
    return EXIT_CODES[verdict.decision]


def find_config_dir(start: Path) -> Path | None:
    """`config/` with an inventory or policy file, in `start` or its nearest parent."""
    for folder in (start, *start.parents):
        candidate = folder / "config"
        if (candidate / INVENTORY_FILE).is_file() or (candidate / POLICY_FILE).is_file():
            return candidate
    return None


def _load_inventory(path: Path | None, config_dir: Path | None) -> Inventory | None:
    if path is not None:
        return Inventory.from_yaml(path)
    if config_dir is not None and (config_dir / INVENTORY_FILE).is_file():
        return Inventory.from_yaml(config_dir / INVENTORY_FILE)
    return None


def _load_settings(path: Path | None, config_dir: Path | None) -> RuleSettings:
    if path is not None:
        return load_policy_settings(path)
    if config_dir is not None and (config_dir / POLICY_FILE).is_file():
        return load_policy_settings(config_dir / POLICY_FILE)
    return RuleSettings()


def _audit(path: Path, verdict: Verdict, command: str, transport: str, host: str | None) -> None:
    with AuditLog(path) as audit:
        audit.record_verdict(
            verdict,
            command=command,
            transport=transport,
            host=host,
            requester=f"cli:{getpass.getuser()}",
        )


def _print(text: str) -> None:
    """Print, tolerating a reader that went away (`halops check … | head -1`)."""
    try:
        print(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # Python flushes stdout again at exit; point it at /dev/null so that does not fail.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


if __name__ == "__main__":
    raise SystemExit(cli_main(sys.argv[1:]))
