"""`halops discover`: propose an inventory from the hosts a user's sessions touched.

    halops discover --sessions ~/.claude/projects --out config/inventory.draft.yaml

Writes a draft for review (stdout by default) and never changes the inventory itself.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from halops.discover.draft import build_draft, render
from halops.discover.scan import scan_sessions
from halops.domain import InventoryError, read_inventory
from halops.extract.sessions import SessionsDirError, find_sessions_or_explain

DEFAULT_SESSIONS = Path("~/.claude/projects")
DEFAULT_INVENTORY = Path("config/inventory.yaml")


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="halops discover",
        description=(
            "Read Claude Code sessions and propose an inventory: the hosts, addresses, BMCs "
            "and HTTP endpoints the transcripts touched (ssh/scp/rsync targets, ipmitool -H, "
            "URLs, ping), with counts. A draft to review, never applied."
        ),
    )
    parser.add_argument(
        "--sessions",
        type=Path,
        default=DEFAULT_SESSIONS,
        help="folder of transcripts in the layout of ~/.claude/projects (default: %(default)s)",
    )
    parser.add_argument(
        "--inventory",
        type=Path,
        default=None,
        help=f"inventory to compare with (default: {DEFAULT_INVENTORY} if it exists)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="write the draft here, e.g. config/inventory.draft.yaml (default: stdout)",
    )
    parser.add_argument(
        "--min-calls",
        type=int,
        default=1,
        help="leave out hosts reached by fewer tool calls (default: %(default)s)",
    )
    return parser


def cli_main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    inventory_path = args.inventory or (DEFAULT_INVENTORY if DEFAULT_INVENTORY.exists() else None)
    if args.out and inventory_path and _same_file(args.out, inventory_path):
        print(
            f"halops discover: refusing to write over {inventory_path}: discover never changes "
            "the inventory. Write a draft elsewhere (e.g. config/inventory.draft.yaml), review "
            "it, and merge what you keep by hand.",
            file=sys.stderr,
        )
        return 2
    try:
        refs = find_sessions_or_explain(args.sessions)
        inventory = read_inventory(inventory_path) if inventory_path else []
    except (SessionsDirError, InventoryError) as error:
        print(f"halops discover: {error}", file=sys.stderr)
        return 2
    sessions_dir = args.sessions.expanduser()
    scan = scan_sessions(refs, sessions_dir)
    draft = build_draft(scan, inventory, args.min_calls)
    text = render(draft, scan, str(sessions_dir), str(inventory_path) if inventory_path else None)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    known = sum(1 for e in draft.entries if e.known_as)
    print(
        f"halops discover: {scan.sessions} sessions, {scan.tool_calls} tool calls: "
        f"{len(draft.entries)} hosts ({known} already in the inventory, "
        f"{len(draft.entries) - known} new), {len(draft.outside)} outside the lab"
        + (f"; draft written to {args.out}" if args.out else ""),
        file=sys.stderr,
    )
    return 0


def _same_file(a: Path, b: Path) -> bool:
    return a.expanduser().resolve() == b.expanduser().resolve()
