"""Optional LLM judge for free-text facts, through any OpenAI-compatible endpoint.

Off by default (`eval.judge.base_url: null`): literal and regex facts are reproducible and
cost nothing. A judge only gets a second look at plain-text facts the literal check missed, so
it can turn a partial into a pass but never invent a failure. A judge that errors says "no".
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from halops.eval.scoring import FactJudge

log = logging.getLogger(__name__)

JUDGE_SYSTEM = (
    "You grade answers of an operations assistant. Reply with exactly YES or NO: does the "
    "answer state the given fact (in any wording)? Do not reward facts that are only implied."
)


class OpenAIFactJudge:
    def __init__(self, client: Any, model: str, timeout_s: float = 60.0) -> None:
        self.client, self.model, self.timeout_s = client, model, timeout_s

    def holds(self, question: str, answer: str, fact: str) -> bool:
        prompt = f"Question: {question}\n\nAnswer:\n{answer}\n\nFact: {fact}\n\nYES or NO?"
        try:
            response = self.client.chat.completions.create(
                model=self.model,
                messages=[
                    {"role": "system", "content": JUDGE_SYSTEM},
                    {"role": "user", "content": prompt},
                ],
                temperature=0.0,
                max_tokens=3,
                timeout=self.timeout_s,
            )
        except Exception as exc:  # the openai client raises many types; all mean "no verdict"
            log.warning("judge failed (%s: %s); counting the fact as missing", type(exc), exc)
            return False
        verdict = (response.choices[0].message.content or "").strip().upper()
        return verdict.startswith("YES")


def judge_from_config(raw: Mapping[str, Any]) -> FactJudge | None:
    """The configured judge, or None when `base_url` is null."""
    if not raw or raw.get("base_url") is None:
        return None
    from bot.serve import openai_client

    return OpenAIFactJudge(
        openai_client(raw["base_url"]), raw["model"], float(raw.get("timeout_s", 60))
    )
