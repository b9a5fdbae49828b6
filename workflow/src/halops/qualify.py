"""Qualify: score every extracted session and sort it into tier A, B or C.

The score is a weighted mean of six components, each in [0, 1] where 1 is best. "Main" means
the main conversation (rows without agent_id); "all" includes the subagents' rows, because a
subagent's tool work is part of what the session did.

| component      | rows | value (1 is best)                                                 |
|----------------|------|-------------------------------------------------------------------|
| tool_success   | all  | successful tool results / tool results (1.0 if none)              |
| recovery       | all  | errors followed later, in the same conversation, by a success of  |
|                |      | the same tool on the same domain host (else the same file_path)   |
|                |      | / errors (1.0 if no errors)                                       |
| completion     | main | 1.0 if the last prompt/assistant/tool-result/interrupt row is an  |
|                |      | assistant text answer with no pending tool calls and not a        |
|                |      | CLI-written API error, else 0.0                                   |
| no_corrections | main | 1 - min(1, (corrections + interruptions) / user prompts); a       |
|                |      | correction is a prompt whose first `correction_scan_chars` hold a |
|                |      | `correction_phrases` entry such as "no," or "that's wrong"        |
| depth          | all  | min(1, tool calls / depth_cap): real work teaches more            |
| relevance      | all  | min(1, distinct domain hosts and keywords found / relevance_cap), |
|                |      | whole-word, case-insensitive, over main prompts, tool call inputs |
|                |      | and tool result text                                              |

score = sum(weight * component) / sum(weights). Tier A when score >= tiers.A, B when >= tiers.B,
else C; a session without any user prompt is always C (there is no request to learn from).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from halops.rows import (
    SYNTHETIC_MODEL,
    Row,
    clean,
    is_error,
    main_transcript,
    read_extracted,
    records,
    text_of,
    tool_calls,
)

COMPONENTS = ("tool_success", "recovery", "completion", "no_corrections", "depth", "relevance")
COUNTS = (
    "n_prompts",
    "n_tool_calls",
    "n_tool_results",
    "n_errors",
    "n_recovered",
    "n_corrections",
    "n_interrupts",
    "n_domain_terms",
)
COLUMNS = ("session_id", "project", *COMPONENTS, "score", "tier", "reason", *COUNTS)
CONVERSATIONAL_KINDS = frozenset({"user_prompt", "assistant", "tool_result", "interrupt"})


@dataclass(frozen=True)
class DomainConfig:
    """The operator's lab: inventory host names and infrastructure keywords (config `domain`)."""

    hosts: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> DomainConfig:
        return cls(hosts=tuple(raw.get("hosts", ())), keywords=tuple(raw.get("keywords", ())))


@dataclass(frozen=True)
class QualifyConfig:
    """Config section `qualify` (documented in config.yaml and the schema)."""

    weights: dict[str, float] = field(default_factory=lambda: dict.fromkeys(COMPONENTS, 1.0))
    tier_a: float = 0.75
    tier_b: float = 0.5
    depth_cap: int = 15
    relevance_cap: int = 4
    correction_phrases: tuple[str, ...] = ("no,", "that's wrong", "actually", "stop,", "stop!")
    correction_scan_chars: int = 120
    # tier -> {component: minimum}: a session earns the tier only if every listed component
    # reaches its minimum, whatever its weighted score (an off-topic session stays C).
    minimums: dict[str, dict[str, float]] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> QualifyConfig:
        weights = {name: float(raw.get("weights", {}).get(name, 1.0)) for name in COMPONENTS}
        tiers = raw.get("tiers", {})
        return cls(
            weights=weights,
            tier_a=float(tiers.get("A", cls.tier_a)),
            tier_b=float(tiers.get("B", cls.tier_b)),
            depth_cap=int(raw.get("depth_cap", cls.depth_cap)),
            relevance_cap=int(raw.get("relevance_cap", cls.relevance_cap)),
            correction_phrases=tuple(raw.get("correction_phrases", cls.correction_phrases)),
            correction_scan_chars=int(raw.get("correction_scan_chars", cls.correction_scan_chars)),
            minimums={
                tier: {name: float(value) for name, value in gate.items()}
                for tier, gate in raw.get("minimums", {}).items()
            },
        )


def qualify_sessions(
    extracted_paths: Iterable[Path], cfg: QualifyConfig, domain: DomainConfig
) -> pd.DataFrame:
    """One scored row per session (COLUMNS), in input order.

    An empty parquet still yields a row (tier C), named after its path
    `extracted/{project}/{session}.parquet`, so every session file is accounted for.
    """
    rows: list[dict[str, Any]] = []
    for path in map(Path, extracted_paths):
        frame = read_extracted(path)
        if frame.empty:
            rows.append(score_session(frame, cfg, domain) | _identity_from_path(path))
            continue
        for _, group in frame.groupby(["session_id", "project"], sort=False):
            rows.append(score_session(group, cfg, domain))
    return _scores_frame(rows)


