"""search_runbooks: retrieval as a tool, judged read-only by the loop."""

from __future__ import annotations

from bot.agent.confirm import DenyAll
from bot.agent.loop import Agent, AgentDeps
from bot.agent.ratelimit import SlidingWindowLimiter
from bot.safety.policy import CommandPolicy
from bot.tools.runbooks import RunbookSearchExecutor
from halops.contract.toolcall import format_tool_call
from tests.fakes import ScriptedModel

PASSAGES = [("Disk replacement > Offline the disk", "zpool offline tank sdc")]


def test_search_returns_titled_passages() -> None:
    tool = RunbookSearchExecutor(lambda query: PASSAGES if "disk" in query else [])
    found = tool.execute({"query": "replace a disk"}, timeout_s=5)
    assert (
        found.ok
        and found.output == "## Disk replacement > Offline the disk\nzpool offline tank sdc"
    )
    assert tool.execute({"query": "weather"}, 5).output == "no runbook passage matches"
    assert tool.execute({}, 5).error_kind == "bad_arguments"


def test_the_loop_runs_it_without_approval() -> None:
    queries: list[str] = []

    def search(query: str) -> list[tuple[str, str]]:
        queries.append(query)
        return PASSAGES

    model = ScriptedModel(format_tool_call("search_runbooks", {"query": "disk"}), "Offline it.")
    deps = AgentDeps(
        model=model,
        tools={"search_runbooks": RunbookSearchExecutor(search)},
        policy=CommandPolicy(),
        confirmer=DenyAll(),
        limiter=SlidingWindowLimiter(30, 60),
    )
    result = Agent(deps).run("how do I replace a disk?")
    [step] = result.steps
    assert (step.decision, step.rule_id, step.outcome) == ("allow", "tool.read_only", "executed")
    assert queries == ["disk"] and result.answer == "Offline it."
