"""`config/agent.yaml`: typed, validated at load time; errors name the file and the field."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.paths import config_dir
from bot.tools.simulated import SimulatedLab
from halops.contract.configfile import read_yaml, validated
from halops.contract.prompts import SYSTEM_PROMPT

SCHEMA_PATH = Path(__file__).with_name("agent.schema.yaml")
AGENT_CONFIG_NAME = "agent.yaml"


def default_agent_config(folder: Path | None = None) -> Path:
    """agent.yaml in `--config-dir`, else in ./config of the working directory."""
    return config_dir(folder) / AGENT_CONFIG_NAME


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
    tool_call_grammar: bool  # optional keys: their defaults are the schema's
    simulated_lab: dict[str, Any]

    @classmethod
    def from_dict(cls, data: Any, source: str = "<agent config>", root: Path | None = None):
        data = validated(data, SCHEMA_PATH, source, AgentConfigError)
        root = root if root is not None else Path.cwd()
        paths = {key: root / data[key] for key in ("audit_db", "inventory", "policy")}
        retrieval = {**data["retrieval"], "db_dir": root / data["retrieval"]["db_dir"]}
        rest = {k: v for k, v in data.items() if k not in paths and k not in SPECIAL_KEYS}
        lab = data["simulated_lab"]
        lab = {**lab, "recordings": [root / p for p in lab["recordings"]]}
        # The system prompt is not configurable: it is the one the model was trained with.
        return cls(
            **rest,
            **paths,
            retrieval=retrieval,
            simulated_lab=lab,
            base_prompt=SYSTEM_PROMPT,
        )


SPECIAL_KEYS = frozenset({"retrieval", "simulated_lab"})


def load_agent_config(path: Path | None = None) -> AgentConfig:
    """Read and validate agent.yaml (default: `default_agent_config()`); relative paths in it
    resolve against the folder above its folder (the project root)."""
    path = Path(path) if path is not None else default_agent_config()
    data = read_yaml(path, AgentConfigError, "agent config")
    return AgentConfig.from_dict(data, source=str(path), root=path.resolve().parents[1])


def inventory_is_simulated(path: Path) -> bool:
    """The inventory's `simulated` mark (the sample lab). An unreadable inventory counts as
    not simulated here: loading it for the policy fails anyway, before any tool can run."""
    try:
        data = read_yaml(path)
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("simulated") is True


def simulated_lab(cfg: AgentConfig, first: Sequence[Path] = ()) -> SimulatedLab | None:
    """The recordings to answer tool calls from when the inventory is simulated, else None
    (a user's own inventory: the real transports)."""
    if not inventory_is_simulated(cfg.inventory):
        return None
    return SimulatedLab.from_files([*first, *cfg.simulated_lab["recordings"]])