def score_session(rows: pd.DataFrame, cfg: QualifyConfig, domain: DomainConfig) -> dict[str, Any]:
    """Score one session's extracted rows: identity, components, score, tier, reason, counts."""
    items = records(rows)
    main = main_transcript(items)
    counts = _tool_counts(items, domain) | _steering_counts(main, cfg)
    terms = domain_terms(_domain_text(items, main), domain)
    counts["n_domain_terms"] = len(terms)
    components = _components(counts, main, cfg)
    score = weighted_score(components, cfg.weights)
    tier = assign_tier(score, counts["n_prompts"], cfg, components)
    identity = {"session_id": clean(items[0]["session_id"]) if items else None}
    identity["project"] = clean(items[0]["project"]) if items else None
    reason = describe(tier, components, counts)
    if gaps := tier_gaps(score, components, cfg):
        reason += "; below a tier minimum: " + ", ".join(gaps)
    return identity | components | {"score": score, "tier": tier, "reason": reason} | counts


def weighted_score(components: dict[str, float], weights: dict[str, float]) -> float:
    """Weighted mean of the components; 0.0 when every weight is zero."""
    total = sum(weights.get(name, 0.0) for name in components)
    if total <= 0:
        return 0.0
    return sum(weights.get(name, 0.0) * value for name, value in components.items()) / total


def assign_tier(
    score: float,
    n_prompts: int,
    cfg: QualifyConfig,
    components: dict[str, float] | None = None,
) -> str:
    """A/B/C by the configured thresholds and per-tier minimums; C without a user request."""
    if n_prompts == 0:
        return "C"
    for tier, threshold in (("A", cfg.tier_a), ("B", cfg.tier_b)):
        if score >= threshold and meets_minimums(tier, components or {}, cfg):
            return tier
    return "C"


def meets_minimums(tier: str, components: dict[str, float], cfg: QualifyConfig) -> bool:
    gate = cfg.minimums.get(tier, {})
    return all(components.get(name, 0.0) >= minimum for name, minimum in gate.items())


def tier_gaps(score: float, components: dict[str, float], cfg: QualifyConfig) -> list[str]:
    """Why a score that reaches a tier's threshold did not earn it (for the reason text)."""
    gaps = []
    for tier, threshold in (("A", cfg.tier_a), ("B", cfg.tier_b)):
        if score < threshold:
            continue
        for name, minimum in cfg.minimums.get(tier, {}).items():
            if components.get(name, 0.0) < minimum:
                gaps.append(f"{tier} needs {name} >= {minimum:g} (has {components[name]:.2f})")
    return gaps


def describe(tier: str, components: dict[str, float], counts: dict[str, int]) -> str:
    """The human-readable one-liner stored as `reason`."""
    if counts["n_prompts"] == 0:
        return f"tier {tier}: no user prompt"
    parts = [_plural(counts["n_tool_calls"], "tool call")]
    if counts["n_tool_results"]:
        parts.append(f"{round(100 * components['tool_success'])}% success")
    if counts["n_errors"]:
        parts.append(f"{counts['n_recovered']}/{counts['n_errors']} errors recovered")
    parts.append(_plural(counts["n_corrections"], "correction"))
    parts.append(_plural(counts["n_interrupts"], "interruption"))
    parts.append(f"relevance {components['relevance']:.1f}")
    parts.append("ends with an answer" if components["completion"] else "no final answer")
    return f"tier {tier}: " + ", ".join(parts)


# --- components ------------------------------------------------------------------------------


def _components(counts: dict[str, int], main: list[Row], cfg: QualifyConfig) -> dict[str, float]:
    steering = counts["n_corrections"] + counts["n_interrupts"]
    return {
        "tool_success": _ratio(
            counts["n_tool_results"] - counts["n_errors"], counts["n_tool_results"]
        ),
        "recovery": _ratio(counts["n_recovered"], counts["n_errors"]),
        "completion": 1.0 if ends_with_answer(main) else 0.0,
        "no_corrections": 1.0 - min(1.0, steering / max(1, counts["n_prompts"])),
        "depth": min(1.0, counts["n_tool_calls"] / max(1, cfg.depth_cap)),
        "relevance": min(1.0, counts["n_domain_terms"] / max(1, cfg.relevance_cap)),
    }


def _ratio(part: int, whole: int) -> float:
    # Nothing attempted means nothing failed: a vacuous 1.0, with depth carrying the penalty.
    return part / whole if whole else 1.0


def _tool_counts(items: list[Row], domain: DomainConfig) -> dict[str, int]:
    results = [row for row in items if row["kind"] == "tool_result"]
    errors = [i for i, row in enumerate(results) if is_error(row)]
    return {
        "n_tool_calls": sum(len(tool_calls(row)) for row in items if row["kind"] == "assistant"),
        "n_tool_results": len(results),
        "n_errors": len(errors),
        "n_recovered": count_recovered(items, domain),
    }


