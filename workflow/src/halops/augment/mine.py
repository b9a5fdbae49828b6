"""Preference pairs mined from the transcripts: what the operator or the outcome rejected, and
what worked instead, at the same point of the conversation. No model, no API.

Three kinds, all read from one session's main conversation (extracted rows, in order):

- recovery: `rejected` is a call whose result is an error (non-zero exit, tool error);
  `chosen` is the assistant's first reaction once it has seen the error, a changed retry of
  the same tool, target and program, which succeeded.
- correction: `rejected` is the assistant's last action before a prompt that opens with a
  correction phrase (qualify's `correction_phrases`): the failed calls of its last message with
  calls if any, else all of them, else its answer; `chosen` is the assistant's first message
  after the correction.
- interruption: `rejected` is the calls the operator refused or interrupted, when the next user
  action is a typed prompt; `chosen` is the assistant's first message after that prompt.

The prompt is the conversation before the rejected message (system prompt as in the SFT
examples), windowed to whole user turns within `max_prompt_tokens`. Chosen and rejected are one
assistant message each, in the agent's tool vocabulary (`halops.curate.agent_tools`): tool
calls only when the message made calls (prose next to a call often reacts to the operator's
correction, which the prompt does not contain), otherwise the text answer.

Deliberately strict, so that no pair is invented: a retry of the *same* call (the environment
changed, not the choice), a retry that failed too, a chosen call that failed, a plain interrupt
of a text answer and a new request after an interrupt give no pair. Parallel calls in the
failing message do not count as the retry: they were made before the error was seen.
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from halops.contract.tools import agent_tools_prompt
from halops.curate.agent_tools import unmapped_tools
from halops.curate.common import Session
from halops.curate.config import CurateConfig
from halops.curate.messages import Message, message_chars, pair_tool_calls, row_to_message
from halops.qualify import QualifyConfig, _term_pattern, is_correction
from halops.rows import Row, text_of

# The results Claude Code writes when the operator refuses a call at the permission prompt, or
# interrupts it while it runs (transcript-format.md §5): these are the operator's verdict, not
# the tool's.
REFUSED_PREFIXES = ("The user doesn't want to proceed with this tool use", "[Request interrupted")
# Words that only wrap the program a command runs: `sudo systemctl ...` runs systemctl.
WRAPPERS = frozenset({"sudo", "doas", "env", "nice", "nohup", "time", "timeout", "command"})
_VERB = re.compile(r"[a-z][a-z-]*")
_ERROR = "_is_error"  # the curate messages' private error flag on tool messages


@dataclass(frozen=True)
class Pair:
    """One mined preference pair; messages are OpenAI chat messages (agent tool vocabulary)."""

    kind: str
    reason: str
    session_id: str
    project: str
    tier: str
    source: str  # raw `path:LINE` of the rejected message
    turn: int  # 1-based index of the user turn the rejected message belongs to
    prompt: list[Message]
    chosen: Message
    rejected: Message
    rule_id: str | None = None  # safety pairs: the policy rule that blocks the rejected call

    @property
    def pair_id(self) -> str:
        rejected = json.dumps(self.rejected, sort_keys=True)
        chosen = json.dumps(self.chosen, sort_keys=True)
        key = "\x1f".join([self.kind, self.session_id, self.source, rejected, chosen])
        return hashlib.sha256(key.encode()).hexdigest()[:16]


@dataclass
class MineStats:
    """How many candidates each reason turned away (logged and put on the data card)."""

    skipped: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class Step:
    """One conversational row with its message (None for an interrupt marker)."""

    row: Row
    message: Message | None
    turn: int

    @property
    def kind(self) -> str:
        return str(self.row["kind"])


@dataclass(frozen=True)
class MineContext:
    session: Session
    curate: CurateConfig
    qualify: QualifyConfig
    max_prompt_tokens: int
    stats: MineStats


def mine_session(
    session: Session,
    curate: CurateConfig,
    qualify: QualifyConfig,
    max_prompt_tokens: int,
    kinds: Iterable[str],
    stats: MineStats | None = None,
) -> list[Pair]:
    """Every recovery / correction / interruption pair of the session's main conversation."""
    ctx = MineContext(session, curate, qualify, max_prompt_tokens, stats or MineStats())
    steps = conversation_steps(session.main(), curate)
    wanted = set(kinds)
    pairs: list[Pair] = []
    if "recovery" in wanted:
        pairs += recovery_pairs(steps, ctx)
    if wanted & {"correction", "interruption"}:
        pairs += [p for p in steering_pairs(steps, ctx) if p.kind in wanted]
    return pairs


