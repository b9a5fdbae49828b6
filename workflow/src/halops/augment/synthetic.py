"""The `augment` rule: synthetic examples from an OpenAI-compatible endpoint.

Two kinds, both marked `synthetic` and only ever added to the training split:

- `synthetic_reword`: new wordings of real requests from the *training* split (never val or
  test: their wording must not leak into training), each followed by the transcript's own work
  unchanged. The tool calls are checked to render and parse back identically in the shared
  tool-call format and to pass the command policy; a rewording that loses a host the request
  named is dropped, because the unchanged calls would no longer answer it.
- `synthetic_runbook`: questions about the lab's runbooks, answered from the runbook text,
  laid out as the agent lays out retrieved runbooks (`halops.contract.prompts`).

Everything sent goes through `halops.augment.endpoint` (local endpoints only unless allowed,
scrubbed text only, cached, rate-limited, retried).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pandas as pd

from halops.augment.config import SyntheticConfig
from halops.augment.endpoint import ChatEndpoint
from halops.augment.safety import SafetyJudge, distinct_requests
from halops.contract import scrub
from halops.contract.prompts import skill_system_prompt
from halops.contract.toolcall import format_tool_call, parse_tool_calls
from halops.contract.tools import agent_tools_prompt
from halops.curate.config import CurateConfig

log = logging.getLogger(__name__)

SYNTHETIC_COLUMNS: dict[str, str] = {
    "example_id": "string",
    "strategy": "string",
    "session_id": "string",
    "project": "string",
    "tier": "string",
    "source": "string",
    "messages": "string",
    "synthetic": "bool",
    "origin": "string",
    "endpoint": "string",
    "model": "string",
}

REWORD_SYSTEM = (
    "You rewrite requests that an operator sends to an infrastructure assistant. Keep the "
    "meaning and every host name, service, path and number exactly; change the wording. "
    "Answer with exactly {n} rewordings, one per line, and nothing else."
)
QUESTIONS_SYSTEM = (
    "You write questions that an operator of a small infrastructure lab might ask, which the "
    "runbook below answers. Answer with exactly {n} questions, one per line, and nothing else."
    "\n\n# {title}\n\n{body}"
)
ANSWER_SYSTEM = (
    "Answer the operator's question using only the runbook below; say so if it does not "
    "answer it. Be brief and concrete.\n\n# {title}\n\n{body}"
)
_LIST_MARKER = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s*")


@dataclass
class SyntheticStats:
    made: Counter[str] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)


def generate_synthetic(
    train: pd.DataFrame,
    runbooks: list[Path],
    endpoint: ChatEndpoint,
    judge: SafetyJudge,
    cfg: SyntheticConfig,
    curate: CurateConfig,
    hosts: Iterable[str],
) -> tuple[pd.DataFrame, SyntheticStats]:
    """Reworded requests and runbook Q&A as a table (SYNTHETIC_COLUMNS)."""
    stats = SyntheticStats()
    rows = list(reworded_examples(train, endpoint, judge, cfg, tuple(hosts), stats))
    rows += list(runbook_examples(runbooks, endpoint, cfg, curate, stats))
    for row in rows:
        row.update(endpoint=endpoint.cfg.base_url, model=endpoint.cfg.model, synthetic=True)
    frame = pd.DataFrame(rows, columns=list(SYNTHETIC_COLUMNS))
    frame = frame.drop_duplicates("example_id", ignore_index=True)
    return frame.astype(SYNTHETIC_COLUMNS), stats


# --- rewordings --------------------------------------------------------------------------------


def reworded_examples(
    train: pd.DataFrame,
    endpoint: ChatEndpoint,
    judge: SafetyJudge,
    cfg: SyntheticConfig,
    hosts: tuple[str, ...],
    stats: SyntheticStats,
) -> Iterator[dict[str, Any]]:
    """Rewordings of up to `max_requests` distinct single-turn training requests."""
    if cfg.rewordings_per_request <= 0 or train.empty:
        return
    examples = [e for e in train.to_dict(orient="records") if e["strategy"] == "single_turn"]
    chosen = distinct_requests(examples)[: cfg.max_requests]
    for example in progress(chosen, "rewording requests"):
        messages = example["messages"]
        if not calls_survive(messages, judge):
            stats.dropped["reword: a transcript call fails to parse or is blocked"] += 1
            continue
        index = next(i for i, m in enumerate(messages) if m["role"] == "user")
        request = str(messages[index]["content"])
        prompt = [
            {"role": "system", "content": REWORD_SYSTEM.format(n=cfg.rewordings_per_request)},
            {"role": "user", "content": request},
        ]
        answer = endpoint.complete(prompt)
        for wording in answer_lines(answer, request)[: cfg.rewordings_per_request]:
            if not keeps_hosts(request, wording, hosts):
                stats.dropped["reword: a host of the request is missing"] += 1
                continue
            new = [
                *messages[:index],
                {**messages[index], "content": wording},
                *messages[index + 1 :],
            ]
            stats.made["synthetic_reword"] += 1
            yield _row("synthetic_reword", example, new, str(example["example_id"]))


def calls_survive(messages: list[dict[str, Any]], judge: SafetyJudge) -> bool:
    """Every tool call renders and parses back to itself, and the policy does not block it."""
    for message in messages:
        for call in message.get("tool_calls") or []:
            name = call["function"]["name"]
            try:
                arguments = json.loads(call["function"]["arguments"] or "{}")
            except json.JSONDecodeError:
                return False
            parsed = parse_tool_calls(format_tool_call(name, arguments))
            if parsed.errors or [(c.name, c.arguments) for c in parsed.calls] != [
                (name, arguments)
            ]:
                return False
            if judge.blocks(call) is not None:
                return False
    return True


def keeps_hosts(original: str, wording: str, hosts: Iterable[str]) -> bool:
    """Every inventory host the original names is named by the rewording too."""
    return all(_mentions(wording, h) for h in hosts if _mentions(original, h))


def _mentions(text: str, host: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(host)}(?![\w-])", text, re.IGNORECASE) is not None


# --- runbook questions -------------------------------------------------------------------------


def runbook_examples(
    runbooks: list[Path],
    endpoint: ChatEndpoint,
    cfg: SyntheticConfig,
    curate: CurateConfig,
    stats: SyntheticStats,
) -> Iterator[dict[str, Any]]:
    """Questions each runbook answers, with answers taken from the runbook text."""
    if cfg.questions_per_runbook <= 0:
        return
    for path in progress(sorted(runbooks), "runbook questions"):
        title, body = runbook_title_and_body(path)
        ask = QUESTIONS_SYSTEM.format(n=cfg.questions_per_runbook, title=title, body=body)
        listing = endpoint.complete([{"role": "system", "content": ask}])
        for question in answer_lines(listing, "")[: cfg.questions_per_runbook]:
            answer = endpoint.complete(
                [
                    {"role": "system", "content": ANSWER_SYSTEM.format(title=title, body=body)},
                    {"role": "user", "content": question},
                ]
            ).strip()
            if not answer or answer == question:
                stats.dropped["runbook: empty answer"] += 1
                continue
            messages = [
                {"role": "system", "content": runbook_system_prompt(curate, title, body)},
                {"role": "user", "content": question},
                {"role": "assistant", "content": answer},
            ]
            stats.made["synthetic_runbook"] += 1
            origin = {"example_id": f"runbook:{path.name}", "session_id": f"runbook:{path.name}"}
            yield _row("synthetic_runbook", {**origin, "project": "runbooks"}, messages, str(path))


def runbook_title_and_body(path: Path) -> tuple[str, str]:
    """The first Markdown heading as title (else the file name) and the text below it."""
    text = path.read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.startswith("# "):
            return line[2:].strip(), text.replace(line, "", 1).strip()
    return path.stem.replace("-", " "), text.strip()


def runbook_system_prompt(curate: CurateConfig, title: str, body: str) -> str:
    """The agent's layout for a retrieved runbook, as the skills examples have it."""
    content = skill_system_prompt(curate.system_prompt, [(title, body)])
    if curate.agent_tools.tools_in_system_prompt:
        content = f"{content}\n\n{agent_tools_prompt()}"
    return content


