"""The step loop: model -> tool calls -> policy -> (approval) -> execution -> observations.

Error taxonomy (what happens to each kind of failure):
- a tool's failure (host down, non-zero exit, timeout, refusal, bad arguments, a policy block,
  a denial, an expiry, the rate limit) is an *observation*: it goes back to the model, which can
  try something else;
- a broken model output (a `<tool_call>` that cannot be read) is retried once with the parse
  error shown to the model, then reported to the person as the answer;
- an internal error (model server down, a bug) stops the request with `AgentInternalError`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.agent.actions import Action, BadToolArguments, action_for
from bot.agent.confirm import (
    ApprovalDecision,
    ApprovalRequest,
    ApprovedRun,
    Confirmer,
    DenyAll,
    RunOutcome,
)
from bot.agent.model import ChatModel, ModelReply
from bot.agent.ratelimit import SlidingWindowLimiter
from bot.safety.audit import AuditLog
from bot.safety.policy import CommandPolicy, Verdict
from bot.tools.base import ToolExecutor, ToolResult
from halops.contract.prompts import SYSTEM_PROMPT, skill_system_prompt
from halops.contract.scrub import scrub_text
from halops.contract.toolcall import (
    ParsedReply,
    ToolCall,
    format_tool_call,
    format_tool_response,
    parse_tool_calls,
    tools_system_prompt,
)

log = logging.getLogger(__name__)

MAX_ITERATIONS = 10  # model turns per request before the loop gives up
MAX_COMMANDS = 30  # executed commands per RATE_WINDOW_S, across all conversations
RATE_WINDOW_S = 60.0
TOOL_TIMEOUT_S = 30.0  # per tool call
MODEL_RETRIES = 1  # extra attempts after an unreadable tool call

Retriever = Callable[[str], list[tuple[str, str]]]


class AgentInternalError(RuntimeError):
    """Something on our side broke; the request stops with this message."""


@dataclass(frozen=True)
class AgentCaps:
    max_iterations: int = MAX_ITERATIONS
    tool_timeout_s: float = TOOL_TIMEOUT_S
    model_retries: int = MODEL_RETRIES


@dataclass
class Step:
    """One tool call and what became of it (for the caller's display and for tests)."""

    call: ToolCall
    decision: str  # allow | confirm | block | invalid | rate_limited
    rule_id: str
    outcome: str  # executed | failed | blocked | denied | expired | withheld | skipped
    observation: str
    approver: str | None = None


@dataclass
class AgentResult:
    answer: str
    status: str  # answered | iteration_cap | model_error
    steps: list[Step] = field(default_factory=list)
    messages: list[dict[str, str]] = field(default_factory=list)


# What a turn hands its driver: a request a person must decide (the driver sends back the
# `ApprovalDecision`), or the report of an approved call that ran or did not (answer None).
Interaction = ApprovalRequest | ApprovedRun
Turn = Generator[Interaction, ApprovalDecision | None, AgentResult]


@dataclass
class AgentDeps:
    """What the loop is wired to; the Slack bot and the CLI build this differently."""

    model: ChatModel
    tools: Mapping[str, ToolExecutor]
    policy: CommandPolicy
    limiter: SlidingWindowLimiter
    # Who decides when `run()` drives the turn; the Slack bot drives `turn()` itself and
    # parks at approvals, so it leaves this at DenyAll (fail closed, should anything call it).
    confirmer: Confirmer = field(default_factory=DenyAll)
    audit: AuditLog | None = None
    retriever: Retriever | None = None
    base_prompt: str = SYSTEM_PROMPT  # what the model was trained with (halops.contract)
    caps: AgentCaps = field(default_factory=AgentCaps)


class Agent:
    def __init__(self, deps: AgentDeps) -> None:
        self.deps = deps

    # --- the loop ---------------------------------------------------------------------------

    def run(
        self,
        request: str,
        history: list[dict[str, str]] | None = None,
        requester: str = "terminal",
        conversation_id: str | None = None,
    ) -> AgentResult:
        """One request from start to answer; approvals go to `deps.confirmer` and block."""
        return drive(self.turn(request, history, requester, conversation_id), self.deps.confirmer)

    def turn(
        self,
        request: str,
        history: list[dict[str, str]] | None = None,
        requester: str = "terminal",
        conversation_id: str | None = None,
    ) -> Turn:
        """The loop as a generator: it stops at every approval request, so a caller that must
        not block (the Slack bot) can park it and resume it with the decision later."""
        conversation_id = conversation_id or uuid.uuid4().hex
        messages = [self.system_message(request), *(history or [])]
        messages.append({"role": "user", "content": request})
        steps: list[Step] = []
        for _ in range(self.deps.caps.max_iterations):
            reply, parsed = self._ask_model(messages)
            if parsed is None:
                return AgentResult(reply.text, "model_error", steps, messages)
            if not parsed.calls:
                messages.append({"role": "assistant", "content": parsed.content})
                return AgentResult(parsed.content, "answered", steps, messages)
            messages.append({"role": "assistant", "content": assistant_text(parsed)})
            new_steps = []
            for call in parsed.calls:
                new_steps.append((yield from self.handle_call(call, requester, conversation_id)))
            steps += new_steps
            messages.append({"role": "user", "content": observations_text(new_steps)})
        answer = f"Stopped after {self.deps.caps.max_iterations} steps without a final answer."
        return AgentResult(answer, "iteration_cap", steps, messages)

    def system_message(self, request: str) -> dict[str, str]:
        """Retrieved runbooks in the skills layout, then the tool descriptions."""
        documents = self.deps.retriever(request) if self.deps.retriever else []
        prompt = skill_system_prompt(self.deps.base_prompt, documents)
        tools = [self.deps.tools[name].spec.to_openai() for name in sorted(self.deps.tools)]
        return {"role": "system", "content": f"{prompt}\n\n{tools_system_prompt(tools)}"}

    def _ask_model(self, messages: list[dict[str, str]]) -> tuple[ModelReply, ParsedReply | None]:
        """A reply with readable calls, or (reply, None) once the retries are spent."""
        attempt_messages = list(messages)
        for _ in range(self.deps.caps.model_retries + 1):
            reply = self.deps.model.complete(attempt_messages)
            parsed = parsed_reply(reply)
            if not parsed.errors or parsed.calls:
                return reply, parsed
            problems = "; ".join(error.reason for error in parsed.errors)
            log.warning("unreadable tool call from the model: %s", problems)
            attempt_messages = [
                *messages,
                {"role": "assistant", "content": reply.text},
                {
                    "role": "user",
                    "content": f"Your tool call could not be read ({problems}). "
                    "Write it again as one JSON object inside <tool_call></tool_call>.",
                },
            ]
        text = f"The model's tool call could not be read twice: {problems}"
        return ModelReply(text), None

    # --- one call: detect -> decide -> (confirm) -> execute ---------------------------------

    def handle_call(
        self, call: ToolCall, requester: str, conversation_id: str
    ) -> Generator[Interaction, ApprovalDecision | None, Step]:
        tool = self.deps.tools.get(call.name)
        if tool is None:
            known = ", ".join(sorted(self.deps.tools))
            return Step(call, "invalid", "tool.unknown", "skipped", f"unknown tool; known: {known}")
        try:
            action = action_for(call.name, tool.spec.transport, call.arguments)
        except BadToolArguments as exc:
            return Step(call, "invalid", "tool.bad_arguments", "skipped", str(exc))
        verdict = self.judge(action)
        verdict_id = self._audit_verdict(verdict, action, requester, conversation_id)
        if verdict.decision == "block":
            text = f"blocked by policy [{verdict.rule_id}]: {verdict.reason}"
            return Step(call, "block", verdict.rule_id, "blocked", text)
        if verdict.decision == "allow":
            step, _ = self.execute(call, action, tool, verdict, verdict_id)
            return step
        request = approval_request(action, verdict, verdict_id, requester, conversation_id)
        decision = yield request
        if decision is None or decision.outcome != "approved":
            return not_approved(call, verdict, decision)
        step, run = self.execute(call, action, tool, verdict, verdict_id, decision)
        assert run is not None
        yield run  # the confirmer shows the approver what became of the approved call
        return step

    def judge(self, action: Action) -> Verdict:
        """Every call, local tools included, is judged by the policy from its action."""
        return self.deps.policy.evaluate(action.command, action.transport, action.host)

    def execute(
        self,
        call: ToolCall,
        action: Action,
        tool: ToolExecutor,
        verdict: Verdict,
        verdict_id: int,
        decision: ApprovalDecision | None = None,
    ) -> tuple[Step, ApprovedRun | None]:
        """Run the call (rate limit permitting); with a decision, also its report."""
        if not self.deps.limiter.try_acquire():
            wait = self.deps.limiter.retry_after()
            text = f"rate limit reached; nothing ran. Try again in {wait:.0f} s."
            self._audit_kind(verdict_id, "not_run", {"reason": "rate limit"})
            step = Step(call, "rate_limited", "rate.limit", "skipped", text)
            return with_approver(step, decision), reported(decision, "not_run", None, "")
        result = run_tool(tool, action, verdict, self.deps.caps.tool_timeout_s)
        observation = scrub_text(result.output).text  # once: the model and the approver see it
        outcome: RunOutcome = "executed" if result.ok else "failed"
        self._audit_event(verdict_id, outcome, result)
        text = observation if result.ok else f"error ({result.error_kind}): {observation}"
        step = Step(call, verdict.decision, verdict.rule_id, outcome, text)
        return with_approver(step, decision), reported(
            decision, outcome, result.exit_status, observation
        )

    # --- audit ------------------------------------------------------------------------------

    def _audit_verdict(self, verdict: Verdict, action: Action, requester: str, conv: str) -> int:
        if self.deps.audit is None:
            return 0
        return self.deps.audit.record_verdict(
            verdict,
            command=action.command,
            transport=action.transport,
            host=action.host,
            requester=requester,
            request_id=conv,
        )

    def _audit_kind(self, verdict_id: int, kind: str, detail: dict[str, Any]) -> None:
        if self.deps.audit is not None and verdict_id:
            self.deps.audit.record_event(verdict_id, kind, detail=detail)

    def _audit_event(self, verdict_id: int, kind: str, result: ToolResult) -> None:
        if self.deps.audit is not None and verdict_id:
            detail = {"error_kind": result.error_kind, "duration_s": round(result.duration_s, 3)}
            self.deps.audit.record_event(
                verdict_id, kind, exit_status=result.exit_status, detail=detail
            )


def drive(turn: Turn, confirmer: Confirmer) -> AgentResult:
    """Run a turn to its end, asking `confirmer` (blocking) at every approval request."""
    try:
        interaction = next(turn)
        while True:
            answer = (
                confirmer.confirm(interaction) if isinstance(interaction, ApprovalRequest) else None
            )
            interaction = turn.send(answer)
    except StopIteration as done:
        return done.value


def approval_request(
    action: Action, verdict: Verdict, verdict_id: int, requester: str, conversation_id: str
) -> ApprovalRequest:
    return ApprovalRequest(
        verdict_id=verdict_id,
        tool=action.tool,
        transport=action.transport,
        host=action.host,
        command=action.command,
        rule_id=verdict.rule_id,
        reason=verdict.reason,
        requester=requester,
        conversation_id=conversation_id,
        arguments=dict(action.arguments),
    )


def not_approved(call: ToolCall, verdict: Verdict, decision: ApprovalDecision | None) -> Step:
    if decision is None:  # a driver that sent nothing back: fail closed
        decision = ApprovalDecision("expired")
    if decision.outcome == "expired":
        text = "the approval request expired; nothing ran"
    elif decision.outcome == "withheld":
        text = f"the request was not put to an approver ({decision.reason}); nothing ran"
    else:
        text = f"{decision.approver or 'the approver'} denied the request; nothing ran"
    return Step(call, "confirm", verdict.rule_id, decision.outcome, text, decision.approver)


def with_approver(step: Step, decision: ApprovalDecision | None) -> Step:
    step.approver = decision.approver if decision is not None else None
    return step


def reported(
    decision: ApprovalDecision | None, outcome: RunOutcome, exit_status: int | None, output: str
) -> ApprovedRun | None:
    return None if decision is None else ApprovedRun(decision, outcome, exit_status, output)


def run_tool(tool: ToolExecutor, action: Action, verdict: Verdict, timeout_s: float) -> ToolResult:
    """Execute exactly what the policy judged: the same command string, with a full shell only
    when the policy's parse found shell syntax in it (`verdict.compound`); nothing re-parses
    the line here."""
    try:
        if action.transport == "shell" and verdict.compound:
            return tool.execute(action.arguments, timeout_s, allow_compound=True)
        return tool.execute(action.arguments, timeout_s)
    except Exception as exc:  # executors promise not to raise; if one does, it is our bug
        raise AgentInternalError(
            f"tool {action.tool} crashed: {type(exc).__name__}: {exc}"
        ) from exc


def parsed_reply(reply: ModelReply) -> ParsedReply:
    parsed = parse_tool_calls(reply.text)
    if reply.native_calls:
        return ParsedReply(parsed.content, [*parsed.calls, *reply.native_calls], parsed.errors)
    return parsed


def assistant_text(parsed: ParsedReply) -> str:
    """The assistant turn as the model was trained to write it (prose, then call blocks)."""
    blocks = [format_tool_call(call.name, call.arguments) for call in parsed.calls]
    return "\n".join([parsed.content, *blocks] if parsed.content else blocks)


def observations_text(steps: list[Step]) -> str:
    return "\n".join(format_tool_response(step.observation) for step in steps)


def describe_steps(steps: list[Step]) -> list[dict[str, Any]]:
    """Plain dicts for JSON output (`halops ask --json`)."""
    return [
        {
            "tool": step.call.name,
            "arguments": step.call.arguments,
            "decision": step.decision,
            "rule_id": step.rule_id,
            "outcome": step.outcome,
            "approver": step.approver,
        }
        for step in steps
    ]
