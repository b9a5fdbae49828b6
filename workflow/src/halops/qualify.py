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
|                |      | and tool result text; a host's address counts as the host         |

score = sum(weight * component) / sum(weights). Tier A when score >= tiers.A, B when >= tiers.B,
else C; a session without any user prompt is always C (there is no request to learn from).
The domain (hosts, addresses, keywords) comes from the inventory: see `halops.domain`.

The stage runs per shard (`qualify_sessions` on one extracted shard file), then
`merge_scores` joins the shards and `nothing_to_curate` stops the pipeline, with the per-tier
counts and the commonest reasons, when no session reaches a tier that feeds curation.
"""

from __future__ import annotations

import functools
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from halops.domain import DomainConfig
from halops.rows import (
    SYNTHETIC_MODEL,
    Row,
    clean,
    is_error,
    iter_sessions,
    main_transcript,
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
    """One scored row per session (COLUMNS), in file and row order.

    A session without a single usable record has no rows in the extracted table and so no score;
    the extract log and the quarantine name it.
    """
    rows = [
        score_session(session, cfg, domain)
        for path in map(Path, extracted_paths)
        for session in iter_sessions(path)
    ]
    return _scores_frame(rows)


def score_session(
    rows: pd.DataFrame | list[Row], cfg: QualifyConfig, domain: DomainConfig
) -> dict[str, Any]:
    """Score one session's extracted rows: identity, components, score, tier, reason, counts."""
    items = records(rows) if isinstance(rows, pd.DataFrame) else rows
    main = main_transcript(items)
    counts = _tool_counts(items, main, domain, cfg) | _steering_counts(main, cfg)
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


def _tool_counts(
    items: list[Row], main: list[Row], domain: DomainConfig, cfg: QualifyConfig
) -> dict[str, int]:
    results = [row for row in items if row["kind"] == "tool_result"]
    errors = [i for i, row in enumerate(results) if is_error(row)]
    handled = recovered_errors(items, domain) | reported_errors(main, cfg)
    return {
        "n_tool_calls": sum(len(tool_calls(row)) for row in items if row["kind"] == "assistant"),
        "n_tool_results": len(results),
        "n_errors": len(errors),
        "n_recovered": len(handled),
    }


def count_recovered(items: list[Row], domain: DomainConfig) -> int:
    """Errors followed later in the same conversation by a success on the same tool and host."""
    return len(recovered_errors(items, domain))


def recovered_errors(items: list[Row], domain: DomainConfig) -> set[int]:
    """ids of the error results followed later in the same conversation by a success on the
    same tool and host."""
    calls = {str(c["id"]): c for row in items for c in tool_calls(row) if c.get("id")}
    hosts = _term_pattern(domain.host_terms())
    keyed = [
        (id(row), row.get("agent_id"), _target(row, calls, hosts, domain), is_error(row))
        for row in items
        if row["kind"] == "tool_result"
    ]
    return {
        key
        for i, (key, agent, target, failed) in enumerate(keyed)
        if failed and any(later[1:] == (agent, target, False) for later in keyed[i + 1 :])
    }


def reported_errors(main: list[Row], cfg: QualifyConfig) -> set[int]:
    """ids of the main conversation's error results whose request still ended well: the
    assistant answered it in text, nobody interrupted, and the operator's next prompt is no
    correction. A diagnostic command's non-zero exit (`systemctl status` of a failed unit,
    a ping that gets no reply) is such an error: it is the finding the answer reports, not a
    failure to get out of; a request the operator had to steer does not count."""
    phrases = _term_pattern(cfg.correction_phrases)
    starts = [i for i, row in enumerate(main) if row["kind"] == "user_prompt"]
    reported: set[int] = set()
    for start, end in zip(starts, [*starts[1:], len(main)][: len(starts)], strict=True):
        request = main[start:end]
        steered = end < len(main) and is_correction(text_of(main[end]), phrases, cfg)
        if steered or any(row["kind"] == "interrupt" for row in request):
            continue
        if ends_with_answer(request):
            reported |= {id(r) for r in request if r["kind"] == "tool_result" and is_error(r)}
    return reported