# --- shared ------------------------------------------------------------------------------------


def answer_lines(answer: str, original: str) -> list[str]:
    """Non-empty lines without list markers or quotes, minus a repeat of the original."""
    same = " ".join(original.split()).lower()
    lines = []
    for line in answer.splitlines():
        text = _LIST_MARKER.sub("", line).strip().strip('"').strip()
        if text and " ".join(text.split()).lower() != same and text not in lines:
            lines.append(scrub.scrub_text(text).text)  # an endpoint could echo anything
    return lines


def _row(
    strategy: str, origin: dict[str, Any], messages: list[dict[str, Any]], origin_id: str
) -> dict[str, Any]:
    digest = hashlib.sha256(json.dumps([strategy, messages], sort_keys=True).encode()).hexdigest()
    return {
        "example_id": digest[:16],
        "strategy": strategy,
        "session_id": str(origin["session_id"]),
        "project": str(origin.get("project") or ""),
        "tier": "synthetic",
        "source": origin_id,
        "messages": json.dumps(messages, ensure_ascii=False),
        "origin": origin_id,
    }


def public_url(url: str) -> str:
    """The URL without user:password@ (the card is published), scrubbed for good measure."""
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return scrub.scrub_text(urlunsplit(parts._replace(netloc=netloc))).text


