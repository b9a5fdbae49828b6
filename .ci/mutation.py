"""Mutation testing of the safety, scrub, extract and eval modules with cosmic-ray (issue 16).

Not run in CI (minutes to hours). For each module named on the command line:

1. copy the working tree (tracked and untracked, not ignored files) to
   results/mutation/work/<module>/tree, since cosmic-ray edits the source in place and a run
   stopped by the time budget would otherwise leave a mutant in the real tree;
2. `cosmic-ray init` over the module's files (all of cosmic-ray's default operators);
3. keep a sample of the mutants (fixed seed; `--fraction 1` keeps all), mark the rest skipped;
4. `cosmic-ray exec`, running only the tests that exercise that module (`-x`, so a mutant is
   killed at its first failing test), until the per-module time budget is spent;
5. write results/mutation/<module>.json and results/mutation/summary.md: killed, survived,
   timed out, not reached, and every survivor with file:line and its diff.

`--rerun-survivors` reruns only the survivors of the last run of each module (the same mutant
ids) against the current tests, to measure what new tests kill.

cosmic-ray, not hand-written mutation: it has the operators, the session database and the
in-place apply/restore; this script only chooses the tests, the sample and the budget.
"""

from __future__ import annotations

import argparse
import ast
import functools
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from cosmic_ray.work_db import WorkDB, use_db
from cosmic_ray.work_item import TestOutcome, WorkerOutcome, WorkItem, WorkResult

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "results" / "mutation"


@dataclass(frozen=True)
class Module:
    paths: tuple[str, ...]  # what is mutated
    tests: tuple[str, ...]  # pytest arguments: only the tests that exercise it
    why: str  # what the test selection leaves out, and why


MODULES = {
    "safety": Module(
        ("bot/safety",),
        tuple(
            f"tests/bot/safety/{name}.py"
            for name in (
                "test_policy_tables",
                "test_bypasses",
                "test_shell_parse",
                "test_paths",
                "test_hosts_and_http",
                "test_inventory_and_settings",
                "test_audit",
                "test_safety_cli",
                "test_catalogues",
            )
        ),
        "without test_differential/test_bash_agreement (real bash, ~60 s a run), "
        "test_properties (hypothesis, ~25 s) and test_options (~17 s)",
    ),
    "scrub": Module(
        ("workflow/src/halops/contract/scrub",),
        ("tests/halops/contract/test_scrub.py",),
        "all scrub tests",
    ),
    "extract": Module(
        ("workflow/src/halops/extract",),
        ("tests/halops/extract", "--ignore=tests/halops/extract/test_real.py"),
        "without test_real (reads ../shared transcripts)",
    ),
    "eval": Module(
        ("workflow/src/halops/eval",),
        ("tests/halops/eval", "--ignore=tests/halops/eval/test_eval_real.py"),
        "without test_eval_real (llama.cpp, ~75 s a run)",
    ),
}


def copy_tree(dest: Path) -> None:
    """The working tree as git sees it (tracked + untracked, not ignored)."""
    if dest.exists():
        shutil.rmtree(dest)
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=REPO, check=True, capture_output=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file() and not source.is_symlink():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def test_command(module: Module) -> str:
    return " ".join(
        [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *module.tests]
    )


def write_config(tree: Path, module: Module, timeout_s: float) -> Path:
    paths = ", ".join(json.dumps(p) for p in module.paths)
    config = tree / "cosmic-ray.toml"
    config.write_text(
        "[cosmic-ray]\n"
        f"module-path = [{paths}]\n"
        f"timeout = {timeout_s}\n"
        'excluded-modules = ["**/__main__.py"]\n'
        f"test-command = {json.dumps(test_command(module))}\n"
        '[cosmic-ray.distributor]\nname = "local"\n'
    )
    return config


