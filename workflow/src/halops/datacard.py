"""The data card: what went into the final dataset and what was removed on the way.

Counts only, never example text: the card is published beside the data and is re-scanned for
secrets like the data itself. No timestamp either, so an unchanged input gives a byte-identical
card (Snakemake and git see no spurious change).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

CARD_JSON = "data_card.json"
CARD_MD = "data_card.md"
# Tokens are approximated as characters / 4 (English text with a BPE tokenizer); the card only
# needs orders of magnitude to size context length and training time, not a real tokenizer.
CHARS_PER_TOKEN = 4


@dataclass
class TokenStats:
    n: int = 0
    total: int = 0
    min: int | None = None
    mean: float | None = None
    p50: float | None = None
    p95: float | None = None
    max: int | None = None

    @classmethod
    def of(cls, tokens: Sequence[int]) -> TokenStats:
        if not tokens:
            return cls()
        values = np.asarray(tokens, dtype=float)
        return cls(
            n=len(tokens),
            total=int(values.sum()),
            min=int(values.min()),
            mean=round(float(values.mean()), 1),
            p50=round(float(np.percentile(values, 50)), 1),
            p95=round(float(np.percentile(values, 95)), 1),
            max=int(values.max()),
        )


@dataclass
class DataCard:
    n_input_examples: int = 0
    n_output_examples: int = 0
    per_split: dict[str, int] = field(default_factory=dict)
    sessions_per_split: dict[str, int] = field(default_factory=dict)
    per_tier: dict[str, int] = field(default_factory=dict)
    per_strategy: dict[str, int] = field(default_factory=dict)
    per_strategy_split: dict[str, dict[str, int]] = field(default_factory=dict)
    token_stats: dict[str, TokenStats] = field(default_factory=dict)
    duplicates_removed: dict[str, int] = field(default_factory=dict)
    secrets_per_rule: dict[str, int] = field(default_factory=dict)
    examples_with_secrets: int = 0
    quarantine: dict[str, Any] = field(default_factory=dict)
    qualified: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    # How token counts were made: "the model's tokenizer" when the stage had it.
    token_counter: str = "characters / 4"
    # halops.window.WindowStats of fitting examples into the training window ({} if not fitted).
    window: dict[str, Any] = field(default_factory=dict)
    # Held-out sessions pinned to test and the wordings/combinations only they use ({}: none).
    heldout: dict[str, Any] = field(default_factory=dict)
    # Assistant messages with tool calls per split (the held-out next-call turns are test's).
    tool_call_turns: dict[str, int] = field(default_factory=dict)
    # Examples dropped for a call the agent cannot make (halops.reach), and those calls by
    # `tool:host`; None when no inventory was given.
    unreachable: dict[str, Any] | None = None
    # Filled by the augment_card rule (halops.augment): pair and synthetic counts.
    augmentation: dict[str, Any] = field(default_factory=dict)
    # Tiers against the generator's manifest (halops.agreement); {} for your own sessions.
    qualifier_agreement: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DataCard:
        stats = {k: TokenStats(**v) for k, v in data.get("token_stats", {}).items()}
        return cls(**{**data, "token_stats": stats})

    def write(self, out_dir: Path) -> list[Path]:
        json_path, md_path = out_dir / CARD_JSON, out_dir / CARD_MD
        json_path.write_text(json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n")
        md_path.write_text(self.to_markdown())
        return [json_path, md_path]

    def to_markdown(self) -> str:
        sections = [
            _md_overview(self),
            _md_tiers(self),
            *([_md_agreement(self.qualifier_agreement)] if self.qualifier_agreement else []),
            _md_strategy_table(self),
            _md_tokens(self),
            _md_window(self),
            _md_heldout(self),
            _md_removed(self),
            _md_unreachable(self),
            _md_quarantine(self),
            _md_numbers(self),
            _md_config(self),
        ]
        if self.augmentation:
            sections.insert(-1, _md_augmentation(self.augmentation))
        return "\n\n".join(sections) + "\n"


def approx_tokens(messages: Sequence[dict[str, Any]]) -> int:
    chars = 0
    for message in messages:
        chars += len(str(message.get("content") or ""))
        for call in message.get("tool_calls") or []:
            function = call.get("function", {})
            chars += len(str(function.get("name", ""))) + len(str(function.get("arguments", "")))
    return math.ceil(chars / CHARS_PER_TOKEN)


def _cell(value: Any) -> str:
    return "" if value is None else str(value).replace("|", "\\|").replace("\n", " ")


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _md_overview(card: DataCard) -> str:
    rows = [
        (name, card.per_split.get(name, 0), card.sessions_per_split.get(name, 0))
        for name in card.per_split
    ]
    tiers = _tier_list(card.per_tier)
    qualified = card.qualified.get("sessions", 0)
    qualified_tiers = _tier_list(card.qualified.get("per_tier", {}))
    return "\n".join(
        [
            "# HALops data card",
            "",
            f"{card.n_output_examples} examples kept of {card.n_input_examples} curated.",
            f"Examples per tier: {tiers}.",
            f"Sessions scored by qualify: {qualified} ({qualified_tiers}).",
            "",
            _table(["split", "examples", "sessions"], rows),
        ]
    )


def _tier_list(per_tier: dict[str, int]) -> str:
    return ", ".join(f"{tier}: {n}" for tier, n in sorted(per_tier.items())) or "none"


def _md_strategy_table(card: DataCard) -> str:
    splits = list(card.per_split)
    rows = [
        (strategy, *(card.per_strategy_split.get(strategy, {}).get(s, 0) for s in splits), total)
        for strategy, total in sorted(card.per_strategy.items())
    ]
    return "## Examples per strategy\n\n" + _table(["strategy", *splits, "total"], rows)


def _md_tokens(card: DataCard) -> str:
    header = ["split", "n", "total", "min", "mean", "p50", "p95", "max"]
    rows = [
        (name, s.n, s.total, s.min, s.mean, s.p50, s.p95, s.max)
        for name, s in card.token_stats.items()
    ]
    note = f"Tokens per example, counted with {card.token_counter} (rendered chat template)."
    if card.token_counter.startswith("characters"):
        note = f"Approximate tokens per example (characters / {CHARS_PER_TOKEN})."
    turns = ", ".join(f"{name} {n}" for name, n in card.tool_call_turns.items())
    if turns:
        note += f" Assistant messages with tool calls: {turns}."
    return f"## Token statistics\n\n{note}\n\n" + _table(header, rows)


def _md_window(card: DataCard) -> str:
    """How examples were fitted into the training window (halops.window)."""
    w = card.window
    if not w:
        return "## Training window\n\nExamples were not fitted to a window (no tokenizer given)."
    examples = w["examples"]
    rows = [
        ("fit whole", examples["fit"]),
        (f"split at request boundaries (into {w['pieces_from_splits']} pieces)", examples["split"]),
        ("trimmed after their last assistant message that fits", examples["trimmed"]),
        ("dropped (first assistant message does not fit)", examples["dropped"]),
    ]
    lost = w["assistant_tokens_dropped"]
    share = lost / w["assistant_tokens"] if w["assistant_tokens"] else 0.0
    return "\n".join(
        [
            "## Training window",
            "",
            f"Every example fits {w['max_tokens']} tokens of the model's tokenizer; nothing is cut "
            "inside an assistant message (truncated assistant messages: "
            f"{w['truncated_assistant_messages']}).",
            "",
            _table(["curated examples", "count"], rows),
            "",
            f"Assistant messages dropped: {w['assistant_messages_dropped']} of "
            f"{w['assistant_messages']}; assistant tokens dropped: {lost} of "
            f"{w['assistant_tokens']} ({share:.1%}).",
        ]
    )


def _md_heldout(card: DataCard) -> str:
    """Which wordings and combinations only the test split has (generated corpus only)."""
    h = card.heldout
    if not h:
        return "## Held-out test content\n\nNo sessions were pinned to the test split."
    wordings = [
        f"- {task}: " + "; ".join(f"“{w}”" for w in ws) for task, ws in h["wordings"].items()
    ]
    combos = [f"- {task}: " + ", ".join(cs) for task, cs in h["combinations"].items()]
    return "\n".join(
        [
            "## Held-out test content",
            "",
            f"{h['sessions']} generated sessions are pinned to the test split "
            f"({h['test_examples']} test examples). Only they use these request wordings and "
            "parameter combinations, so train and validation never contain them:",
            "",
            "Wordings (per task):",
            "",
            *wordings,
            "",
            "Combinations (per task; each value alone does occur in training):",
            "",
            *combos,
        ]
    )


def _md_removed(card: DataCard) -> str:
    dups = _table(["kind", "removed"], sorted(card.duplicates_removed.items()))
    secrets = _table(["rule", "redactions"], sorted(card.secrets_per_rule.items())) or ""
    return "\n".join(
        [
            "## Duplicates and secrets",
            "",
            dups,
            "",
            f"{card.examples_with_secrets} examples had at least one secret redacted "
            "(replaced by `<REDACTED:rule>`); the final files were re-scanned and are clean.",
            "",
            secrets,
        ]
    )


def _md_unreachable(card: DataCard) -> str:
    """Examples dropped because a call names a host its tool cannot reach (halops.reach)."""
    if card.unreachable is None:
        return "## Calls outside the inventory\n\nNo inventory given: calls were not checked."
    calls = sorted(card.unreachable["calls"].items())
    return "\n".join(
        [
            "## Calls outside the inventory",
            "",
            f"{card.unreachable['examples']} examples were dropped because an assistant call "
            "names a host that the inventory does not open to that tool (the agent could "
            "never make it, and its grammar cannot write it):",
            "",
            _table(["tool:host", "calls"], calls),
        ]
    )


def _md_quarantine(card: DataCard) -> str:
    reasons = sorted(card.quarantine.get("reasons", {}).items())
    lines = card.quarantine.get("lines", 0)
    files = card.quarantine.get("files", 0)
    text = f"{lines} unreadable transcript lines were quarantined (in {files} files)."
    return f"## Quarantine\n\n{text}\n\n" + _table(["reason", "lines"], reasons)


def _md_config(card: DataCard) -> str:
    return "## Configuration\n\n```json\n" + json.dumps(card.config, indent=2) + "\n```"


# --- what the tiers are and what every number means (the qualify side of the card) ----------

TIERS = ("A", "B", "C")
COMPONENTS_TEXT = (
    "tool success, recovery after errors, completion, no corrections, depth, and relevance: "
    "how many of the lab's inventory hosts, addresses and keywords it mentions"
)


def _md_tiers(card: DataCard) -> str:
    """How sessions became tiers, with this run's thresholds and who takes which tier."""
    tiers = card.qualified.get("tiers") or {}
    sessions = card.qualified.get("per_tier", {})
    feeds = tiers.get("feeds", {})
    rows = [
        (
            tier,
            _tier_rule(tier, tiers),
            sessions.get(tier, 0),
            card.per_tier.get(tier, 0),
            ", ".join(s for s, taken in sorted(feeds.items()) if tier in taken) or "nothing",
        )
        for tier in TIERS
    ]
    intro = (
        f"Qualify scores every session from six components in [0, 1] ({COMPONENTS_TEXT}); "
        "the score is their weighted mean. The tiers under this run's configuration "
        "(`qualify.tiers`, `qualify.minimums`, `curate.tiers`):"
    )
    return (
        "## Tiers\n\n"
        + intro
        + "\n\n"
        + _table(
            ["tier", "a session is in it when", "sessions", "examples kept", "curated into"], rows
        )
    )


