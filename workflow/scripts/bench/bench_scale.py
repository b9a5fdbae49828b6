"""How DAG build and dry run grow with the number of session files (no job is executed).

For each corpus size, writes that many tiny valid session files, then times `snakemake -n`
for the data target twice: locally and through the SLURM profile (a dry run needs no
cluster). Either way there is one extract and one qualify job per hash shard
(config extract.shards, --shards here), not per session. Prints, per run, the phases, the jobs
planned, the peak RSS of the snakemake process and the machine's load average:
  parse  = start -> "Building DAG of jobs..." (Snakefile, config, session discovery, shards)
  dag    = -> the next line (DAG build: jobs, wildcards, file checks)
  rest   = -> exit (dry-run scheduling and the job summary)
Targets (issue 12): a 100,000-session dry run in <= 60 s and <= 1 GB RSS.

    .venv/bin/python workflow/scripts/bench/bench_scale.py --sizes 1000 10000 100000
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import deque
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[3]
SNAKEMAKE = REPO / ".venv" / "bin" / "snakemake"
SLURM_PROFILE = REPO / "workflow" / "profiles" / "slurm"
TARGET = "results/final/train.jsonl"
# Sessions per project folder, as in a real ~/.claude/projects (many sessions per cwd).
SESSIONS_PER_PROJECT = 1000
DAG_MARK = "Building DAG of jobs"
TAIL_LINES = 200
MAX_LINE_CHARS = 2000


@dataclass
class Timing:
    sessions: int
    mode: str
    parse_s: float
    dag_s: float
    rest_s: float
    total_s: float
    jobs: int
    extract_jobs: int
    peak_rss_mb: float
    load_1min: float


def session_line(session_id: str, index: int) -> str:
    """One user record: the least a session file needs to be discovered and extracted."""
    record = {
        "type": "user",
        "sessionId": session_id,
        "uuid": str(uuid.UUID(int=index + 1)),
        "parentUuid": None,
        "timestamp": "2026-01-01T00:00:00.000Z",
        "message": {"role": "user", "content": f"check pve01 disk {index}"},
    }
    return json.dumps(record) + "\n"


def write_corpus(root: Path, n_sessions: int) -> None:
    """n_sessions main session files, SESSIONS_PER_PROJECT per project folder."""
    for index in range(n_sessions):
        project = root / f"-home-ops-p{index // SESSIONS_PER_PROJECT:04d}"
        if index % SESSIONS_PER_PROJECT == 0:
            project.mkdir(parents=True)
        session_id = str(uuid.UUID(int=(1 << 64) + index))
        (project / f"{session_id}.jsonl").write_text(session_line(session_id, index))


def write_config(workdir: Path, sessions_dir: Path, shards: int | None) -> Path:
    cfg = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    cfg["sessions_dir"] = str(sessions_dir)
    cfg["domain"]["inventory"] = str(REPO / "config" / "inventory.yaml")
    if shards:
        cfg["extract"]["shards"] = shards
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def mode_args(mode: str) -> list[str]:
    if mode == "local":
        return ["--cores", "2"]
    return ["--profile", str(SLURM_PROFILE)]


def timed_dry_run(
    workdir: Path, configfile: Path, extra: list[str]
) -> tuple[list[float], str, float]:
    """Run a dry run; return [parse, dag, rest, total] seconds, the output's tail and the
    process's peak RSS in MB.

    The extract jobs list every session file as input, so the output is long; only the tail
    (the "Job stats" table) is kept.
    """
    # The target goes first: --configfile and --group-components take several values and
    # would swallow a target that follows them.
    cmd = [str(SNAKEMAKE), TARGET, "--snakefile", str(REPO / "workflow" / "Snakefile")]
    cmd += ["--directory", str(workdir), "--configfile", str(configfile), "-n", *extra]
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    )
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    dag_start = dag_end = None
    assert proc.stdout is not None
    for line in proc.stdout:
        now = time.perf_counter() - start
        if dag_start is not None and dag_end is None:
            dag_end = now
        if dag_start is None and DAG_MARK in line:
            dag_start = now
        tail.append(line[:MAX_LINE_CHARS])
    # wait4, not wait: it also returns the child's resource usage (peak RSS, in KiB on Linux).
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    output = "".join(tail)
    if proc.returncode != 0:
        sys.exit(f"dry run failed:\n{output[-4000:]}")
    total = time.perf_counter() - start
    dag_start = dag_start or 0.0
    dag_end = dag_end or total
    return [dag_start, dag_end - dag_start, total - dag_end, total], output, usage.ru_maxrss / 1024


def job_counts(output: str) -> tuple[int, int]:
    """Jobs in the "Job stats" table: all of them, and the extract jobs (one per shard)."""
    total = int(re.search(r"^total\s+(\d+)$", output, re.M).group(1))
    extract = int(re.search(r"^extract\s+(\d+)$", output, re.M).group(1))
    return total, extract


def bench_size(
    n_sessions: int, modes: list[str], shards: int | None, scratch: Path
) -> list[Timing]:
    sessions_dir = scratch / f"sessions-{n_sessions}"
    started = time.perf_counter()
    write_corpus(sessions_dir, n_sessions)
    print(f"# {n_sessions} sessions written in {time.perf_counter() - started:.2f} s", flush=True)
    timings = []
    for mode in modes:
        workdir = scratch / f"work-{n_sessions}-{mode}"
        workdir.mkdir()
        load = os.getloadavg()[0]
        phases, output, rss_mb = timed_dry_run(
            workdir, write_config(workdir, sessions_dir, shards), mode_args(mode)
        )
        timing = Timing(
            n_sessions,
            mode,
            *(round(p, 2) for p in phases),
            *job_counts(output),
            round(rss_mb, 1),
            round(max(load, os.getloadavg()[0]), 2),
        )
        print(json.dumps(asdict(timing)), flush=True)
        timings.append(timing)
    shutil.rmtree(sessions_dir)
    return timings


def print_growth(timings: list[Timing]) -> None:
    """Seconds per 1,000 sessions, and the ratio between successive sizes, per mode."""
    print(
        "\nmode      sessions   parse_s   dag_s  rest_s  total_s  s/1k  x-prev  jobs  rss_mb  load"
    )
    for mode in dict.fromkeys(t.mode for t in timings):
        previous = None
        for t in (t for t in timings if t.mode == mode):
            ratio = f"{t.total_s / previous.total_s:6.1f}" if previous else "     -"
            per_k = t.total_s / t.sessions * 1000
            print(
                f"{mode:8} {t.sessions:9,} {t.parse_s:9.2f} {t.dag_s:7.2f} {t.rest_s:7.2f}"
                f" {t.total_s:8.2f} {per_k:5.2f} {ratio}  {t.jobs:4} {t.peak_rss_mb:7.0f}"
                f"  {t.load_1min:4.1f}"
            )
            previous = t


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument(
        "--modes", nargs="+", default=["local", "slurm"], choices=["local", "slurm"]
    )
    parser.add_argument(
        "--shards", type=int, default=None, help="extract.shards (default: the shipped config's)"
    )
    parser.add_argument("--scratch", type=Path, default=None, help="where corpora are written")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=args.scratch, prefix="halops-bench-") as tmp:
        timings = [t for n in args.sizes for t in bench_size(n, args.modes, args.shards, Path(tmp))]
    print_growth(timings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
