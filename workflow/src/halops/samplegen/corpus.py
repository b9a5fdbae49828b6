"""Plan, build and write a corpus of generated sessions in the `~/.claude/projects` layout."""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .builder import ERA_FLAT, ERA_NESTED, Clock, Ids, SessionContext, Transcript
from .scenarios import PROJECT_CWD, SCENARIOS, Scenario, Variant
from .shifts import holdout_report, run_shift, task_cycle

INVENTORY = next(s for s in SCENARIOS if s.name == "inventory_lookup")

log = logging.getLogger(__name__)

# Fixed epoch: timestamps derive from the seed and the session index, never from the clock.
BASE_TIME = datetime(2026, 1, 5, 7, 30, tzinfo=UTC)
MODELS_FLAT = ["claude-opus-4-5-20251101", "claude-sonnet-4-5-20250929"]
MODELS_NESTED = ["claude-opus-4-6", "claude-sonnet-4-5-20250929"]
SLUG_WORDS = (
    ["quiet", "amber", "rapid", "gentle", "radiant", "steady", "brisk", "silver", "humble"],
    ["floating", "humming", "winding", "glowing", "drifting", "sprouting", "whistling"],
    ["harbor", "falcon", "meadow", "lantern", "otter", "comet", "willow", "ocean", "plum"],
)
TITLES = {
    "zfs_scrub": "ZFS pool health check and scrub on nas01",
    "bmc_audit": "IPMI power and sensor audit of pve hosts",
    "alert_triage": "Alertmanager PVE service alert triage",
    "vlan_trunk": "IoT VLAN 40 missing on bridge trunk",
    "disk_replacement": "Replace failing ZFS disk on nas01",
    "cluster_health": "Pre-holiday cluster and storage health check",
    "exporter_down": "nas01 node exporter down in Prometheus",
    "node_unreachable": "Unreachable Proxmox node recovery via BMC",
    "backup_failure": "vzdump backup failure to nas01",
    "leaky_env": "Ansible auth failure on jump host",
    "readme_edit": "README typo fixes",
    "prometheus_rule": "Prometheus alert rule for degraded ZFS pools",
    "storage_mtu": "Slow NFS over storage VLAN: MTU mismatch",
    "smart_sweep": "SMART overview of nas01 disks",
    "firewall_abandoned": "IoT VLAN scrape blocked at fw01",
    "inventory_lookup": "Guest memory per node from the inventory",
    "photo_script": "Photo sorting script",
}


@dataclass
class CorpusStats:
    sessions: int = 0
    files: int = 0
    bytes: int = 0
    records: int = 0
    tool_calls: int = 0
    flat_agent_files: int = 0
    nested_agent_files: int = 0
    per_scenario: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def session_plan(seed: int) -> list[Scenario]:
    """One cycle of scenarios (weights expanded), shuffled by the seed; session i uses
    cycle[i % len(cycle)], so the first n sessions never depend on the corpus size."""
    cycle = [s for s in SCENARIOS for _ in range(s.weight)]
    random.Random(f"{seed}:plan").shuffle(cycle)
    return cycle


