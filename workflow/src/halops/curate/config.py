"""Typed view of the `curate` config section (every key is documented in config.yaml)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from halops.contract.prompts import SYSTEM_PROMPT

STRATEGIES = ("multi_turn", "single_turn", "skills", "subagents")


@dataclass(frozen=True)
class MultiTurnConfig:
    """How whole conversations are windowed."""

    max_tokens: int = 8192
    summary_as_user: bool = False


@dataclass(frozen=True)
class SubagentsConfig:
    """Which subagent transcripts are not worth an example."""

    skip_agent_prefixes: tuple[str, ...] = ("acompact",)
    skip_prompts: tuple[str, ...] = ("Warmup",)


@dataclass(frozen=True)
class AgentToolsConfig:
    """How transcript tool calls become the agent's tools (halops.curate.agent_tools)."""

    map_calls: bool = True
    drop_tools: frozenset[str] = frozenset({"Skill", "TodoWrite", "ExitPlanMode"})
    drop_unmapped_examples: bool = True
    tools_in_system_prompt: bool = True

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> AgentToolsConfig:
        default = cls()
        return cls(
            map_calls=bool(raw.get("map_calls", default.map_calls)),
            drop_tools=frozenset(raw.get("drop_tools", default.drop_tools)),
            drop_unmapped_examples=bool(
                raw.get("drop_unmapped_examples", default.drop_unmapped_examples)
            ),
            tools_in_system_prompt=bool(
                raw.get("tools_in_system_prompt", default.tools_in_system_prompt)
            ),
        )


@dataclass(frozen=True)
class CurateConfig:
    """Config section `curate`."""

    # Not read from the config: the agent's own prompt (tests set another to keep fixtures short).
    system_prompt: str = SYSTEM_PROMPT
    include_thinking: bool = False
    chars_per_token: float = 4.0
    max_tool_result_chars: int = 4000
    tiers: dict[str, tuple[str, ...]] = field(
        default_factory=lambda: dict.fromkeys(STRATEGIES, ("A", "B"))
    )
    multi_turn: MultiTurnConfig = MultiTurnConfig()
    subagents: SubagentsConfig = SubagentsConfig()
    agent_tools: AgentToolsConfig = AgentToolsConfig()

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> CurateConfig:
        default = cls()
        tiers = {
            name: tuple(raw.get("tiers", {}).get(name, default.tiers[name])) for name in STRATEGIES
        }
        multi = raw.get("multi_turn", {})
        sub = raw.get("subagents", {})
        return cls(
            include_thinking=bool(raw.get("include_thinking", default.include_thinking)),
            chars_per_token=float(raw.get("chars_per_token", default.chars_per_token)),
            max_tool_result_chars=int(
                raw.get("max_tool_result_chars", default.max_tool_result_chars)
            ),
            tiers=tiers,
            multi_turn=MultiTurnConfig(
                max_tokens=int(multi.get("max_tokens", MultiTurnConfig.max_tokens)),
                summary_as_user=bool(multi.get("summary_as_user", MultiTurnConfig.summary_as_user)),
            ),
            subagents=SubagentsConfig(
                skip_agent_prefixes=tuple(
                    sub.get("skip_agent_prefixes", SubagentsConfig.skip_agent_prefixes)
                ),
                skip_prompts=tuple(sub.get("skip_prompts", SubagentsConfig.skip_prompts)),
            ),
            agent_tools=AgentToolsConfig.from_dict(raw.get("agent_tools", {})),
        )
