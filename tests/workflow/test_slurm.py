"""The workflow on a real single-node SLURM cluster (Debian's packages, 127.0.0.1 only).

The data stages run twice on the same few sample sessions, once locally and once through
`snakemake --executor slurm` with the shipped profile, and must give the same outputs; the
SLURM run also trains the smoke profile's adapter (GPU-free job sizes). The two runs overlap:
the SLURM run spends most of its time waiting for status polls.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import pytest
import yaml

from halops.extract.sessions import SessionRef, find_sessions
from halops.extract.shards import session_key, shard_label, shard_of
from tests.conftest import REPO, venv_tool

pytestmark = [pytest.mark.slow, pytest.mark.slurm]

SAMPLE_SESSIONS = REPO / "workflow" / "resources" / "sessions"
CLUSTER_SCRIPTS = REPO / ".ci" / "slurm"
SLURM_PROFILE = REPO / "workflow" / "profiles" / "slurm"
DATA_TARGETS = ["results/final/train.jsonl", "results/final/data_card.md"]
ADAPTER_TARGET = "results/model/adapter"
# Every 4th sample session: 10 sessions, enough for non-empty val/test splits and a few
# tier-A conversations, small enough for a run in well under a minute.
SESSION_STRIDE = 4
# Hash shards of the test config: fewer than the sessions, so some shards hold several.
N_SHARDS = 4
# A hang guard, not a performance bound: ~3 minutes on an idle 2-core machine, but a CPU
# shared with other work can make the one training step take minutes.
CLUSTER_RUN_TIMEOUT_S = 900
# CPUs the test node declares: more than the machine's 2, because the jobs here mostly wait on
# Python start-up, and with 4 the extract shards and curate jobs run side by side.
NODE_CPUS = "4"
# Outputs whose content must match between the local and the SLURM run.
COMPARED_GLOBS = [
    "results/extracted/*.parquet",
    "results/quarantine/*.jsonl",
    "results/qualified/*.parquet",
    "results/curated/*.parquet",
    "results/final/*.parquet",
    "results/final/*.jsonl",
    "results/final/data_card.json",
]


class Runs(NamedTuple):
    local: Path  # work directory of the local run
    cluster: Path  # work directory of the SLURM run
    cluster_output: str  # snakemake's output of the SLURM run


def run_cluster_script(name: str, state_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(CLUSTER_SCRIPTS / name), str(state_dir)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "HALOPS_SLURM_CPUS": NODE_CPUS},
    )


@pytest.fixture(scope="module")
def slurm_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Environment of a started cluster (SLURM_CONF set); the daemons stop afterwards."""
    state = tmp_path_factory.mktemp("slurm")
    started = run_cluster_script("start.sh", state)
    try:
        if started.returncode == 3:
            pytest.skip(f"SLURM packages unavailable: {started.stderr.strip()}")
        assert started.returncode == 0, started.stdout + started.stderr + cluster_logs(state)
        yield {**os.environ, "SLURM_CONF": str(state / "slurm.conf")}
    finally:
        run_cluster_script("stop.sh", state)


def cluster_logs(state: Path) -> str:
    return "".join(f"\n--- {p.name}\n{p.read_text()[-2000:]}" for p in state.glob("*.log"))


def sample_refs() -> list[SessionRef]:
    return sorted(find_sessions(SAMPLE_SESSIONS), key=lambda r: (r.project, r.session))


def copy_session(ref: SessionRef, dest: Path) -> list[Path]:
    """Copy one sample session with its subagent files; return the copies."""
    copies = []
    for path in (ref.main_path, *ref.subagent_paths):
        target = dest / path.relative_to(SAMPLE_SESSIONS)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
        copies.append(target)
    return copies


def copy_sample_sessions(dest: Path) -> int:
    """Copy every SESSION_STRIDE-th sample session."""
    chosen = sample_refs()[::SESSION_STRIDE]
    for ref in chosen:
        copy_session(ref, dest)
    return len(chosen)


def job_sized_config(sessions_dir: Path) -> dict:
    """The shipped config on the copied sessions, with job sizes for a 2-CPU test node and a
    one-step training run (the smoke profile's own length would take minutes here)."""
    cfg = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    cfg["sessions_dir"] = str(sessions_dir)
    cfg["extract"]["shards"] = N_SHARDS
    cfg["cluster"]["resources"] = {
        "default": {"threads": 1, "mem_mb": 256, "runtime": 10},
        "base_model": {"mem_mb": 1024, "runtime": 10},
        "train": {"threads": 2, "mem_mb": 1024, "runtime": 10, "gpu": 0},
    }
    # Without the tool list the system prompt is short enough for 384-token examples, which
    # keeps one training step on 2 CPUs to seconds.
    cfg["curate"]["agent_tools"]["tools_in_system_prompt"] = False
    smoke = cfg["model"]["profiles"][cfg["model"]["profile"]]["train"]
    # Steps between evaluations/checkpoints beyond max_steps: only the final evaluation runs.
    smoke.update(max_steps=1, max_length=384, eval_steps=100, save_steps=100, max_eval_examples=1)
    return cfg


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sessions")
    assert copy_sample_sessions(root) >= 8
    return root


def make_workdir(base: Path, sessions_dir: Path) -> Path:
    (base / "config").mkdir(parents=True)
    (base / "config" / "inventory.yaml").symlink_to(REPO / "config" / "inventory.yaml")
    (base / "config" / "config.yaml").write_text(yaml.safe_dump(job_sized_config(sessions_dir)))
    return base