def conversation_steps(rows: list[Row], cfg: CurateConfig) -> list[Step]:
    """Prompts, assistant messages, tool results and interrupts, as curate renders them."""
    steps, turn = [], 0
    for row in rows:
        if row["kind"] == "user_prompt":
            turn += 1
        if row["kind"] == "interrupt":
            steps.append(Step(row, None, turn))
            continue
        message = row_to_message(row, cfg)
        if message is not None:
            steps.append(Step(row, message, turn))
    return steps


# --- recovery ----------------------------------------------------------------------------------


def recovery_pairs(steps: list[Step], ctx: MineContext) -> list[Pair]:
    results = tool_results(steps)
    pairs = []
    for index, step in enumerate(steps):
        for call in calls_of(step):
            result = results.get(call["id"])
            if result is None or not failed(result) or refused(result):
                continue
            pair = _recovery_for(steps, index, call, results, ctx)
            if pair is not None:
                pairs.append(pair)
    return pairs


def _recovery_for(
    steps: list[Step], index: int, call: Message, results: dict[str, Message], ctx: MineContext
) -> Pair | None:
    retry_index = next_call_step(steps, index)
    if retry_index is None:
        ctx.stats.skipped["recovery: no later call in the turn"] += 1
        return None
    retry = immediate_retry(call, calls_of(steps[index]), calls_of(steps[retry_index]), results)
    if retry is None:
        ctx.stats.skipped["recovery: the next call is not a changed retry"] += 1
        return None
    outcome = results.get(retry["id"])
    if outcome is None or failed(outcome):
        ctx.stats.skipped["recovery: the retry failed too"] += 1
        return None
    reason = "error: " + first_line(str(results[call["id"]].get("content") or ""))
    return build_pair(
        "recovery", reason, steps, index, calls_message([call]), calls_message([retry]), ctx
    )


def immediate_retry(
    call: Message, same_step: list[Message], next_calls: list[Message], results: dict[str, Message]
) -> Message | None:
    """The call of the next calling message that retries `call` with a change, if it is the
    assistant's first reaction: only retries of the step's other failed calls may come first.

    A retry has the same target (tool, host, program), other arguments, the same subcommand,
    and shares at least half of its words with the failed call: `systemctl status pveproxy`
    (exit 3: inactive) followed by `systemctl restart pveproxy` is a next step, not a better
    version of the call.
    """
    failed_targets = {
        call_target(c) for c in same_step if c["id"] in results and failed(results[c["id"]])
    }
    target = call_target(call)
    for candidate in next_calls:
        if call_target(candidate) == target:
            changed = arguments(candidate) != arguments(call)
            return candidate if changed and similar(call, candidate) else None
        if call_target(candidate) not in failed_targets:
            return None
    return None


def similar(a: Message, b: Message, threshold: float = 0.5) -> bool:
    """Same subcommand (when both commands show one) and a Jaccard similarity of the words of
    the two calls' argument values of at least `threshold`."""
    verbs = [verb(str(arguments(c).get("command") or "")) for c in (a, b)]
    if None not in verbs and verbs[0] != verbs[1]:
        return False
    words = [set(_words(" ".join(map(str, arguments(c).values())))) for c in (a, b)]
    union = words[0] | words[1]
    return bool(union) and len(words[0] & words[1]) / len(union) >= threshold


def _words(text: str) -> list[str]:
    return "".join(ch if ch.isalnum() or ch in "-_./@" else " " for ch in text).split()


def next_call_step(steps: list[Step], index: int) -> int | None:
    """The next assistant step with tool calls after `index`, within the same user turn."""
    for later in range(index + 1, len(steps)):
        if steps[later].kind in ("user_prompt", "interrupt"):
            return None
        if calls_of(steps[later]):
            return later
    return None


def call_target(call: Message) -> tuple[str, Any, Any]:
    """(tool, what it acts on, which program): two calls with equal targets try the same thing.

    ssh: host and the program of the command; shell: the program; ipmi: the BMC; http: the
    server and the first path segment; any other tool: its file or path argument.
    """
    name = call["function"]["name"]
    args = arguments(call)
    if name == "ssh":
        return name, args.get("host"), program(str(args.get("command") or ""))
    if name == "shell":
        return name, None, program(str(args.get("command") or ""))
    if name == "ipmi":
        return name, args.get("host"), None
    if name == "http":
        url = urlsplit(str(args.get("url") or ""))
        return name, url.netloc, url.path.strip("/").split("/")[0]
    return name, args.get("file_path") or args.get("path"), None


