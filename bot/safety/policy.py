"""Decision: map a request's findings to allow / confirm / block.

`CommandPolicy.evaluate` parses once, runs the analyzers (detection) on every simple command
and keeps the worst finding (decision). It never executes anything; executors run only what it
allowed or what a person approved — the same string (or, for a plain command, the same argv)
it judged. It fails closed: an analyzer that raises yields `analyzer.error` (block), a command
that cannot be parsed `shell.unparseable` (block), a check that runs out of time or size
`analysis.budget_exceeded` (block), and anything not positively known to be read-only is at
least confirmed.
"""

from __future__ import annotations

import logging
import posixpath
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from bot.safety.analyzers import SHELL_ANALYZERS, Context
from bot.safety.budget import DEFAULT_TIME_S, Budget, BudgetExceeded
from bot.safety.http import check_request, parse_http_request
from bot.safety.inventory import Inventory
from bot.safety.options import OptionError, scan_options
from bot.safety.programs import READ_ONLY
from bot.safety.settings import (
    PolicyConfigError,
    RuleSettings,
    load_policy_settings,
    settings_from_dict,
)
from bot.safety.shell import ParseError, SimpleCommand, parse_command
from bot.safety.shell.inline import SHELLS
from bot.safety.transports import analyze_ipmi, analyze_local_tool, check_host
from bot.safety.verdict import Decision, RuleFinding, Verdict, decide

# Re-exported: the agent, the eval harness and the audit log import these from here.
__all__ = [
    "TRANSPORTS",
    "CommandPolicy",
    "PolicyConfigError",
    "RuleSettings",
    "Verdict",
    "decide",
    "load_policy_settings",
    "settings_from_dict",
]

log = logging.getLogger(__name__)

TRANSPORTS = ("shell", "ssh", "ipmi", "http", "local")
BLOCK = Decision.BLOCK
# Programs whose output is code the policy never saw: fetched from the network or decoded.
_DOWNLOADERS = frozenset(
    {"curl", "wget", "scp", "rsync", "nc", "ncat", "netcat", "socat", "ftp", "base64", "base32",
     "basenc", "xxd", "uudecode", "openssl", "gpg", "gunzip", "zcat", "xz", "bzip2"}
)  # fmt: skip


class CommandPolicy:
    """Judges one request: a shell command (local or over SSH), an IPMI action, an HTTP
    request or a local tool call, optionally aimed at an inventory host."""

    def __init__(
        self,
        settings: RuleSettings | None = None,
        inventory: Inventory | None = None,
        time_budget_s: float = DEFAULT_TIME_S,
        budget: Callable[[], Budget] | None = None,
    ) -> None:
        self.settings = settings or RuleSettings()
        self.inventory = inventory
        self.time_budget_s = time_budget_s
        # A fresh budget per check; tests pass their own (a fake clock, small caps).
        self.new_budget = budget or (lambda: Budget(self.time_budget_s))

    def evaluate(
        self,
        command: str,
        transport: str = "shell",
        host: str | None = None,
        inventory: Inventory | None = None,
    ) -> Verdict:
        inventory = inventory if inventory is not None else self.inventory
        budget = self.new_budget()
        plain = False
        try:
            findings, plain = self._detect(command, transport, host, inventory, budget)
        except BudgetExceeded as exc:
            findings = [_budget_finding(exc, command)]
        except Exception as exc:  # fail closed: a bug in detection must not let anything run
            log.exception("policy detection failed")
            findings = [_analyzer_error("policy", exc, str(command)[:200])]
        return decide(findings, plain)

    def _detect(
        self,
        command: str,
        transport: str,
        host: str | None,
        inventory: Inventory | None,
        budget: Budget,
    ) -> tuple[list[RuleFinding], bool]:
        if transport not in TRANSPORTS:
            reason = f"unknown transport {transport!r}; known: {', '.join(TRANSPORTS)}"
            return [RuleFinding("transport.unknown", BLOCK, reason, command)], False
        if transport == "http":
            return self._http_findings(command, host, inventory), False
        findings = check_host(transport, host, inventory)
        if transport == "local":
            return findings + analyze_local_tool(command), False
        if transport == "ipmi":
            return findings + _guarded(
                "analyze_ipmi", lambda: analyze_ipmi(command), command
            ), False
        remote = host if transport == "ssh" else None
        shell_findings, plain = self.shell_findings(command, inventory, remote, budget)
        return findings + shell_findings, plain and transport == "shell"

    def shell_findings(
        self,
        command: str,
        inventory: Inventory | None = None,
        remote_host: str | None = None,
        budget: Budget | None = None,
    ) -> tuple[list[RuleFinding], bool]:
        """Findings for a shell command string (parse once, every analyzer on every simple
        command), and whether it is one plain command."""
        budget = budget or self.new_budget()
        try:
            commands = parse_command(command, budget, remote_host=remote_host)
        except ParseError as exc:
            reason = f"cannot be parsed as shell, so it cannot be checked: {exc}"
            return [RuleFinding("shell.unparseable", BLOCK, reason, command)], False
        if not commands:
            return [RuleFinding("shell.empty", BLOCK, "empty command", command)], False
        context = Context(self.settings, inventory or self.inventory, commands)
        findings = _run_analyzers(commands, context, budget)
        findings += _guarded("runs_written_file", lambda: runs_written_file(commands), command)
        return findings, is_plain(commands)

    def _http_findings(
        self, command: str, host: str | None, inventory: Inventory | None
    ) -> list[RuleFinding]:
        request = parse_http_request(command)
        if request is None:
            reason = "expected 'METHOD http(s)://host[:port]/path' or a bare URL"
            return [RuleFinding("http.bad_request", BLOCK, reason, command)]
        findings = check_request(request, inventory, request.url)
        if host is not None and inventory is not None:
            named, target = inventory.lookup(host), inventory.lookup(request.hostname)
            if named is None or named != target:
                reason = f"the URL's host {request.hostname!r} is not the requested host {host!r}"
                findings.append(RuleFinding("http.host_mismatch", BLOCK, reason, request.url))
        return findings