def environment(tree: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = f"{tree / 'workflow' / 'src'}:{tree}"
    env["HYPOTHESIS_STORAGE_DIRECTORY"] = str(tree / ".hypothesis")
    return env


@functools.cache
def annotation_spans(path: Path) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Where the type annotations of a file are. Every module here starts with `from
    __future__ import annotations`, so an annotation is never evaluated and a mutant inside
    one (`str | None` -> `str % None`) is equivalent by construction: not worth a test run."""
    spans = []
    for node in ast.walk(ast.parse(path.read_text())):
        annotations = []
        if isinstance(node, ast.arg | ast.AnnAssign) and node.annotation is not None:
            annotations.append(node.annotation)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns:
            annotations.append(node.returns)
        for a in annotations:
            spans.append(((a.lineno, a.col_offset), (a.end_lineno or 0, a.end_col_offset or 0)))
    return spans


@functools.cache
def _postponed(path: Path) -> bool:
    return "from __future__ import annotations" in path.read_text()


def _in_annotation(item: WorkItem, tree: Path) -> bool:
    [mutation] = item.mutations
    path = tree / mutation.module_path
    if not _postponed(path):
        return False
    start = tuple(mutation.start_pos)
    return any(a <= start < b for a, b in annotation_spans(path))


def sample(db: WorkDB, fraction: float, seed: int, tree: Path) -> tuple[int, int]:
    """Drop mutants inside annotations, then keep a fixed-seed sample of the others; both are
    marked skipped. Returns (all mutants, mutants in annotations)."""
    pending = list(db.pending_work_items)
    annotated = [item.job_id for item in pending if _in_annotation(item, tree)]
    if annotated:
        db.set_multiple_results(annotated, WorkResult(worker_outcome=WorkerOutcome.SKIPPED))
    ids = sorted(item.job_id for item in db.pending_work_items)
    keep = set(random.Random(seed).sample(ids, max(1, round(len(ids) * fraction))))
    skipped = [i for i in ids if i not in keep]
    if skipped:
        db.set_multiple_results(skipped, WorkResult(worker_outcome=WorkerOutcome.SKIPPED))
    return len(pending), len(annotated)


def execute(tree: Path, config: Path, session: Path, budget_s: float) -> bool:
    """cosmic-ray exec until done or the budget is spent; True when it finished."""
    with subprocess.Popen(
        [str(Path(sys.executable).parent / "cosmic-ray"), "exec", str(config), str(session)],
        cwd=tree, env=environment(tree), start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    ) as proc:  # fmt: skip
        try:
            proc.wait(timeout=budget_s)
            return True
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the copy may hold a mutant now: never reused
            proc.wait()
            return False


def survivors_to_pending(db: WorkDB) -> int:
    """Forget the results of the survivors so that exec runs them again."""
    from cosmic_ray.work_db import WorkResultStorage

    ids = [job for job, result in db.results if result.test_outcome == TestOutcome.SURVIVED]
    with db._session_maker.begin() as sess:  # cosmic-ray has no public "reset one result"
        sess.query(WorkResultStorage).filter(WorkResultStorage.job_id.in_(ids)).delete()
    return len(ids)


def summarise(name: str, module: Module, db: WorkDB, total: int, finished: bool) -> dict:
    counts = {"killed": 0, "survived": 0, "timeout": 0, "incompetent": 0, "no_test": 0}
    survivors = []
    items = {item.job_id: item for item in db.work_items}
    done = set()
    for job, result in db.results:
        if result.worker_outcome == WorkerOutcome.SKIPPED:
            continue
        done.add(job)
        if result.worker_outcome != WorkerOutcome.NORMAL:
            counts[
                "no_test" if result.worker_outcome == WorkerOutcome.NO_TEST else "incompetent"
            ] += 1
        elif result.test_outcome == TestOutcome.SURVIVED:
            counts["survived"] += 1
            [mutation] = items[job].mutations
            changed = [
                line for line in (result.diff or "").splitlines()
                if line[:1] in "+-" and not line.startswith(("+++", "---"))
            ]  # fmt: skip
            survivors.append(
                {
                    "id": job,
                    "where": f"{mutation.module_path}:{mutation.start_pos[0]}",
                    "operator": mutation.operator_name,
                    "change": changed,
                }
            )
        elif result.output == "timeout":
            counts["timeout"] += 1
        elif result.test_outcome == TestOutcome.KILLED:
            counts["killed"] += 1
        else:
            counts["incompetent"] += 1
    sampled = sum(1 for _ in db.pending_work_items) + len(done)
    survivors.sort(key=lambda s: (s["where"].split(":")[0], int(s["where"].split(":")[1])))
    return {
        "module": name,
        "paths": list(module.paths),
        "tests": test_command(module).split(" -p no:cacheprovider ", 1)[1],
        "tests_left_out": module.why,
        "mutants": total,
        "sampled": sampled,
        "ran": len(done),
        "finished": finished,
        **counts,
        "survivors": survivors,
    }


def run_module(name: str, args: argparse.Namespace) -> dict:
    module = MODULES[name]
    work = OUT / "work" / name
    tree, session = work / "tree", work / "session.sqlite"
    copy_tree(tree)  # always a fresh copy: the current tests, no leftover mutant
    config = write_config(tree, module, args.timeout)
    started = time.monotonic()
    if args.rerun_survivors or args.resume:
        with use_db(str(session), WorkDB.Mode.open) as db:
            if args.rerun_survivors:
                shutil.copy(OUT / f"{name}.json", OUT / f"{name}.before.json")
                print(f"{name}: rerunning {survivors_to_pending(db)} survivors", flush=True)
            total = db.num_work_items
        annotated = int((work / "annotated.txt").read_text())
    else:
        session.unlink(missing_ok=True)
        subprocess.run(
            [str(Path(sys.executable).parent / "cosmic-ray"), "init", str(config), str(session)],
            cwd=tree, check=True, env=environment(tree),
        )  # fmt: skip
        with use_db(str(session), WorkDB.Mode.open) as db:
            total, annotated = sample(db, args.fraction, args.seed, tree)
        (work / "annotated.txt").write_text(str(annotated))
    budget = max(1.0, args.budget_min * 60 - (time.monotonic() - started))
    finished = execute(tree, config, session, budget)
    with use_db(str(session), WorkDB.Mode.open) as db:
        summary = summarise(name, module, db, total, finished)
    summary["in_annotations"] = annotated
    summary["command"] = " ".join(["bash .ci/mutation.sh", *args.argv])
    (OUT / f"{name}.json").write_text(json.dumps(summary, indent=1))
    return summary


def write_markdown() -> Path:
    lines = ["# Mutation testing (cosmic-ray)\n"]
    lines.append(
        "| module | mutants | in annotations (skipped) | sampled | ran | killed | survived "
        "| timeout | other | command |"
    )
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    found = []
    for name in MODULES:
        for stem in (f"{name}.before", name):
            if (OUT / f"{stem}.json").exists():
                found.append((stem, json.loads((OUT / f"{stem}.json").read_text())))
    for stem, s in found:
        other = s["incompetent"] + s["no_test"]
        label = s["module"] + (" (before)" if stem.endswith(".before") else "")
        lines.append(
            f"| {label} | {s['mutants']} | {s['in_annotations']} | {s['sampled']} "
            f"| {s['ran']}{'' if s['finished'] else ' (budget)'} | {s['killed']} "
            f"| {s['survived']} | {s['timeout']} | {other} | `{s.get('command', '')}` |"
        )
    for stem, s in found:
        if stem.endswith(".before"):
            continue
        lines.append(
            f"\n## {s['module']}: survivors\n\nTests: `{s['tests']}` ({s['tests_left_out']})\n"
        )
        for surv in s["survivors"]:
            change = " / ".join(c.strip() for c in surv["change"])
            lines.append(f"- `{surv['where']}` {surv['operator']}: `{change}`")
    path = OUT / "summary.md"
    path.write_text("\n".join(lines) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help=f"of {', '.join(MODULES)} (default: all)")
    parser.add_argument("--fraction", type=float, default=1.0, help="share of mutants to run")
    parser.add_argument("--seed", type=int, default=16, help="seed of the mutant sample")
    parser.add_argument("--budget-min", type=float, default=60.0, help="minutes per module")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds per mutant")
    parser.add_argument(
        "--rerun-survivors", action="store_true", help="run the last run's survivors again"
    )
    parser.add_argument(
        "--resume", action="store_true", help="run the sampled mutants the budget left over"
    )
    args = parser.parse_args(argv)
    args.argv = list(argv if argv is not None else sys.argv[1:])
    unknown = [m for m in args.modules if m not in MODULES]
    if unknown:
        parser.error(f"unknown module {unknown[0]!r}; choose from {', '.join(MODULES)}")
    OUT.mkdir(parents=True, exist_ok=True)
    for name in args.modules or list(MODULES):
        s = run_module(name, args)
        print(
            f"{name}: {s['killed']} killed, {s['survived']} survived, {s['timeout']} timeout "
            f"of {s['ran']} run ({s['sampled']} sampled of {s['mutants']})",
            flush=True,
        )
    print(write_markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main())
