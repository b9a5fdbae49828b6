"""Typed view of the `augment` config section (every key is documented in config.yaml and in
workflow/schemas/config.augment.schema.yaml)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

PAIR_KINDS = ("recovery", "correction", "interruption", "safety")


def _known(cls: type, values: dict[str, Any], section: str) -> dict[str, Any]:
    """`values` restricted to the dataclass's fields; an unknown key is an error (a typo must
    not be silently ignored)."""
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f"{section}: unknown key(s) {unknown}; known: {sorted(known)}")
    return dict(values)


@dataclass(frozen=True)
class PairsConfig:
    """Section `augment.pairs`."""

    kinds: tuple[str, ...] = PAIR_KINDS
    tiers: tuple[str, ...] = ("A", "B", "C")
    max_prompt_tokens: int = 2048
    safety_per_request: int = 1
    safety_max_pairs: int = 200

    @classmethod
    def from_dict(cls, raw: dict[str, Any] | None) -> PairsConfig:
        values = _known(cls, raw or {}, "augment.pairs")
        for key in ("kinds", "tiers"):
            if key in values:
                values[key] = tuple(values[key])
        bad = sorted(set(values.get("kinds", ())) - set(PAIR_KINDS))
        if bad:
            raise ValueError(f"augment.pairs.kinds: unknown kind(s) {bad}; known: {PAIR_KINDS}")
        return cls(**values)


@dataclass(frozen=True)
class EndpointConfig:
    """Section `augment.synthetic` minus what to generate: where the endpoint is and how to
    talk to it."""

    base_url: str
    model: str
    api_key_env: str = "HALOPS_AUGMENT_API_KEY"
    allow_remote: bool = False
    timeout_s: float = 120.0
    max_retries: int = 4
    requests_per_minute: float = 60.0
    temperature: float = 0.7
    max_tokens: int = 512
    seed: int = 0


@dataclass(frozen=True)
class SyntheticConfig:
    """Section `augment.synthetic`: the endpoint and what is asked of it."""

    endpoint: EndpointConfig | None  # None: no endpoint configured, the rule is not run
    rewordings_per_request: int = 2
    max_requests: int = 50
    questions_per_runbook: int = 3
    max_train_share: float = 0.2
    cache_dir: str = "results/.cache/augment"

    @classmethod
    def from_dict(cls, raw: dict[str, Any] | None) -> SyntheticConfig:
        raw = dict(raw or {})
        endpoint_keys = {f.name for f in fields(EndpointConfig)}
        endpoint_values = {k: raw.pop(k) for k in list(raw) if k in endpoint_keys}
        values = _known(cls, raw, "augment.synthetic")
        values.pop("endpoint", None)
        endpoint = None
        if endpoint_values.get("base_url"):
            endpoint = EndpointConfig(**endpoint_values)
        if not 0 <= values.get("max_train_share", cls.max_train_share) < 1:
            raise ValueError("augment.synthetic.max_train_share: must be in [0, 1)")
        return cls(endpoint=endpoint, **values)
