"""Site settings of the policy (`config/policy.yaml`): they can only add protection."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from bot.safety.shell.command import SimpleCommand
from bot.safety.verdict import Decision
from halops.contract.configfile import read_yaml, validated

POLICY_SCHEMA_PATH = Path(__file__).with_name("policy.schema.yaml")

DEFAULT_CRITICAL_SERVICES = (
    "sshd",
    "ssh",
    "pveproxy",
    "pvedaemon",
    "corosync",
    "zfs-zed",
    "nfs-server",
    "prometheus",
    "networking",
)
# Deleting, moving or re-owning these (recursively) breaks the host; they are always protected
# and `config/policy.yaml` can only add to them.
CORE_PROTECTED_PATHS = (
    "/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/opt", "/proc",
    "/root", "/sbin", "/srv", "/sys", "/usr", "/usr/bin", "/usr/lib", "/usr/local", "/usr/sbin",
    "/var", "/var/lib", "/etc/pve", "/var/lib/vz", "~",
)  # fmt: skip


class PolicyConfigError(ValueError):
    """`config/policy.yaml` is unreadable or does not match its schema."""


@dataclass(frozen=True)
class PatternRule:
    """A site-specific rule from config: argv prefix patterns (fnmatch, per word)."""

    rule_id: str
    argv: tuple[str, ...]
    reason: str
    decision: Decision

    def matches(self, command: SimpleCommand) -> bool:
        words = (command.name, *command.args)
        if len(words) < len(self.argv):
            return False
        return all(_word_matches(w, p) for w, p in zip(words, self.argv, strict=False))


def _word_matches(word: str, pattern: str) -> bool:
    """fnmatch, plus `{a,b}` for alternatives (fnmatch itself has no braces)."""
    if pattern.startswith("{") and pattern.endswith("}"):
        return any(fnmatchcase(word, p) for p in pattern[1:-1].split(","))
    return fnmatchcase(word, pattern)


@dataclass(frozen=True)
class RuleSettings:
    critical_services: frozenset[str] = frozenset(DEFAULT_CRITICAL_SERVICES)
    protected_paths: frozenset[str] = frozenset(CORE_PROTECTED_PATHS)
    extra_rules: tuple[PatternRule, ...] = field(default_factory=tuple)


def load_policy_settings(path: str | Path) -> RuleSettings:
    """Read and validate `config/policy.yaml`; errors name the file and the field."""
    path = Path(path)
    data = read_yaml(path, PolicyConfigError, "policy settings") or {}
    return settings_from_dict(data, source=str(path))


def settings_from_dict(data: Any, source: str = "<policy>") -> RuleSettings:
    data = validated(data, POLICY_SCHEMA_PATH, source, PolicyConfigError)
    rules = [_pattern_rule(e, Decision.BLOCK) for e in data.get("extra_block", [])]
    rules += [_pattern_rule(e, Decision.CONFIRM) for e in data.get("extra_confirm", [])]
    return RuleSettings(
        critical_services=frozenset(data.get("critical_services", DEFAULT_CRITICAL_SERVICES)),
        protected_paths=frozenset(CORE_PROTECTED_PATHS)
        | set(data.get("extra_protected_paths", [])),
        extra_rules=tuple(rules),
    )


def _pattern_rule(entry: Mapping[str, Any], decision: Decision) -> PatternRule:
    return PatternRule(str(entry["rule_id"]), tuple(entry["argv"]), str(entry["reason"]), decision)
