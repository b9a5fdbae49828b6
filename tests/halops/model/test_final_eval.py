"""The train rule's final validation: reused when the trainer evaluated at its last step (a
second pass costs ~45 s of the cpu profile's budget), computed when it did not."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

pytest.importorskip("transformers")

from halops.model.train import final_evaluation


class CountingTrainer:
    """Stands in for transformers.Trainer: its state, and how often evaluate() ran."""

    def __init__(self, global_step: int, log_history: list[dict[str, Any]]) -> None:
        self.state = SimpleNamespace(global_step=global_step, log_history=log_history)
        self.evaluations = 0

    def evaluate(self) -> dict[str, Any]:
        self.evaluations += 1
        return {"eval_loss": 9.0}


def test_the_last_steps_evaluation_is_reused() -> None:
    trainer = CountingTrainer(
        158,
        [
            {"eval_loss": 0.5, "step": 80},
            {"loss": 0.3, "step": 155},
            {"eval_loss": 0.32, "eval_runtime": 46.3, "epoch": 2.0, "step": 158},
            {"train_runtime": 1613.0, "step": 158},
        ],
    )
    assert final_evaluation(trainer) == {"eval_loss": 0.32, "eval_runtime": 46.3}
    assert trainer.evaluations == 0


@pytest.mark.parametrize(
    "history",
    [
        [{"eval_loss": 0.5, "step": 80}, {"loss": 0.3, "step": 158}],  # last eval is older
        [{"loss": 0.3, "step": 158}],  # never evaluated
        [],
    ],
)
def test_an_older_or_missing_evaluation_is_recomputed(history: list[dict[str, Any]]) -> None:
    trainer = CountingTrainer(158, history)
    assert final_evaluation(trainer) == {"eval_loss": 9.0}
    assert trainer.evaluations == 1