def _md_agreement(agreement: dict[str, Any]) -> str:
    """Manifest kind x tier of the generated corpus, and how many got the expected tier."""
    rows = [
        (kind, agreement["expected"][kind], *(counts[tier] for tier in TIERS))
        for kind, counts in agreement["table"].items()
    ]
    share = agreement["share"]
    summary = (
        f"{agreement['agreeing']} of {agreement['sessions']} sessions "
        f"({100 * share:.1f} %) got the tier their kind should get."
        if share is not None
        else "No scored session is in the manifest."
    )
    return (
        "## Tiers against the generator's manifest\n\n"
        "The sample generator records what each session is; the expected tier per kind and "
        "why are in `halops/agreement.py`. "
        + summary
        + "\n\n"
        + _table(["manifest kind", "expected", *TIERS], rows)
    )


def _tier_rule(tier: str, tiers: dict[str, Any]) -> str:
    if tier == "C":
        return "it reaches no other tier, or has no user prompt (nothing to learn from)"
    threshold = tiers.get("thresholds", {}).get(tier)
    if threshold is None:
        return f"score >= qualify.tiers.{tier} and the tier's minimums"
    minimums = tiers.get("minimums", {}).get(tier, {})
    parts = [f"score >= {threshold:g}"] + [f"{n} >= {m:g}" for n, m in sorted(minimums.items())]
    return ", ".join(parts) + ("" if tier == "A" else " (and not tier A)")


