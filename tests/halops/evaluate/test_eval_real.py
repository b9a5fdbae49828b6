"""End to end: the runner serves the embedded base GGUF through `LlamaServer` and scores a few
cases and held-out turns for real (llama.cpp on CPU, ~1 minute)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from halops.evaluate.main import EvalOutputs, evaluate
from tests.conftest import REPO

pytestmark = pytest.mark.slow

FRAGMENT = {
    "cases": "config/eval/cases.jsonl",
    "heldout": "results/final/test.jsonl",
    "agent_config": "config/agent.yaml",
    "serve_config": "config/serve.yaml",
    "models": [{"name": "base", "gguf": "embedded"}],
    "retrieval": [False],
    "k": 2,
    "max_cases": 2,
    "temperature": 0.0,
    "seed": 0,
    "max_iterations": 2,
    "max_tokens": 64,
    "request_timeout_s": 600,
    "heldout_max_turns": 1,
    "judge": {"base_url": None, "model": "judge", "timeout_s": 60},
}


def heldout_split(tmp_path: Path) -> Path:
    """The pipeline's test split when built, else one hand-made example."""
    built = REPO / "results" / "final" / "test.jsonl"
    if built.is_file():
        return built
    call = {
        "id": "t",
        "type": "function",
        "function": {
            "name": "ssh",
            "arguments": json.dumps({"host": "nas01", "command": "zpool status"}),
        },
    }
    example = {"messages": [{"role": "system", "content": "You are HAL."},
                            {"role": "user", "content": "Is tank healthy?"},
                            {"role": "assistant", "content": "", "tool_calls": [call]}],
               "metadata": {"example_id": "hand"}}  # fmt: skip
    path = tmp_path / "test.jsonl"
    path.write_text(json.dumps(example) + "\n", encoding="utf-8")
    return path


def test_runner_scores_real_model_runs(tmp_path: Path) -> None:
    pytest.importorskip("llama_cpp")
    try:
        from bot.serve import embedded_base_gguf

        embedded_base_gguf()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    outputs = EvalOutputs.under(tmp_path / "eval")
    evaluate(
        FRAGMENT,
        REPO / FRAGMENT["cases"],
        heldout_split(tmp_path),
        REPO / FRAGMENT["agent_config"],
        REPO / FRAGMENT["serve_config"],
        outputs,
    )
    frame = pd.read_parquet(outputs.scores)
    cases = frame[frame.suite == "cases"]
    assert len(cases) == 2 * 2 and set(cases.trial) == {0, 1}
    assert set(cases.outcome) <= {"pass", "partial", "fail"}
    assert cases.reason.str.len().min() > 0
    # Temperature 0: the two trials of a case give the same outcome.
    assert (cases.groupby("case_id").outcome.nunique() == 1).all()
    assert len(frame[frame.suite == "heldout"]) == 1
    report = outputs.report.read_text(encoding="utf-8")
    assert "| base | 2 | 2 |" in report and "pass^2" in report
    assert outputs.outcomes_png.stat().st_size > 0 and outputs.categories_png.stat().st_size > 0