def _target(
    row: Row, calls: dict[str, Row], hosts: re.Pattern[str] | None, domain: DomainConfig
) -> tuple[Any, Any]:
    """(tool name, what it acted on) of a tool result.

    What it acted on is the first domain host named in the call's input, else the call's
    `file_path` (a failed Edit is recovered by a later good Edit of the same file), else None.
    """
    call = calls.get(row.get("tool_use_id") or "", {})
    name = row.get("tool_name") or call.get("name")
    raw_input = call.get("input")
    tool_input: Row = raw_input if isinstance(raw_input, dict) else {}
    found = hosts.search(json.dumps(tool_input)) if hosts else None
    return name, domain.canonical(found.group(0)) if found else tool_input.get("file_path")


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
    """The distinct domain hosts and keywords (lower-cased) that occur in text as whole words;
    a host's address is counted as the host's name."""
    pattern = _term_pattern((*domain.host_terms(), *domain.keywords))
    return {domain.canonical(match) for match in pattern.findall(text)} if pattern else set()


def _term_pattern(terms: Iterable[str]) -> re.Pattern[str] | None:
    """Case-insensitive alternation of whole terms.

    A hyphen counts as part of a word, so host `pve01` does not match inside `bmc-pve01`; a
    boundary is only required on a side where the term itself starts/ends with a word character
    (so the phrase "no," matches "No, that").
    """
    return _compiled_terms(tuple(sorted({t.lower() for t in terms if t})))


@functools.cache
def _compiled_terms(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    # Cached: every session of a shard is scored against the same terms. Terms that start with
    # a word character share one lookbehind outside the alternation, so the engine tests the
    # boundary once per position instead of once per term: ~7x faster on transcript text.
    bounded, free = [], []
    for term in sorted(terms, key=len, reverse=True):
        tail = r"(?![\w-])" if re.search(r"[\w-]$", term) else ""
        (bounded if re.match(r"[\w-]", term) else free).append(re.escape(term) + tail)
    # The lookahead of the terms' first characters is a necessary condition (each alternative
    # starts with one of them, folded alike under IGNORECASE): most positions fail on it at
    # once instead of trying every term, ~3x faster again with the same matches.
    firsts = "".join(sorted({re.escape(term[0]) for term in terms if re.match(r"[\w-]", term)}))
    parts = [rf"(?<![\w-])(?=[{firsts}])(?:" + "|".join(bounded) + ")"] if bounded else []
    parts += free
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None


# --- output ----------------------------------------------------------------------------------


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _scores_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    dtypes: dict[str, str] = {name: "float64" for name in (*COMPONENTS, "score")}
    dtypes |= {name: "int64" for name in COUNTS}
    dtypes |= {"session_id": "string", "project": "string", "tier": "string", "reason": "string"}
    return frame.astype(dtypes)


# --- the shards together, and the check that something feeds curation ---------------------

# Metadata key of the merged table: the tier definitions, which the data card explains.
TIERS_METADATA = b"halops.tiers"
RELEVANCE_ZERO = "relevance 0: none of the inventory hosts or domain keywords appear"
NO_PROMPT = "no user prompt"
# Reasons a failure message lists, commonest first.
TOP_REASONS = 5
LAB_HINT = (
    "Relevance keys on the lab description: the hosts, addresses, roles and descriptions in "
    "the inventory (domain.inventory, config/inventory.yaml) plus domain.keywords in "
    "config/config.yaml. `halops discover --sessions <sessions_dir>` drafts an inventory from "
    "the hosts these sessions touched; review it, then describe your lab there."
)


def merge_scores(paths: Iterable[Path]) -> pd.DataFrame:
    """The scores of every shard as one table, sorted by (project, session_id)."""
    frames = [pd.read_parquet(path) for path in paths]
    frames = [frame for frame in frames if not frame.empty]
    if not frames:
        return _scores_frame([])
    merged = pd.concat(frames, ignore_index=True)
    return _scores_frame(records(merged.sort_values(["project", "session_id"], kind="stable")))


def tier_definitions(cfg: QualifyConfig, feeding: Mapping[str, Iterable[str]]) -> dict[str, Any]:
    """What the tiers mean under this config: thresholds, minimums, which strategies they feed."""
    return {
        "thresholds": {"A": cfg.tier_a, "B": cfg.tier_b},
        "minimums": cfg.minimums,
        "feeds": {strategy: sorted(tiers) for strategy, tiers in sorted(feeding.items())},
    }


def write_scores(scores: pd.DataFrame, path: Path, definitions: Mapping[str, Any]) -> None:
    """The merged table, with the tier definitions in its parquet metadata."""
    table = pa.Table.from_pandas(scores, preserve_index=False)
    metadata = {**(table.schema.metadata or {}), TIERS_METADATA: json.dumps(definitions).encode()}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table.replace_schema_metadata(metadata), path)