def _md_numbers(card: DataCard) -> str:
    """One line per number the card shows: where it comes from."""
    quarantine = card.quarantine
    items = [
        f"**{card.n_input_examples} curated**: examples the four strategies built from the "
        "sessions of the tiers that feed them (table above); **"
        f"{card.n_output_examples} kept**: those left after removing duplicates.",
        "**Examples per tier**: the tier of the session each kept example comes from. "
        f"**Sessions scored** ({card.qualified.get('sessions', 0)}): every session with at "
        "least one readable record; one whose every line was quarantined is not scored.",
        "**split / examples / sessions**: the split is drawn by session "
        "(`validate.split_ratios`), so all examples of a session land in one split.",
        "**Examples per strategy**: multi_turn holds whole conversations, single_turn one "
        "request each, skills the requests answered with a skill's body in the system prompt, "
        "subagents the tasks given to subagents.",
        f"**Token statistics**: characters / {CHARS_PER_TOKEN} per example, system prompt and "
        "tool calls included; n = examples, total = their sum, p50/p95 = percentiles.",
        "**Duplicates**: exact = identical messages; near = estimated word-shingle Jaccard "
        "similarity at or above `validate.near_dup_threshold` (MinHash); the copy from the "
        "better tier stays. **Redactions**: secrets replaced, per scanner rule.",
        f"**Quarantine**: {quarantine.get('lines', 0)} transcript lines in "
        f"{quarantine.get('files', 0)} files could not be used (not JSON, wrong field types, "
        "compressed or binary files); each is in `results/quarantine/` with file:line, "
        "reason and raw text.",
    ]
    return "## What the numbers mean\n\n" + "\n".join(f"- {item}" for item in items)