def snakemake_cmd(workdir: Path, *args: str) -> list[str]:
    return [
        venv_tool("snakemake"),
        "--snakefile",
        str(REPO / "workflow" / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(workdir / "config" / "config.yaml"),
        "--cores",
        "2",
        *args,
    ]


def run(cmd: list[str], workdir: Path, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-8000:]
    return output


def slurm_args() -> list[str]:
    return ["--executor", "slurm", "--profile", str(SLURM_PROFILE)]


def start_slurm_run(workdir: Path, env: dict[str, str], *targets: str) -> subprocess.Popen:
    """Start the targets through the SLURM executor, output to workdir/slurm_run.log; under
    `timeout -k` because a lost job status would make snakemake wait forever."""
    cmd = snakemake_cmd(
        workdir,
        *slurm_args(),
        # No slurmdbd here, so no sacct: squeue sees finished jobs for MinJobAge seconds.
        "--slurm-status-command",
        "squeue",
        "--slurm-init-seconds-before-status-checks",
        "1",
        "--jobs",
        "8",
        "--retries",
        "0",
        "--latency-wait",
        "5",
        *targets,
    )
    timeout = ["timeout", "-k", "10", str(CLUSTER_RUN_TIMEOUT_S)]
    with open(workdir / "slurm_run.log", "w") as log:
        return subprocess.Popen(
            timeout + cmd, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT
        )


def finish_slurm_run(proc: subprocess.Popen, workdir: Path) -> str:
    proc.wait()
    output = (workdir / "slurm_run.log").read_text()
    assert proc.returncode == 0, output[-8000:]
    return output


@pytest.fixture(scope="module")
def runs(
    tmp_path_factory: pytest.TempPathFactory, sessions: Path, slurm_env: dict[str, str]
) -> Runs:
    """The local run of the data targets, during one SLURM run of the data and model targets
    (one run: base_model goes beside the data stages, and every stage costs a poll round)."""
    local = make_workdir(tmp_path_factory.mktemp("local"), sessions)
    cluster = make_workdir(tmp_path_factory.mktemp("cluster"), sessions)
    proc = start_slurm_run(cluster, slurm_env, *DATA_TARGETS, ADAPTER_TARGET)
    try:
        run(snakemake_cmd(local, *DATA_TARGETS), local)
    except BaseException:
        proc.kill()
        raise
    return Runs(local, cluster, finish_slurm_run(proc, cluster))


def compared_files(workdir: Path) -> list[str]:
    found = {str(p.relative_to(workdir)) for g in COMPARED_GLOBS for p in workdir.glob(g)}
    return sorted(found)


def assert_same_content(local: Path, cluster: Path) -> None:
    """Parquet by content (the file bytes carry writer metadata), everything else by bytes."""
    if local.suffix == ".parquet":
        pd.testing.assert_frame_equal(pd.read_parquet(local), pd.read_parquet(cluster))
    else:
        assert local.read_bytes() == cluster.read_bytes(), local.name


def test_cluster_run_submits_one_job_per_shard(runs: Runs) -> None:
    submitted = [
        line
        for line in runs.cluster_output.splitlines()
        if "has been submitted with SLURM jobid" in line
    ]
    shards = len(list(runs.cluster.glob("results/extracted/shard-*.parquet")))
    assert 1 < shards <= N_SHARDS
    # extract and qualify per shard + merge_qualified + 4 curate + validate_split + base_model
    # + train; plots are localrules and stay in the main process.
    assert len(submitted) == 2 * shards + 1 + 4 + 1 + 2, "\n".join(submitted)


def test_cluster_outputs_equal_local_outputs(runs: Runs) -> None:
    names = compared_files(runs.local)
    assert names == compared_files(runs.cluster)
    assert any(n.startswith("results/final/") for n in names)
    for name in names:
        assert_same_content(runs.local / name, runs.cluster / name)


def test_training_smoke_profile_on_slurm(runs: Runs) -> None:
    adapter = runs.cluster / ADAPTER_TARGET
    assert json.loads((adapter / "adapter_config.json").read_text())["r"] > 0
    assert (runs.cluster / "results/model/training/loss.csv").read_text().count("\n") >= 2


def test_new_session_on_cluster_plans_its_shard_only(runs: Runs, sessions: Path) -> None:
    """Sharding must not cost incrementality: one new session is one extract, one qualify and
    one curate job, all of its shard."""
    workdir = runs.cluster
    unused = sample_refs()[1]  # the stride picks indices 0, 4, 8, ...
    shard = shard_label(shard_of(session_key(unused.project, unused.session), N_SHARDS), N_SHARDS)
    added = copy_session(unused, sessions)
    try:
        output = run(snakemake_cmd(workdir, *slurm_args(), "--dry-run", *DATA_TARGETS), workdir)
    finally:
        for path in added:
            path.unlink()
    assert re.search(r"^extract\s+1$", output, re.M), output[-3000:]
    assert re.search(r"^qualify\s+1$", output, re.M), output[-3000:]
    assert re.search(r"^curate\s+1$", output, re.M), output[-3000:]
    assert re.findall(r"^\s*wildcards: shard=(\d+)$", output, re.M) == [shard, shard, shard]