def program(command: str) -> str | None:
    """The program a command line runs first, past `sudo`, `env` and variable assignments."""
    words = command_words(command)
    return words[0].rsplit("/", 1)[-1] if words else None


def verb(command: str) -> str | None:
    """The subcommand-like first operand (`status` in `systemctl status x`), if any: a
    lower-case word, not a path, host or number."""
    words = command_words(command)[1:]
    operand = next((w for w in words if not w.startswith("-")), None)
    return operand if operand is not None and _VERB.fullmatch(operand) else None


def command_words(command: str) -> list[str]:
    """The words from the program on (wrappers, options before it and assignments skipped)."""
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    for index, word in enumerate(words):
        if word in WRAPPERS or word.startswith("-") or "=" in word.split("/")[0]:
            continue
        return words[index:]
    return []


# --- correction and interruption ---------------------------------------------------------------


def steering_pairs(steps: list[Step], ctx: MineContext) -> list[Pair]:
    """Pairs where the operator steered: a correcting prompt, or a refused/interrupted call."""
    phrases = _term_pattern(ctx.qualify.correction_phrases)
    results = tool_results(steps)
    pairs = []
    for index, step in enumerate(steps):
        if step.kind != "user_prompt":
            continue
        corrected = is_correction(text_of(step.row), phrases, ctx.qualify)
        pair = _steering_for(steps, index, corrected, results, ctx)
        if pair is not None:
            pairs.append(pair)
    return pairs


def _steering_for(
    steps: list[Step],
    prompt_index: int,
    corrected: bool,
    results: dict[str, Message],
    ctx: MineContext,
) -> Pair | None:
    rejected_index = previous_action(steps, prompt_index)
    if rejected_index is None:
        return None
    calls = calls_of(steps[rejected_index])
    refused_calls = [c for c in calls if c["id"] in results and refused(results[c["id"]])]
    if not corrected and not refused_calls:
        return None  # an ordinary next request
    kind = "correction" if corrected else "interruption"
    failed_calls = [c for c in calls if c["id"] in results and failed(results[c["id"]])]
    rejected = _steered_message(steps[rejected_index], refused_calls or failed_calls or calls)
    chosen_index = next_assistant(steps, prompt_index)
    if rejected is None or chosen_index is None:
        ctx.stats.skipped[f"{kind}: nothing answered"] += 1
        return None
    chosen_step = steps[chosen_index]
    chosen_calls = calls_of(chosen_step)
    if any(c["id"] in results and failed(results[c["id"]]) for c in chosen_calls):
        ctx.stats.skipped[f"{kind}: the chosen call failed"] += 1
        return None
    chosen = _steered_message(chosen_step, chosen_calls)
    if chosen is None or same_reply(chosen, rejected):
        ctx.stats.skipped[f"{kind}: same reply after steering"] += 1
        return None
    said = first_line(text_of(steps[prompt_index].row))
    reason = f"operator corrected: {said}" if corrected else f"operator refused the call: {said}"
    return build_pair(kind, reason, steps, rejected_index, rejected, chosen, ctx)


def previous_action(steps: list[Step], index: int) -> int | None:
    """What the operator reacted to: the last assistant step with tool calls since the previous
    prompt, else the last assistant answer; None when the assistant did nothing since."""
    last_answer = None
    for earlier in range(index - 1, -1, -1):
        step = steps[earlier]
        if step.kind == "user_prompt":
            break
        if step.kind == "assistant":
            if calls_of(step):
                return earlier
            last_answer = earlier if last_answer is None else last_answer
    return last_answer


def next_assistant(steps: list[Step], index: int) -> int | None:
    """The first assistant step after `index`, before the next prompt or interrupt."""
    for later in range(index + 1, len(steps)):
        if steps[later].kind in ("user_prompt", "interrupt"):
            return None
        if steps[later].kind == "assistant":
            return later
    return None


def _steered_message(step: Step, calls: list[Message]) -> Message | None:
    """The calls when there are any (prose reacts to what the prompt lacks), else the answer."""
    if calls:
        return calls_message(calls)
    content = str((step.message or {}).get("content") or "")
    return {"role": "assistant", "content": content} if content.strip() else None


# --- building a pair ---------------------------------------------------------------------------


