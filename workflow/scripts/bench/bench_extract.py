"""Benchmark of the extract stage (a script that prints figures, not a test).

1. Throughput: extract a generated corpus of at least 200 MB and, in the same run over the same
   bytes, a bare `json.loads`-per-line pass; prints MB/s, records/s and the ratio.
2. Incremental rerun: the data stages of the pipeline on a 1,000-session corpus, then again
   after adding one session; prints both wall times.

    .venv/bin/python workflow/scripts/bench/bench_extract.py [--mb 200] [--sessions 1000]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from halops.samplegen import generate_corpus
from halops.extract.sessions import find_sessions
from halops.extract.session import extract_session

REPO = Path(__file__).resolve().parents[3]


def corpus_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.jsonl"))


def bare_json_pass(files: list[Path]) -> tuple[float, int]:
    """Seconds and records for json.loads on every line: the floor any parser pays."""
    start, records = time.perf_counter(), 0
    for path in files:
        with path.open("rb") as handle:
            for line in handle:
                if line.strip():
                    json.loads(line)
                    records += 1
    return time.perf_counter() - start, records


def extract_pass(root: Path, out: Path) -> float:
    start = time.perf_counter()
    for ref in find_sessions(root):
        folder = out / ref.project
        extract_session(
            ref.main_path,
            list(ref.subagent_paths),
            root,
            folder / f"{ref.session}.parquet",
            folder / f"{ref.session}.quarantine.jsonl",
        )
    return time.perf_counter() - start


def throughput(mb: int, work: Path) -> None:
    corpus = work / "corpus"
    generate_corpus(corpus, n_sessions=max(200, mb * 4), seed=7, scale_bytes=mb * 1_000_000)
    files = corpus_files(corpus)
    size_mb = sum(p.stat().st_size for p in files) / 1e6
    bare_s, records = bare_json_pass(files)
    extract_s = extract_pass(corpus, work / "extracted")
    print(f"corpus: {size_mb:.1f} MB, {len(files)} files, {records:,} records")
    print(f"bare json.loads: {size_mb / bare_s:8.1f} MB/s {records / bare_s:12,.0f} records/s")
    rate = records / extract_s
    print(f"extract:         {size_mb / extract_s:8.1f} MB/s {rate:12,.0f} records/s")
    print(f"extract / bare time ratio: {extract_s / bare_s:.2f}x")


def snakemake_data_run(workdir: Path, sessions: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [
            str(Path(sys.executable).with_name("snakemake")),
            "--cores",
            "all",
            "--quiet",
            "all",
            "--snakefile",
            str(REPO / "workflow" / "Snakefile"),
            "--directory",
            str(workdir),
            "--configfile",
            str(REPO / "config" / "config.yaml"),
            "--config",
            f"sessions_dir={sessions}",
            "--",
            "results/final/train.jsonl",
        ],
        check=True,
    )
    return time.perf_counter() - start


def incremental(n_sessions: int, work: Path) -> None:
    sessions = work / "sessions"
    generate_corpus(sessions, n_sessions=n_sessions, seed=11)
    full_s = snakemake_data_run(work, sessions)
    extra = work / "extra"
    generate_corpus(extra, n_sessions=1, seed=12345)
    for path in corpus_files(extra):
        target = sessions / path.relative_to(extra)
        assert not target.exists(), f"seeded corpora collide at {target}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    rerun_s = snakemake_data_run(work, sessions)
    print(f"data stages, {n_sessions} sessions: full run {full_s:.1f} s")
    print(f"after adding one session:        rerun {rerun_s:.1f} s ({rerun_s / full_s:.1%})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--skip-incremental", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="halops-bench-") as tmp:
        throughput(args.mb, Path(tmp) / "throughput")
        if not args.skip_incremental:
            incremental(args.sessions, Path(tmp) / "incremental")


if __name__ == "__main__":
    main()