def read_tier_definitions(path: Path) -> dict[str, Any]:
    """The tier definitions stored with a merged table ({} for a table written without)."""
    raw = (pq.read_schema(path).metadata or {}).get(TIERS_METADATA)
    return json.loads(raw) if raw else {}


def nothing_to_curate(
    scores: pd.DataFrame,
    cfg: QualifyConfig,
    feeding: Iterable[str],
    quarantine: Mapping[str, int] | None = None,
) -> str | None:
    """Why no session reaches a tier that feeds curation, or None when some session does.

    `quarantine` (reason -> lines) explains a corpus where nothing could be read at all.
    """
    feeding = sorted(set(feeding))
    if scores["tier"].isin(feeding).any():
        return None
    if scores.empty:
        return _nothing_scored(quarantine or {})
    tiers = ", ".join(f"{t} {int((scores['tier'] == t).sum())}" for t in ("A", "B", "C"))
    lines = [
        f"No session reached a tier that feeds curation ({', '.join(feeding)}): {len(scores)} "
        f"sessions scored, tiers {tiers}. Commonest reasons:"
    ]
    lines += [f"  - {line}" for line in commonest_blockers(scores, cfg, feeding)]
    lines.append(LAB_HINT)
    return "\n".join(lines)


def commonest_blockers(
    scores: pd.DataFrame, cfg: QualifyConfig, feeding: Iterable[str]
) -> list[str]:
    """What keeps sessions out of the tiers that feed curation, commonest first, with counts."""
    feeding = sorted(set(feeding))
    left_out = scores[~scores["tier"].isin(feeding)]
    reasons = Counter(
        reason for row in records(left_out) for reason in set(blockers(row, cfg, feeding))
    )
    return [_in_sessions(r, n, len(scores)) for r, n in reasons.most_common(TOP_REASONS)]


def blockers(row: Mapping[str, Any], cfg: QualifyConfig, feeding: Iterable[str]) -> list[str]:
    """What keeps one scored session out of the lowest (easiest) tier that feeds curation."""
    thresholds = {"A": cfg.tier_a, "B": cfg.tier_b, "C": 0.0}
    tier = min(feeding, key=lambda t: thresholds.get(t, 0.0))
    found = []
    if row["n_prompts"] == 0:
        found.append(NO_PROMPT)
    if row["relevance"] == 0:
        found.append(RELEVANCE_ZERO)
    for name, minimum in sorted(cfg.minimums.get(tier, {}).items()):
        if row[name] < minimum and not (name == "relevance" and row[name] == 0):
            found.append(f"{name} below tier {tier}'s minimum {minimum:g}")
    if row["score"] < thresholds.get(tier, 0.0):
        found.append(f"score below tier {tier}'s threshold {thresholds[tier]:g}")
    return found


def _in_sessions(reason: str, n: int, total: int) -> str:
    head, _, detail = reason.partition(": ")
    where = f"{head} in {n} of {total} sessions"
    return f"{where}: {detail}" if detail else where


def _nothing_scored(quarantine: Mapping[str, int]) -> str:
    message = (
        "No session was scored: no session file had a single usable record (every one was "
        "empty or quarantined)."
    )
    if quarantine:
        top = ", ".join(
            f"{reason} ({n} lines)"
            for reason, n in sorted(quarantine.items(), key=lambda kv: -kv[1])[:TOP_REASONS]
        )
        message += f" Quarantined: {top}; see results/quarantine/."
    return message
