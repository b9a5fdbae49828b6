"""`config/bot.yaml`: typed, validated at load time; errors name the file and the field."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from halops.contract.configfile import read_yaml, validated

SCHEMA_PATH = Path(__file__).with_name("bot.schema.yaml")
REPO_ROOT = Path(__file__).resolve().parents[2]
# Relative: found in the working directory (or --config-dir), never next to the package.
DEFAULT_BOT_CONFIG = Path("config") / "bot.yaml"


class BotConfigError(ValueError):
    """config/bot.yaml is unreadable or does not match its schema."""


@dataclass(frozen=True)
class ApprovalSettings:
    channel: str | None
    approvers: frozenset[str]
    approver_groups: tuple[str, ...]
    allow_self_approval: bool
    timeout_s: float
    group_cache_s: float
    max_pending_per_user: int


@dataclass(frozen=True)
class HttpLimits:
    """What one client can make the HTTP server hold (section `http`; defaults in the schema)."""

    max_body_bytes: int
    read_timeout_s: int
    backlog: int
    workers: int
    connection_limit: int


@dataclass(frozen=True)
class Formatting:
    section_chars: int
    blocks_per_message: int
    max_messages: int
    result_chars: int


@dataclass(frozen=True)
class BotConfig:
    agent_config: Path
    serve_config: Path
    channels: frozenset[str]
    direct_messages: bool
    approvals: ApprovalSettings
    history_messages: int
    workers: int
    formatting: Formatting
    http: HttpLimits
    replay_window_s: float
    shutdown_grace_s: float

    def serves(self, channel: str, channel_type: str | None) -> bool:
        """Direct messages per `direct_messages`; channels per the allow-list (empty = all)."""
        if channel_type == "im" or channel.startswith("D"):
            return self.direct_messages
        return not self.channels or channel in self.channels

    @classmethod
    def from_dict(cls, data: Any, source: str = "<bot config>", root: Path = REPO_ROOT):
        data = validated(data, SCHEMA_PATH, source, BotConfigError)
        approvals = data["approvals"]
        return cls(
            agent_config=root / data["agent_config"],
            serve_config=root / data["serve_config"],
            channels=frozenset(data["channels"]),
            direct_messages=data["direct_messages"],
            approvals=ApprovalSettings(
                channel=approvals["channel"],
                approvers=frozenset(approvals["approvers"]),
                approver_groups=tuple(approvals["approver_groups"]),
                allow_self_approval=approvals["allow_self_approval"],
                timeout_s=float(approvals["timeout_s"]),
                group_cache_s=float(approvals["group_cache_s"]),
                max_pending_per_user=approvals["max_pending_per_user"],
            ),
            history_messages=data["conversation"]["history_messages"],
            workers=data["conversation"]["workers"],
            formatting=Formatting(**data["formatting"]),
            http=HttpLimits(**data["http"]),
            replay_window_s=float(data["replay_window_s"]),
            shutdown_grace_s=float(data["shutdown_grace_s"]),
        )


def load_bot_config(path: Path = DEFAULT_BOT_CONFIG) -> BotConfig:
    data = read_yaml(path, BotConfigError, "bot config")
    return BotConfig.from_dict(data, source=str(path), root=Path(path).resolve().parents[1])
