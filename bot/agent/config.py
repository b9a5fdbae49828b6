"""`config/agent.yaml`: typed, validated at load time; errors name the file and the field."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.schema_check import check_against_schema
from halops.contract.prompts import SYSTEM_PROMPT

SCHEMA_PATH = Path(__file__).with_name("agent.schema.yaml")
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_AGENT_CONFIG = REPO_ROOT / "config" / "agent.yaml"


class AgentConfigError(ValueError):
    """config/agent.yaml is unreadable or does not match its schema."""


@dataclass(frozen=True)
class AgentConfig:
    base_url: str | None
    model: str
    base_prompt: str
    generation: dict[str, Any]
    caps: dict[str, Any]
    retrieval: dict[str, Any]
    audit_db: Path
    inventory: Path
    policy: Path
    tools: dict[str, Any]

    @classmethod
    def from_dict(cls, data: Any, source: str = "<agent config>", root: Path = REPO_ROOT):
        check_against_schema(data, SCHEMA_PATH, source, AgentConfigError)
        paths = {key: root / data[key] for key in ("audit_db", "inventory", "policy")}
        retrieval = {**data["retrieval"], "db_dir": root / data["retrieval"]["db_dir"]}
        rest = {k: v for k, v in data.items() if k not in paths and k != "retrieval"}
        # The system prompt is not configurable: it is the one the model was trained with.
        return cls(**rest, **paths, retrieval=retrieval, base_prompt=SYSTEM_PROMPT)


def load_agent_config(path: Path = DEFAULT_AGENT_CONFIG) -> AgentConfig:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise AgentConfigError(f"{path}: cannot read agent config: {exc}") from exc
    return AgentConfig.from_dict(data, source=str(path), root=Path(path).resolve().parents[1])