def _md_augmentation(augmentation: dict[str, Any]) -> str:
    """Preference pairs by kind and split, safety rules, and synthetic examples (halops.augment)."""
    parts = ["## Augmentation"]
    pairs = augmentation.get("pairs") or {}
    if pairs:
        per_kind = pairs.get("per_kind_split", {})
        splits = ("train", "val", "test")
        rows = [
            (kind, *(counts.get(s, 0) for s in splits), sum(counts.values()))
            for kind, counts in sorted(per_kind.items())
        ]
        removed = pairs.get("duplicates_removed", {})
        parts += [
            f"{pairs.get('n_pairs', 0)} preference pairs kept of {pairs.get('n_candidates', 0)} "
            f"({pairs.get('sessions_mined', 0)} sessions mined; duplicates removed: exact "
            f"{removed.get('exact', 0)}, near {removed.get('near', 0)}; "
            f"{pairs.get('pairs_with_secrets', 0)} pairs had secrets redacted). A pair keeps the "
            "split of its session, so no pair from a test session is trained on.",
            _table(["kind", *splits, "total"], rows),
        ]
        rules = (pairs.get("safety") or {}).get("rule_ids", {})
        if rules:
            parts += [
                "Policy rules that block the safety pairs' rejected calls:",
                _table(["rule", "pairs"], sorted(rules.items())),
            ]
        let_through = (pairs.get("safety") or {}).get("catalogue_entries_not_blocked", {})
        if let_through:
            parts.append(
                "Dangerous commands of the catalogue the policy did not block (left out): "
                + ", ".join(f"`{entry}`" for entry in sorted(let_through))
                + "."
            )
    synthetic = augmentation.get("synthetic") or {}
    if synthetic:
        training = synthetic.get("training_set", {})
        parts += [
            f"Synthetic examples from `{synthetic.get('endpoint')}` (model "
            f"`{synthetic.get('model')}`), training split only: "
            f"{training.get('synthetic_added', 0)} added to {training.get('real', 0)} real "
            f"examples ({training.get('synthetic_duplicates', 0)} duplicates and "
            f"{training.get('synthetic_over_cap', 0)} over the share cap left out); "
            f"{synthetic.get('requests_sent', 0)} requests sent, "
            f"{synthetic.get('answers_from_cache', 0)} answered from the cache.",
            _table(["strategy", "examples"], sorted(synthetic.get("per_strategy", {}).items())),
        ]
    return "\n\n".join(parts)