def progress(items: list[Any], what: str) -> Iterable[Any]:
    """tqdm on a terminal; in a rule log, a line every tenth of the way."""
    if sys.stderr.isatty():
        from tqdm import tqdm

        return tqdm(items, desc=what)
    return _logged(items, what)


def _logged(items: list[Any], what: str) -> Iterator[Any]:
    step = max(1, len(items) // 10)
    for index, item in enumerate(items, start=1):
        yield item
        if index % step == 0 or index == len(items):
            log.info("%s: %d/%d", what, index, len(items))


# --- the rule ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SyntheticInputs:
    train: Path  # results/final/train.parquet
    runbooks: list[Path]
    policy: Path
    inventory: Path


def synthesize(
    inputs: SyntheticInputs,
    cfg: SyntheticConfig,
    curate: CurateConfig,
    out_parquet: Path,
    out_card: Path,
    endpoint: ChatEndpoint | None = None,
) -> dict[str, Any]:
    """The `augment` rule: write the synthetic table and its card (counts, endpoint, model)."""
    if cfg.endpoint is None:
        raise ValueError("augment.synthetic.base_url is not set: no endpoint to ask")
    endpoint = endpoint or ChatEndpoint(cfg.endpoint, Path(cfg.cache_dir))
    judge = SafetyJudge.from_files(inputs.policy, inputs.inventory)
    train = pd.read_parquet(inputs.train)
    train["messages"] = [json.loads(m) for m in train["messages"]]
    hosts = [h.name for h in judge.policy.inventory.hosts] if judge.policy.inventory else []
    frame, stats = generate_synthetic(train, inputs.runbooks, endpoint, judge, cfg, curate, hosts)
    out_parquet.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(out_parquet, index=False)
    card = {
        "endpoint": public_url(cfg.endpoint.base_url),
        "model": cfg.endpoint.model,
        "allow_remote": cfg.endpoint.allow_remote,
        "per_strategy": dict(sorted(Counter(frame["strategy"]).items())),
        "dropped": dict(sorted(stats.dropped.items())),
        "requests_sent": endpoint.stats.sent,
        "answers_from_cache": endpoint.stats.cached,
        "retries": endpoint.stats.retries,
        "redactions_before_sending": endpoint.stats.redactions,
    }
    out_card.write_text(json.dumps(card, indent=2, sort_keys=True) + "\n")
    log.info("synthetic: %s", card)
    return card
