"""Decision: map a request's findings to allow / confirm / block.

`CommandPolicy.evaluate` runs the analyzers of `rules` (detection) and keeps the worst finding
(decision). It never executes anything; executors run only what it allowed or what a person
approved. It fails closed: an analyzer that raises yields `analyzer.error` (block), a command
that cannot be parsed yields `shell.unparseable` (block), and anything not positively known to
be read-only is at least confirmed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from bot.safety.inventory import Inventory
from bot.safety.rules import (
    CORE_PROTECTED_PATHS,
    DEFAULT_CRITICAL_SERVICES,
    SHELL_ANALYZERS,
    Finding,
    HttpRequest,
    Risk,
    RuleSettings,
    analyze_http_method,
    analyze_ipmi,
    parse_http_request,
    pattern_rule_from_config,
)
from bot.safety.shell_parse import NestingTooDeep, ParseError, SimpleCommand, parse_command
from bot.schema_check import check_against_schema
from halops.contract.tools import AGENT_TOOL_SPECS

log = logging.getLogger(__name__)

Decision = Literal["allow", "confirm", "block"]
TRANSPORTS = ("shell", "ssh", "ipmi", "http")
POLICY_SCHEMA_PATH = Path(__file__).with_name("policy.schema.yaml")


class PolicyConfigError(ValueError):
    """`config/policy.yaml` is unreadable or does not match its schema."""


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    rule_id: str
    reason: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return self.decision == "allow"

    def to_dict(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "rule_id": self.rule_id,
            "reason": self.reason,
            "findings": [f.to_dict() for f in self.findings],
        }


def load_policy_settings(path: str | Path) -> RuleSettings:
    """Read and validate `config/policy.yaml`; errors name the file and the field."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyConfigError(f"{path}: cannot read policy settings: {exc}") from exc
    return settings_from_dict(data, source=str(path))


def settings_from_dict(data: Any, source: str = "<policy>") -> RuleSettings:
    check_against_schema(data, POLICY_SCHEMA_PATH, source, PolicyConfigError)
    rules = [pattern_rule_from_config(e, Risk.BLOCK) for e in data.get("extra_block", [])]
    rules += [pattern_rule_from_config(e, Risk.CONFIRM) for e in data.get("extra_confirm", [])]
    return RuleSettings(
        critical_services=frozenset(data.get("critical_services", DEFAULT_CRITICAL_SERVICES)),
        protected_paths=frozenset(CORE_PROTECTED_PATHS)
        | set(data.get("extra_protected_paths", [])),
        extra_rules=tuple(rules),
    )


def decide(findings: Sequence[Finding]) -> Verdict:
    """The worst finding wins; among equals the first (analyzer order) names the verdict."""
    if not findings:
        # No analyzer had an opinion: unknown, so a person decides.
        return Verdict("confirm", "policy.no_finding", "no analyzer recognised the request", [])
    worst = max(f.risk for f in findings)
    first = next(f for f in findings if f.risk == worst)
    reason = first.reason
    if worst == Risk.ALLOW:  # every command was read-only: say so for all of them
        reason = "; ".join(dict.fromkeys(f.reason for f in findings))
    return Verdict(worst.decision, first.rule_id, reason, list(findings))  # type: ignore[arg-type]


class CommandPolicy:
    """Judges one request: a shell command (local or over SSH), an IPMI action or an HTTP
    request, optionally aimed at an inventory host."""

    def __init__(self, settings: RuleSettings | None = None, inventory: Inventory | None = None):
        self.settings = settings or RuleSettings()
        self.inventory = inventory

    def evaluate(
        self,
        command: str,
        transport: str = "shell",
        host: str | None = None,
        inventory: Inventory | None = None,
    ) -> Verdict:
        inventory = inventory if inventory is not None else self.inventory
        try:
            findings = self._detect(command, transport, host, inventory)
        except Exception as exc:  # fail closed: a bug in detection must not let anything run
            log.exception("policy detection failed")
            findings = [_analyzer_error("policy", exc, command)]
        return decide(findings)

    def _detect(
        self, command: str, transport: str, host: str | None, inventory: Inventory | None
    ) -> list[Finding]:
        if transport == "local":  # fallback, see local_tool_findings
            return local_tool_findings(command)
        if transport not in TRANSPORTS:
            reason = f"unknown transport {transport!r}; known: {', '.join(TRANSPORTS)}"
            return [Finding("transport.unknown", Risk.BLOCK, reason, command)]
        if transport == "http":
            return self._http_findings(command, host, inventory)
        findings = check_host(transport, host, inventory)
        if transport == "ipmi":
            return findings + _guarded("analyze_ipmi", lambda: analyze_ipmi(command), command)
        return findings + self.shell_findings(command)

    def shell_findings(self, command: str) -> list[Finding]:
        """Findings for a shell command string: parse, then every analyzer on every command."""
        try:
            commands = parse_command(command)
        except NestingTooDeep as exc:
            return [Finding("shell.nesting_too_deep", Risk.BLOCK, str(exc), command)]
        except ParseError as exc:
            reason = f"cannot be parsed as shell, so it cannot be checked: {exc}"
            return [Finding("shell.unparseable", Risk.BLOCK, reason, command)]
        if not commands:
            return [Finding("shell.empty", Risk.BLOCK, "empty command", command)]
        return list(_run_analyzers(commands, self.settings))

    def _http_findings(
        self, command: str, host: str | None, inventory: Inventory | None
    ) -> list[Finding]:
        request = parse_http_request(command)
        if request is None:
            reason = "expected 'METHOD http(s)://host[:port]/path' or a bare URL"
            return [Finding("http.bad_request", Risk.BLOCK, reason, command)]
        findings = check_host("http", request.hostname, inventory)
        if host is not None:
            findings += _same_host(host, request, inventory)
        findings += _http_port(request, inventory)
        return findings + analyze_http_method(request)


