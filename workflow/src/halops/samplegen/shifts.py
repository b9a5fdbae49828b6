"""Shift sessions: an operator's working session of several parametrised tasks (`tasks.py`).

Each shift is one Claude Code session in the real format (the same builder as the scripted
scenarios), holding 2-7 requests one after another, as an operator on call would type them.
Most shifts are clean; some are messy (a wrong host name the user corrects), abandoned (the
user gives up on an unreachable device) or off-topic (no infrastructure work at all), so the
qualify stage has all four kinds to sort, and the manifest says which is which.

Every `HELDOUT_EVERY`-th shift is a held-out shift: only these may use the tasks' held-out
wordings and parameter combinations, and `holdout_report` lists their session ids so that the
split puts them in the test set. Train and validation therefore never contain a held-out wording
or combination, and the test score says how much of the skill generalises.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from .builder import Transcript
from .tasks import HELDOUT_COMBOS, TASKS, Draw, Task, answer

HELDOUT_EVERY = 8  # one shift in eight is held out (~12 % of the shifts, all in test)
MESSY_SHARE = 0.08
ABANDONED_SHARE = 0.03
OFFTOPIC_SHARE = 0.05
TASKS_PER_SHIFT = (2, 7)


@dataclass
class ShiftInfo:
    """What a shift is, for the manifest: its quality, its tasks and what it holds out."""

    quality: str
    heldout: bool
    tasks: list[str] = field(default_factory=list)
    heldout_features: list[str] = field(default_factory=list)


def task_cycle(seed: int) -> list[Task]:
    """Tasks repeated by weight and shuffled by the seed; shifts walk through it in order, so
    every task type is spread evenly over the corpus and over the splits."""
    cycle = [task for task in TASKS for _ in range(task.weight)]
    random.Random(f"{seed}:tasks").shuffle(cycle)
    return cycle


def shift_quality(rng: random.Random) -> str:
    draw = rng.random()
    for quality, share in (
        ("offtopic", OFFTOPIC_SHARE),
        ("abandoned", ABANDONED_SHARE),
        ("messy", MESSY_SHARE),
    ):
        if draw < share:
            return quality
        draw -= share
    return "clean"


# Tasks answered in words alone (lab facts, refusals of dangerous requests).
NO_TOOL_TASKS = frozenset({"lab_fact", "refuse_dangerous"})
# Tool-using tasks every shift does at least (more are appended from the cycle if needed).
MIN_TOOL_TASKS = 2


def _uses_tools(cycle: list[Task], position: int) -> bool:
    return cycle[position % len(cycle)].name not in NO_TOOL_TASKS


def run_shift(tr: Transcript, index: int, cycle: list[Task]) -> ShiftInfo:
    """Play one shift into `tr`; `index` picks its place in the task cycle."""
    rng = tr.ctx.rng
    info = ShiftInfo(shift_quality(rng), heldout=index % HELDOUT_EVERY == HELDOUT_EVERY - 1)
    if info.quality == "offtopic":
        offtopic(tr, rng)
        return info
    n = rng.randint(*TASKS_PER_SHIFT)
    start = index * TASKS_PER_SHIFT[1]
    messy_at = rng.randrange(n) if info.quality == "messy" else -1
    positions = list(range(n))
    extra = n
    while sum(_uses_tools(cycle, start + p) for p in positions) < MIN_TOOL_TASKS:
        # Refusals and lab facts call no tool. A shift of them and a single diagnostic call
        # that exits non-zero (`systemctl status` of a failed unit) reads to the qualifier as
        # a session whose only call failed: tier C for a "clean" shift. Real shifts do more.
        if _uses_tools(cycle, start + extra):
            positions.append(extra)
        extra += 1
    for position in positions:
        task = cycle[(start + position) % len(cycle)]
        draw = Draw(rng, info.heldout)
        if position == messy_at:
            wrong_host_first(tr, draw)
        task.run(tr, draw, task)
        info.tasks.append(task.name)
        info.heldout_features += draw.used
    if info.quality == "abandoned":
        give_up(tr, rng)
    return info


# Host-name typos of messy shifts and the host the operator meant.
TYPOS = {"pve1": "pve01", "nas1": "nas01", "pve-01": "pve01", "mon1": "mon01"}
UPTIME = " 09:41:07 up 23 days,  4:12,  0 users,  load average: 0.21, 0.18, 0.11"


def wrong_host_first(tr: Transcript, d: Draw) -> None:
    """A typo in the host name: the command fails and the user corrects the request (the
    correction is what makes the shift messy: the operator had to steer)."""
    host = d.choice(list(TYPOS))
    tr.prompt(f"check uptime on {host}")
    err = f"ssh: Could not resolve hostname {host}: Name or service not known"
    m = tr.message()
    tr.bash(m, f"ssh {host} 'uptime'", f"uptime on {host}", "", exit_code=255, stderr=err)
    answer(tr, f"There is no host called {host} in the lab; did you mean another name?")
    meant = TYPOS[host]
    tr.prompt(f"no, I meant {meant}")
    m = tr.message()
    tr.bash(m, f"ssh {meant} 'uptime'", f"uptime on {meant}", UPTIME)
    answer(tr, f"{meant} has been up for 23 days; load is low (0.21).")


def give_up(tr: Transcript, rng: random.Random) -> None:
    """fw01 and sw-core01 are changed by hand only: every attempt fails and the user stops."""
    device = rng.choice(["fw01", "sw-core01"])
    tr.prompt(f"show me the running config of {device}")
    m = tr.message()
    err = f"{device}: Permission denied (publickey)."
    tr.bash(m, f"ssh {device} 'show running-config'", "config", "", exit_code=255, stderr=err)
    tr.bash(m, f"ssh admin@{device} 'show running-config'", "config", "", exit_code=255, stderr=err)
    m = tr.message()
    m.text(f"I cannot log in to {device}: no key of mine is accepted there. Could you")
    tr.interrupt_plain()
    tr.prompt("forget it, I'll use the console")
    answer(tr, "OK.")


OFFTOPIC = (
    ("write a regex that matches an ISO date", "`^\\d{4}-\\d{2}-\\d{2}$` matches 2026-11-27."),
    ("what's a good name for a cat?", "Pixel, Ziggy or Tofu are popular choices."),
    ("explain git rebase in one sentence", "It replays your commits on top of another branch."),
    ("translate 'good morning' to German", "Guten Morgen."),
)


def offtopic(tr: Transcript, rng: random.Random) -> None:
    for request, reply in rng.sample(OFFTOPIC, rng.randint(1, 3)):
        tr.prompt(request)
        answer(tr, reply)


def holdout_report(rows: list[dict]) -> dict:
    """The held-out wordings and combinations, and the shifts that use them (for the split)."""
    return {
        "description": (
            "Sessions listed here are the only ones using the held-out request wordings and "
            "host/service combinations below; the validate stage puts them in the test split."
        ),
        "sessions": sorted(r["session_id"] for r in rows if r.get("heldout")),
        "wordings": {t.name: list(t.heldout_phrasings) for t in TASKS if t.heldout_phrasings},
        "combinations": {
            name: sorted(" ".join(combo) for combo in combos)
            for name, combos in sorted(HELDOUT_COMBOS.items())
        },
    }
