"""What users run: `snakemake --cores 2` (the default target, rule `all`) in a fresh copy of the
project, as the README's first command does, on a small generated corpus with the cpu-smoke
profile and a two-case eval. Every stage runs under Snakemake: samplegen ... validate_split,
base_model, train, merge, gguf, check_model, rag_index, lab_recordings, eval, model_card.

Costs ~5 CPU-minutes: 14 minutes wall on 2 heavily shared cores (load ~13), less on a
quiet machine (training 6 steps, two llama.cpp servers for the eval);
CI runs it (marker `slow`). Never touches the repository's results/: the copy has its own.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import LLAMA_TEST_THREADS, REPO, venv_tool, write_test_serve_yaml

pytestmark = pytest.mark.slow

# As a user would shrink a run: --config overrides of whole keys of a section (Snakemake merges
# them into the section). A small corpus, the smoke profile, two eval cases, short answers.
OVERRIDES = [
    "samplegen={scripted_sessions: 8, shift_sessions: 24}",
    "model={profile: cpu-smoke}",
    "eval={max_cases: 2, heldout_max_turns: 2, max_iterations: 2, max_tokens: 48,"
    " heldout_max_tokens: 48, configurations: ["
    "{model: base, retrieval: false, grammar: true, heldout: true},"
    " {model: finetuned, retrieval: true, grammar: true, heldout: true}]}",
]
# What the user gets from rule all that this test reads (the first is llama.cpp's own file).
GGUF = "results/model/model.Q8_0.gguf"


def fresh_project(root: Path) -> Path:
    """The repository as a clone has it: no results, no Snakemake state, no venv."""
    project = root / "halops"
    ignore = shutil.ignore_patterns(".git", ".venv", "results", ".snakemake", "__pycache__")
    project.mkdir()
    for name in ("workflow", "config", "envs", "bot"):
        shutil.copytree(REPO / name, project / name, ignore=ignore)
    (project / "results").mkdir()
    return project


@pytest.fixture(scope="module")
def run_all(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    project = fresh_project(tmp_path_factory.mktemp("rule-all"))
    # llama.cpp on one thread (tests/conftest.py says why): the eval's servers read the
    # copy's serve.yaml, check_model takes its rule's threads.
    write_test_serve_yaml(project / "config" / "serve.yaml")
    command = [
        *(venv_tool("snakemake"), "--cores", "2", "--set-threads", "check_model=1"),
        *("--config", *OVERRIDES),
    ]
    # The copy's own packages, as the editable install of a clone would give them.
    env = {**os.environ, "PYTHONPATH": f"{project / 'workflow' / 'src'}{os.pathsep}{project}"}
    proc = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-8000:]
    return project, output


def test_every_stage_ran_under_snakemake(run_all: tuple[Path, str]) -> None:
    project, output = run_all
    table = output.split("Job stats:", 1)[1]
    for rule in ("samplegen", "validate_split", "train", "merge", "gguf", "check_model",
                 "rag_index", "eval", "model_card", "all"):  # fmt: skip
        assert f"\n{rule} " in table, rule
    assert "steps (100%) done" in output
    for log in ("merge", "gguf", "check_model", "model_card"):
        assert (project / "results" / "logs" / f"{log}.log").is_file(), log


def test_the_gguf_loads_in_llama_cpp(run_all: tuple[Path, str]) -> None:
    import llama_cpp

    project, _ = run_all
    gguf = project / GGUF
    assert gguf.read_bytes()[:4] == b"GGUF"
    model = llama_cpp.Llama(str(gguf), n_ctx=256, n_threads=LLAMA_TEST_THREADS, verbose=False)
    assert model.metadata["general.architecture"] == "llama"
    assert "<|im_start|>" in model.metadata["tokenizer.chat_template"]
    modelfile = (project / "results" / "model" / "Modelfile").read_text()
    assert modelfile.startswith(f"FROM ./{Path(GGUF).name}\n")


def test_the_check_says_the_model_answered_and_stopped(run_all: tuple[Path, str]) -> None:
    project, _ = run_all
    check = json.loads((project / "results" / "model" / "check.json").read_text())
    asked = [check, *check["answers"]]
    stopped = [a for a in asked if a["finish_reason"] == "stop"]
    assert len(asked) == 5 and stopped and check["stopped"] == len(stopped)
    for answer in stopped:
        assert answer["question"] and answer["answer"].strip()
        assert 0 < answer["completion_tokens"] <= 256


def test_the_eval_scored_both_models_and_summarised(run_all: tuple[Path, str]) -> None:
    project, output = run_all
    scores = pd.read_parquet(project / "results" / "eval" / "scores.parquet")
    cases = scores[scores.suite == "cases"]
    assert len(cases) == 2 * 2 and set(cases.outcome) <= {"pass", "partial", "fail"}
    assert len(scores[scores.suite == "heldout"]) == 2 * 2
    summary = (project / "results" / "eval" / "summary.txt").read_text()
    assert summary.startswith("HALops evaluation: 2 cases, 2 held-out turns, 2 configurations")
    assert summary.splitlines()[0] in output  # printed at the end of the run, as users see it


def test_the_cards_describe_this_run(run_all: tuple[Path, str]) -> None:
    project, _ = run_all
    card = (project / "results" / "model" / "MODEL_CARD.md").read_text()
    assert "embedded:smollm2-135m" in card and "6 optimizer steps" in card  # cpu-smoke
    assert "Not evaluated yet" not in card  # the eval's scores are in it
    assert "| base | off |" in card and "| finetuned | on |" in card  # retrieval off / on
    data_card = (project / "results" / "final" / "data_card.md").read_text()
    assert "## Tiers against the generator's manifest" in data_card
    manifest = (project / "results" / "samplegen" / "manifest.jsonl").read_text().splitlines()
    assert len(manifest) == 8 + 24
