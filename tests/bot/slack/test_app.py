"""The composition root's own behaviour: Slack retried with backoff, nothing patched later."""

from __future__ import annotations

import dataclasses
import logging

import pytest
from slack_sdk.errors import SlackApiError

from bot.app import SLACK_RETRY_MAX_S, SlackUnusable, until_slack_answers


class Flaky:
    """Fails `failures` times with `error`, then answers."""

    def __init__(self, failures: int, error: Exception) -> None:
        self.failures, self.error, self.calls = failures, error, 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return "ok"


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "Connection refused"),
        TimeoutError("timed out"),
        SlackApiError("rate limited", {"ok": False, "error": "ratelimited"}),
    ],
    ids=["refused", "timeout", "ratelimited"],
)
def test_slack_is_retried_with_exponential_backoff_and_one_line_each(error, caplog) -> None:
    waits: list[float] = []
    call = Flaky(9, error)
    with caplog.at_level(logging.ERROR, logger="bot.app"):
        assert until_slack_answers(call, "auth.test", sleep=waits.append) == "ok"
    assert waits == [1, 2, 4, 8, 16, 32, SLACK_RETRY_MAX_S, SLACK_RETRY_MAX_S, SLACK_RETRY_MAX_S]
    assert len(caplog.records) == 9
    assert all("\n" not in r.getMessage() and r.exc_info is None for r in caplog.records)
    assert caplog.records[0].getMessage().startswith("cannot reach Slack (auth.test): ")


@pytest.mark.parametrize("code", ["invalid_auth", "token_revoked", "account_inactive"])
def test_a_refused_token_is_not_retried(code) -> None:
    waits: list[float] = []
    call = Flaky(1, SlackApiError("no", {"ok": False, "error": code}))
    with pytest.raises(SlackUnusable, match=f"Slack refused the token \\({code}\\)"):
        until_slack_answers(call, "auth.test", sleep=waits.append)
    assert waits == [] and call.calls == 1


def test_the_assembled_dependencies_cannot_be_patched(make_bot) -> None:
    bot = make_bot({})
    with pytest.raises(dataclasses.FrozenInstanceError):
        bot.deps.health = lambda: False  # type: ignore[misc]