def _run_analyzers(
    commands: Iterable[SimpleCommand], context: Context, budget: Budget
) -> list[RuleFinding]:
    """Every analyzer on every command, ordered by analyzer (the blocklist before the allow
    side), so that among equally bad findings the more specific rule names the verdict."""
    ranked: list[tuple[int, int, RuleFinding]] = []
    for position, command in enumerate(commands):
        budget.tick()
        for rank, analyzer in enumerate(SHELL_ANALYZERS):
            name = getattr(analyzer, "__name__", "analyzer")
            run = lambda a=analyzer, c=command: a(c, context)  # noqa: E731
            ranked += [(rank, position, f) for f in _guarded(name, run, command.text())]
    ranked.sort(key=lambda item: (item[0], item[1]))
    return [f for _, _, f in ranked]


def _guarded(name: str, run: Callable[[], Any], subject: str) -> list[RuleFinding]:
    """Run one analyzer; its exception becomes a blocking finding instead of a crash."""
    try:
        return list(run())
    except BudgetExceeded:
        raise
    except Exception as exc:
        log.exception("analyzer %s failed", name)
        return [_analyzer_error(name, exc, subject)]


def _analyzer_error(name: str, exc: Exception, subject: str) -> RuleFinding:
    reason = f"{name} failed ({type(exc).__name__}: {exc}); refusing rather than guessing"
    return RuleFinding("analyzer.error", BLOCK, reason, subject)


def _budget_finding(exc: BudgetExceeded, command: str) -> RuleFinding:
    reason = f"the check stopped: {exc}; refusing rather than guessing"
    return RuleFinding("analysis.budget_exceeded", BLOCK, reason, str(command)[:200])


def is_plain(commands: Sequence[SimpleCommand]) -> bool:
    """One simple command of literal words, no redirection, assignment, expansion or path
    program: it runs the same in a restricted shell."""
    real = [c for c in commands if not c.variant]
    if len(real) != 1:
        return False
    only = real[0]
    return (
        bool(only.fields)
        and only.literal
        and not only.redirects
        and not only.assignments
        and not only.keyword
        and not only.context
        and not only.wrapper_writes
        and all(not f.glob for f in only.written)
        and "/" not in only.written[0].text
        and only.written == only.fields
    )


def runs_written_file(commands: Sequence[SimpleCommand]) -> list[RuleFinding]:
    """`curl -o /tmp/x.sh URL && bash /tmp/x.sh`: running what a network tool just wrote is
    piping it into a shell."""
    downloaded: set[str] = set()
    findings: list[RuleFinding] = []
    for command in commands:
        if command.variant:
            continue
        target = _executed_file(command)
        if target is not None and _normal(target, command) in downloaded:
            reason = f"runs {target}, which an earlier command fetched or decoded"
            findings.append(RuleFinding("shell.pipe_to_shell", BLOCK, reason, command.text()))
        if command.name in _DOWNLOADERS:
            downloaded |= {_normal(p, command) for p in _downloaded_to(command)}
    return findings


def _executed_file(command: SimpleCommand) -> str | None:
    if not command.fields:
        return None
    if "/" in command.fields[0].text:
        return command.fields[0].text
    from bot.safety.analyzers.base import operands

    ops = operands(command.args)
    if command.name in SHELLS or command.name in ("source", ".", "python", "python3", "perl"):
        return ops[0] if ops else None
    return None


def _downloaded_to(command: SimpleCommand) -> list[str]:
    """Files a network tool writes: redirections, curl -o, wget -O, the copy destination."""
    out = [r.target for r in command.redirects if r.writes]
    args = list(command.args)
    spec = READ_ONLY.get(command.name)
    if spec is not None:
        try:
            scanned = scan_options(args, spec.options)
        except OptionError:
            scanned = None
        if scanned is not None:
            out += scanned.values.get("-o", []) + scanned.values.get("-O", [])
    if command.name in ("scp", "rsync") and args:
        out.append(args[-1])
    return [p for p in out if p not in ("-", "/dev/stdout", "/dev/null")]


def _normal(path: str, command: SimpleCommand) -> str:
    base = next((c for c in command.cwd if c), "")
    return posixpath.normpath(posixpath.join(base, path))