def count_recovered(items: list[Row], domain: DomainConfig) -> int:
    """Errors followed later in the same conversation by a success on the same tool and host."""
    calls = {str(c["id"]): c for row in items for c in tool_calls(row) if c.get("id")}
    hosts = _term_pattern(domain.hosts)
    keyed = [
        (row.get("agent_id"), _target(row, calls, hosts), is_error(row))
        for row in items
        if row["kind"] == "tool_result"
    ]
    recovered = 0
    for i, (agent, target, failed) in enumerate(keyed):
        if failed and any(later == (agent, target, False) for later in keyed[i + 1 :]):
            recovered += 1
    return recovered


def _target(row: Row, calls: dict[str, Row], hosts: re.Pattern[str] | None) -> tuple[Any, Any]:
    """(tool name, what it acted on) of a tool result.

    What it acted on is the first domain host named in the call's input, else the call's
    `file_path` (a failed Edit is recovered by a later good Edit of the same file), else None.
    """
    call = calls.get(row.get("tool_use_id") or "", {})
    name = row.get("tool_name") or call.get("name")
    raw_input = call.get("input")
    tool_input: Row = raw_input if isinstance(raw_input, dict) else {}
    found = hosts.search(json.dumps(tool_input)) if hosts else None
    return name, found.group(0).lower() if found else tool_input.get("file_path")


def _steering_counts(main: list[Row], cfg: QualifyConfig) -> dict[str, int]:
    prompts = [text_of(row) for row in main if row["kind"] == "user_prompt"]
    phrases = _term_pattern(cfg.correction_phrases)
    corrections = sum(1 for text in prompts if is_correction(text, phrases, cfg))
    return {
        "n_prompts": len(prompts),
        "n_corrections": corrections,
        "n_interrupts": sum(1 for row in main if row["kind"] == "interrupt"),
    }


def is_correction(text: str, phrases: re.Pattern[str] | None, cfg: QualifyConfig) -> bool:
    """Whether a prompt's opening contains a correction phrase.

    Only the opening is scanned: users lead with "no, ..." or "stop", while the same words deep
    inside a long pasted prompt are usually content.
    """
    opening = text[: cfg.correction_scan_chars].replace("\u2019", "'")
    return bool(phrases and phrases.search(opening))


def ends_with_answer(main: list[Row]) -> bool:
    """Whether the conversation ends with an assistant text answer (not an error/interrupt)."""
    last = next((row for row in reversed(main) if row["kind"] in CONVERSATIONAL_KINDS), None)
    if last is None or last["kind"] != "assistant":
        return False
    return (
        bool(text_of(last).strip())
        and not tool_calls(last)
        and last.get("model") != SYNTHETIC_MODEL
    )


# --- domain relevance ------------------------------------------------------------------------


def _domain_text(items: list[Row], main: list[Row]) -> str:
    prompts = [text_of(row) for row in main if row["kind"] == "user_prompt"]
    inputs = [
        json.dumps(call.get("input", {}), ensure_ascii=False)
        for row in items
        for call in tool_calls(row)
    ]
    outputs = [text_of(row) for row in items if row["kind"] == "tool_result"]
    return "\n".join([*prompts, *inputs, *outputs])


def domain_terms(text: str, domain: DomainConfig) -> set[str]:
    """The distinct domain hosts and keywords (lower-cased) that occur in text as whole words."""
    pattern = _term_pattern((*domain.hosts, *domain.keywords))
    return {match.lower() for match in pattern.findall(text)} if pattern else set()


def _term_pattern(terms: Iterable[str]) -> re.Pattern[str] | None:
    """Case-insensitive alternation of whole terms.

    A hyphen counts as part of a word, so host `pve01` does not match inside `bmc-pve01`; a
    boundary is only required on a side where the term itself starts/ends with a word character
    (so the phrase "no," matches "No, that").
    """
    parts = []
    for term in sorted({t.lower() for t in terms if t}, key=len, reverse=True):
        head = r"(?<![\w-])" if re.match(r"[\w-]", term) else ""
        tail = r"(?![\w-])" if re.search(r"[\w-]$", term) else ""
        parts.append(head + re.escape(term) + tail)
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None


# --- output ----------------------------------------------------------------------------------


def _identity_from_path(path: Path) -> dict[str, str]:
    # results/extracted/{project}/{session}.parquet
    return {"session_id": path.stem, "project": path.parent.name}


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _scores_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    dtypes: dict[str, str] = {name: "float64" for name in (*COMPONENTS, "score")}
    dtypes |= {name: "int64" for name in COUNTS}
    dtypes |= {"session_id": "string", "project": "string", "tier": "string", "reason": "string"}
    return frame.astype(dtypes)