def _run_analyzers(commands: Iterable[SimpleCommand], settings: RuleSettings) -> Iterable[Finding]:
    for command in commands:
        for analyzer in SHELL_ANALYZERS:
            name = getattr(analyzer, "__name__", "analyzer")
            yield from _guarded(name, lambda a=analyzer, c=command: a(c, settings), command.text())


def _guarded(name: str, run: Any, subject: str) -> list[Finding]:
    """Run one analyzer; its exception becomes a blocking finding instead of a crash."""
    try:
        return list(run())
    except Exception as exc:
        log.exception("analyzer %s failed", name)
        return [_analyzer_error(name, exc, subject)]


def _analyzer_error(name: str, exc: Exception, subject: str) -> Finding:
    reason = f"{name} failed ({type(exc).__name__}: {exc}); refusing rather than guessing"
    return Finding("analyzer.error", Risk.BLOCK, reason, subject)


def check_host(transport: str, host: str | None, inventory: Inventory | None) -> list[Finding]:
    """The host allowlist: remote transports reach only inventory hosts, by name or address."""
    if transport == "shell":
        if host is None:
            return []
        reason = "the shell transport runs on the bot's own machine; use ssh to reach a host"
        return [Finding("host.not_applicable", Risk.BLOCK, reason, host)]
    if host is None:
        return [Finding("host.missing", Risk.BLOCK, f"{transport} needs a target host", "")]
    if inventory is None:
        reason = f"no inventory loaded, so {host!r} cannot be checked"
        return [Finding("host.no_inventory", Risk.BLOCK, reason, host)]
    entry = inventory.lookup(host)
    if entry is None:
        reason = f"{host!r} is not an inventory host (name or exact address)"
        return [Finding("host.not_in_inventory", Risk.BLOCK, reason, host)]
    if not entry.allows(transport):
        reason = f"{entry.name} does not allow {transport} (allows: {sorted(entry.transports)})"
        return [Finding("host.transport_not_allowed", Risk.BLOCK, reason, host)]
    return []


def _same_host(host: str, request: HttpRequest, inventory: Inventory | None) -> list[Finding]:
    named = inventory.lookup(host) if inventory else None
    target = inventory.lookup(request.hostname) if inventory else None
    if named is not None and named == target:
        return []
    reason = f"the URL's host {request.hostname!r} is not the requested host {host!r}"
    return [Finding("http.host_mismatch", Risk.BLOCK, reason, request.url)]


def _http_port(request: HttpRequest, inventory: Inventory | None) -> list[Finding]:
    entry = inventory.lookup(request.hostname) if inventory else None
    if entry is None or not entry.http_ports() or request.port in entry.http_ports():
        return []
    reason = f"port {request.port} is not an inventory service of {entry.name}"
    return [Finding("http.port_not_in_inventory", Risk.CONFIRM, reason, request.url)]


# Bot branch, until the safety branch's own judgement of transport="local" tools lands: the loop
# no longer special-cases local tools, so the policy keeps the old behaviour here (a local tool
# that declares itself read-only is allowed, any other is confirmed). Delete at merge.
_READ_ONLY_LOCAL = frozenset(
    s.name for s in AGENT_TOOL_SPECS if s.transport == "local" and s.read_only
)


def local_tool_findings(command: str) -> list[Finding]:
    tool = command.split(" ", 1)[0]
    if tool in _READ_ONLY_LOCAL:
        return [Finding("tool.read_only", Risk.ALLOW, f"{tool} is read-only", command)]
    return [Finding("tool.local_write", Risk.CONFIRM, f"{tool} changes state", command)]
