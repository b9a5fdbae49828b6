"""Detection, part 2: analyzers turn each simple command into findings (rule id, decision,
reason). Blocklist first, then what reads code the policy cannot see, the confirmation tier,
credentials, hosts, and last the allow side. Rule ids are stable: add, never rename."""

from bot.safety.analyzers import confirm_tier, destructive, execution, hosts, readonly, secrets
from bot.safety.analyzers.base import Context, ShellAnalyzer

SHELL_ANALYZERS: tuple[ShellAnalyzer, ...] = (
    *destructive.ANALYZERS,
    *execution.ANALYZERS,
    *confirm_tier.ANALYZERS,
    *secrets.ANALYZERS,
    *hosts.ANALYZERS,
    *readonly.ANALYZERS,
)

__all__ = ["SHELL_ANALYZERS", "Context", "ShellAnalyzer"]