def build_pair(
    kind: str,
    reason: str,
    steps: list[Step],
    rejected_index: int,
    rejected: Message,
    chosen: Message,
    ctx: MineContext,
) -> Pair | None:
    """The pair with its windowed prompt; None (counted) if no valid prompt fits."""
    prompt = prompt_before(steps, rejected_index, ctx)
    if prompt is None:
        return None
    if unmapped_tools([chosen, rejected]) and ctx.curate.agent_tools.drop_unmapped_examples:
        ctx.stats.skipped[f"{kind}: a tool the agent lacks"] += 1
        return None
    step = steps[rejected_index]
    return Pair(
        kind=kind,
        reason=reason[:300],
        session_id=ctx.session.session_id,
        project=ctx.session.project,
        tier=ctx.session.tier,
        source=str(step.row.get("source") or ""),
        turn=step.turn,
        prompt=prompt,
        chosen=chosen,
        rejected=rejected,
    )


def prompt_before(steps: list[Step], index: int, ctx: MineContext) -> list[Message] | None:
    """System prompt + the last whole user turns before `index` that fit the budget.

    Earlier turns that call a tool the agent lacks are left out rather than losing the pair;
    the turn of the rejected message itself must fit and must be clean.
    """
    messages = pair_tool_calls([s.message for s in steps[:index] if s.message is not None])
    turns = split_at_user(messages)
    if not turns:
        ctx.stats.skipped["no user prompt before it"] += 1
        return None
    system = system_message(ctx.curate)
    budget = ctx.max_prompt_tokens * ctx.curate.chars_per_token - len(system["content"])
    kept: list[list[Message]] = []
    used = 0
    for turn in reversed(turns):
        size = sum(map(message_chars, turn))
        clean = not (ctx.curate.agent_tools.drop_unmapped_examples and unmapped_tools(turn))
        if used + size > budget or not clean:
            if not kept:
                ctx.stats.skipped["prompt too long" if clean else "a tool the agent lacks"] += 1
                return None
            break
        kept.insert(0, turn)
        used += size
    return [system, *[m for turn in kept for m in turn]]


def split_at_user(messages: list[Message]) -> list[list[Message]]:
    """Whole turns, each starting at a user message; messages before the first are dropped."""
    turns: list[list[Message]] = []
    for message in messages:
        if message["role"] == "user":
            turns.append([])
        if turns:
            turns[-1].append(message)
    return turns


def system_message(cfg: CurateConfig) -> Message:
    """The SFT examples' system message (halops.curate.common.make_example): same prompt."""
    content = cfg.system_prompt
    if cfg.agent_tools.tools_in_system_prompt:
        content = f"{content}\n\n{agent_tools_prompt()}"
    return {"role": "system", "content": content}


# --- small helpers -----------------------------------------------------------------------------


def tool_results(steps: list[Step]) -> dict[str, Message]:
    """Tool result messages by the id of the call they answer."""
    return {
        str(s.message["tool_call_id"]): s.message
        for s in steps
        if s.message is not None and s.message["role"] == "tool"
    }


def calls_of(step: Step) -> list[Message]:
    if step.message is None or step.message["role"] != "assistant":
        return []
    return list(step.message.get("tool_calls") or [])


def calls_message(calls: list[Message]) -> Message:
    return {"role": "assistant", "content": "", "tool_calls": calls}


def arguments(call: Message) -> dict[str, Any]:
    try:
        value = json.loads(call["function"].get("arguments") or "{}")
    except json.JSONDecodeError:
        return {"_raw": call["function"].get("arguments")}
    return value if isinstance(value, dict) else {"_raw": value}


def failed(result: Message) -> bool:
    return bool(result.get(_ERROR))


def refused(result: Message) -> bool:
    return failed(result) and str(result.get("content") or "").startswith(REFUSED_PREFIXES)


def same_reply(a: Message, b: Message) -> bool:
    """Equal content and equal calls (ids aside)."""
    calls = [
        [(c["function"]["name"], arguments(c)) for c in m.get("tool_calls") or []] for m in (a, b)
    ]
    return calls[0] == calls[1] and (a.get("content") or "") == (b.get("content") or "")


def first_line(text: str) -> str:
    """The first informative line of an error or prompt (Claude Code's `Exit code N` skipped)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    informative = [line for line in lines if not line.startswith("Exit code")]
    head = (informative or lines or [""])[0]
    code = next((line for line in lines if line.startswith("Exit code")), "")
    return f"{code.lower()}: {head}"[:200] if code and informative else head[:200]
