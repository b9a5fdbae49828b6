"""End to end: the runner serves the embedded base GGUF through `LlamaServer` and scores a few
cases and held-out turns for real (llama.cpp on CPU), with and without the grammar."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from halops.eval.main import EvalInputs, EvalOutputs, evaluate
from tests.conftest import REPO, write_test_serve_yaml

pytestmark = pytest.mark.slow

FRAGMENT = {
    "cases": "config/eval/cases.jsonl",
    "heldout": "results/final/test.jsonl",
    "lab_recordings": "results/lab/recordings.jsonl",
    "agent_config": "config/agent.yaml",
    "serve_config": "config/serve.yaml",
    "models": [{"name": "base", "gguf": "embedded"}],
    "configurations": [
        {"model": "base", "retrieval": False, "grammar": True, "heldout": True},
        {"model": "base", "retrieval": False, "grammar": False, "heldout": True},
    ],
    "k": 2,
    "max_cases": 2,
    "temperature": 0.0,
    "seed": 0,
    "max_iterations": 2,
    "max_tokens": 64,
    "request_timeout_s": 600,
    "heldout_max_turns": 2,
    "heldout_max_tokens": 48,
    "judge": {"base_url": None, "model": "judge", "timeout_s": 60},
}


def heldout_split(tmp_path: Path) -> Path:
    """A hand-made held-out example (tests never read results/ of an earlier run)."""
    call = {
        "id": "t",
        "type": "function",
        "function": {
            "name": "ssh",
            "arguments": json.dumps({"host": "nas01", "command": "zpool status"}),
        },
    }
    result = {"role": "tool", "tool_call_id": "t", "content": "pool: tank\n state: ONLINE"}
    again = {**call, "id": "u"}
    example = {"messages": [{"role": "system", "content": "You are HAL."},
                            {"role": "user", "content": "Is tank healthy?"},
                            {"role": "assistant", "content": "", "tool_calls": [call]},
                            result,
                            {"role": "assistant", "content": "", "tool_calls": [again]}],
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
    inputs = EvalInputs.from_section(FRAGMENT, REPO)
    inputs = EvalInputs(
        inputs.cases,
        heldout_split(tmp_path),
        inputs.agent_config,
        write_test_serve_yaml(tmp_path / "serve.yaml"),
        None,
    )
    summary = evaluate(FRAGMENT, inputs, outputs, REPO, progress=False)
    frame = pd.read_parquet(outputs.scores)
    cases = frame[frame.suite == "cases"]
    assert len(cases) == 2 * 2 * 2 and set(cases.trial) == {0, 1}
    assert set(cases.config) == {"base", "base, no grammar"}
    assert set(cases.outcome) <= {"pass", "partial", "fail"}
    assert cases.reason.str.len().min() > 0
    # Temperature 0: the two trials of a case give the same outcome.
    assert (cases.groupby(["config", "case_id"]).outcome.nunique() == 1).all()
    # The grammar's promise: nothing unreadable where it was on.
    assert cases[cases.grammar].unreadable.sum() == 0
    heldout = frame[frame.suite == "heldout"]
    assert len(heldout) == 2 * 2 and heldout[heldout.grammar].unreadable.sum() == 0
    report = outputs.report.read_text(encoding="utf-8")
    assert "| base | 2 | 2 |" in report and "pass^2" in report
    for png in (outputs.outcomes_png, outputs.categories_png, outputs.heldout_png):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert summary == outputs.summary.read_text(encoding="utf-8")
    assert summary.startswith("HALops evaluation: 2 cases, 2 held-out turns, 2 configurations")
    assert "unreadable tool calls with the grammar: 0 (target 0): met" in summary
