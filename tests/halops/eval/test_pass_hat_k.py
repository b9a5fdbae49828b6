"""τ-bench's pass^k: mean over tasks of C(c, k) / C(n, k)."""

from __future__ import annotations

import pytest

from halops.eval.scoring import mean_score, pass_hat_k


def test_pass_hat_1_is_the_mean_success_rate() -> None:
    assert pass_hat_k([4, 2, 0], trials=4, k=1) == pytest.approx((1 + 0.5 + 0) / 3)


def test_pass_hat_k_counts_only_draws_where_every_trial_passed() -> None:
    # 4 trials: c=4 -> 1; c=3 -> C(3,2)/C(4,2) = 3/6; c=1 -> 0.
    assert pass_hat_k([4, 3, 1], trials=4, k=2) == pytest.approx((1 + 0.5 + 0) / 3)
    # k = n: only tasks that passed every trial count.
    assert pass_hat_k([4, 3, 1], trials=4, k=4) == pytest.approx(1 / 3)


def test_pass_hat_k_never_increases_with_k() -> None:
    values = [pass_hat_k([5, 4, 2, 1], trials=5, k=k) for k in range(1, 6)]
    assert values == sorted(values, reverse=True)


@pytest.mark.parametrize(("counts", "k"), [([1], 0), ([1], 3), ([3], 2)])
def test_pass_hat_k_rejects_impossible_inputs(counts: list[int], k: int) -> None:
    with pytest.raises(ValueError):
        pass_hat_k(counts, trials=2, k=k)


def test_no_cases_scores_zero() -> None:
    assert pass_hat_k([], trials=3, k=2) == 0.0


def test_mean_counts_a_partial_as_half() -> None:
    # The seed's v1 table: 8 pass / 8 partial / 4 fail on 20 questions is "~60%".
    assert mean_score(["pass"] * 8 + ["partial"] * 8 + ["fail"] * 4) == pytest.approx(0.6)