def occurrence(cycle: list[Scenario], index: int) -> int:
    scenario = cycle[index % len(cycle)]
    before = sum(1 for s in cycle[: index % len(cycle)] if s is scenario)
    return (index // len(cycle)) * scenario.weight + before


def _new_transcript(
    seed: int, index: int, project: str, era_choice: str | None, rng_key: str = ""
) -> Transcript:
    """A fresh session: ids, clock, era, model and harness settings drawn from its own rng."""
    rng = random.Random(f"{seed}:{rng_key}{index}")
    if era_choice is not None:
        era = ERA_NESTED if era_choice == "nested" else ERA_FLAT
    else:
        era = ERA_FLAT if rng.random() < 0.35 else ERA_NESTED
    start = BASE_TIME + timedelta(days=seed % 97, hours=index * 7 + rng.uniform(0, 5))
    ids = Ids(rng)
    cwd, branch = PROJECT_CWD[project]
    ctx = SessionContext(
        rng=rng,
        ids=ids,
        clock=Clock(start, rng),
        session_id=ids.uuid(),
        cwd=cwd,
        git_branch=branch,
        era=era,
        model=rng.choice(MODELS_NESTED if era.nested_agents else MODELS_FLAT),
        slug="-".join(rng.choice(words) for words in SLUG_WORDS),
        permission_mode=rng.choice(["default", "acceptEdits", "bypassPermissions"]),
        hooks=rng.random() < 0.6,
    )
    tr = Transcript(ctx)
    if not era.nested_agents and rng.random() < 0.3:
        tr.warmup_agent()
    tr.session_start()
    return tr


def build_session(seed: int, index: int, cycle: list[Scenario]) -> tuple[Scenario, Transcript]:
    """Session `index` of the corpus: one scenario, one conversation."""
    scenario = cycle[index % len(cycle)]
    occ = occurrence(cycle, index)
    era_choice = None
    if scenario.force_era == "alternate":  # guarantees both subagent layouts in small corpora
        era_choice = "nested" if occ % 2 == 0 else "flat"
    tr = _new_transcript(seed, index, scenario.project, era_choice)
    rng = tr.ctx.rng
    scenario.run(tr, Variant(rng, occ))
    if not tr.summaries and rng.random() < 0.3 and scenario.name in TITLES:
        tr.summary(TITLES[scenario.name])
    return scenario, tr


def build_long_session(seed: int, index: int, cycle: list[Scenario]) -> Transcript:
    """A day-long session working through several tasks, compacted now and then.

    Used past n_sessions when a corpus is scaled up: real transcripts are often megabytes long,
    and fewer, longer files keep the scale benchmark about bytes rather than file creation."""
    first = cycle[index % len(cycle)]
    tr = _new_transcript(seed, index, first.project, None)
    rng = tr.ctx.rng
    done: list[str] = []
    for step in range(rng.randint(8, 16)):
        scenario = cycle[(index * 7 + step) % len(cycle)]
        if rng.random() < 0.2:  # the big repo file, read again as in real long sessions
            scenario = INVENTORY
        if done and rng.random() < 0.15:
            tr.compact(_long_summary(done), trigger="auto")
        scenario.run(tr, Variant(rng, index + step))
        done.append(TITLES.get(scenario.name, scenario.name))
    tr.summary(f"Ops session: {done[0]} and {len(done) - 1} more tasks")
    return tr


def build_shift(seed: int, index: int, cycle: list) -> tuple[str, Transcript, dict]:
    """Shift `index` (its own rng stream, so scripted sessions never shift it): project,
    transcript and its manifest fields."""
    project = random.Random(f"{seed}:shift-project:{index}").choice(sorted(PROJECT_CWD))
    tr = _new_transcript(seed, index, project, None, rng_key="shift:")
    info = run_shift(tr, index, cycle)
    extra = {
        "heldout": info.heldout,
        "tasks": info.tasks,
        "heldout_features": sorted(set(info.heldout_features)),
    }
    return project, tr, {"quality": info.quality, **extra}


def _long_summary(done: list[str]) -> str:
    items = "\n".join(f"{i + 1}. {title} (completed)" for i, title in enumerate(done))
    return f"The user worked through a series of lab operations tasks:\n{items}"


def _dump(records: list[dict]) -> bytes:
    return "".join(
        json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in records
    ).encode("utf-8")


def write_session(
    out_dir: Path, project_dir: str, name: str, tr: Transcript, stats: CorpusStats
) -> None:
    """Write the main file and its agent files (flat or nested by era); update stats."""
    ctx = tr.ctx
    project = out_dir / project_dir
    leaf = next(r["uuid"] for r in reversed(tr.records) if "uuid" in r)
    head = [{"type": "summary", "summary": s, "leafUuid": leaf} for s in tr.summaries]
    files = {project / f"{ctx.session_id}.jsonl": head + tr.records}
    for agent in ctx.agents:
        agent_file = f"agent-{agent.agent_id}.jsonl"
        if ctx.era.nested_agents:
            files[project / ctx.session_id / "subagents" / agent_file] = agent.records
            stats.nested_agent_files += 1
        else:
            files[project / agent_file] = agent.records
            stats.flat_agent_files += 1
    for path, records in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        data = _dump(records)
        path.write_bytes(data)
        stats.files += 1
        stats.bytes += len(data)
        stats.records += len(records)
    stats.sessions += 1
    stats.tool_calls += ctx.tool_calls
    stats.per_scenario[name] = stats.per_scenario.get(name, 0) + 1


def _manifest_row(
    project: str, scenario: str, quality: str, tr: Transcript, **extra: object
) -> dict:
    ctx = tr.ctx
    return {
        "session_id": ctx.session_id,
        "project": project,
        "scenario": scenario,
        "quality": quality,
        "version": ctx.era.version,
        "agent_layout": "nested" if ctx.era.nested_agents else "flat",
        "agent_ids": [a.agent_id for a in ctx.agents],
        **extra,
    }


def generate_corpus(
    out_dir: Path,
    n_sessions: int,
    seed: int = 0,
    scale_bytes: int | None = None,
    manifest_path: Path | None = None,
    shifts: int = 0,
    holdout_path: Path | None = None,
) -> CorpusStats:
    """Write n_sessions sessions (more, if scale_bytes asks for a bigger corpus) under out_dir,
    then `shifts` shift sessions of parametrised tasks (the training corpus, `shifts.py`).

    Output is byte-identical for the same arguments; each session is built and written on its
    own, so memory stays flat however large the corpus, and adding shifts changes no scripted
    session. manifest_path, if given, receives one JSON line per session (id, project,
    scenario, intended quality, layout; for shifts also their tasks and held-out features):
    ground truth for testing the qualify stage, kept out of the sessions dir on purpose.
    holdout_path receives the held-out wordings, combinations and the sessions using them."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    cycle = session_plan(seed)
    stats = CorpusStats()
    manifest: list[dict] = []
    index = 0
    while index < n_sessions:
        scenario, tr = build_session(seed, index, cycle)
        write_session(out_dir, scenario.project, scenario.name, tr, stats)
        manifest.append(_manifest_row(scenario.project, scenario.name, scenario.quality, tr))
        index += 1
    while scale_bytes is not None and stats.bytes < scale_bytes:
        tr = build_long_session(seed, index, cycle)
        project = cycle[index % len(cycle)].project
        write_session(out_dir, project, "long_session", tr, stats)
        manifest.append(_manifest_row(project, "long_session", "mixed", tr))
        index += 1
    cycle_of_tasks = task_cycle(seed)
    for shift in range(shifts):
        project, tr, fields = build_shift(seed, shift, cycle_of_tasks)
        write_session(out_dir, project, "shift", tr, stats)
        manifest.append(_manifest_row(project, "shift", tr=tr, **fields))
    stats.per_scenario = dict(sorted(stats.per_scenario.items()))
    if manifest_path is not None:
        Path(manifest_path).write_bytes(_dump(manifest))
    if holdout_path is not None:
        report = json.dumps(holdout_report(manifest), indent=2, sort_keys=True) + "\n"
        Path(holdout_path).write_text(report, encoding="utf-8")
    log.info("generated %d sessions, %d files, %d bytes", stats.sessions, stats.files, stats.bytes)
    return stats


def cli_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="halops generate-sessions",
        description="Generate synthetic infrastructure-operations Claude Code sessions.",
    )
    parser.add_argument("--out", type=Path, required=True, help="sessions dir to write into")
    parser.add_argument("--sessions", type=int, default=40, help="number of sessions (minimum)")
    parser.add_argument("--seed", type=int, default=0, help="seed; same seed, same bytes")
    parser.add_argument(
        "--target-mb",
        type=float,
        default=None,
        help="keep adding sessions until the corpus reaches this size (MB)",
    )
    parser.add_argument(
        "--manifest", type=Path, default=None, help="also write a per-session JSONL manifest here"
    )
    parser.add_argument(
        "--shifts", type=int, default=0, help="shift sessions of parametrised tasks to add"
    )
    parser.add_argument(
        "--holdout",
        type=Path,
        default=None,
        help="write the held-out wordings, combinations and their sessions here (JSON)",
    )
    args = parser.parse_args(argv)
    scale = int(args.target_mb * 1_000_000) if args.target_mb else None
    stats = generate_corpus(
        args.out, args.sessions, args.seed, scale, args.manifest, args.shifts, args.holdout
    )
    json.dump(stats.to_dict(), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0
