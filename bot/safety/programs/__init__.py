"""Allow-lists of read-only programs: every option and operand shape that keeps each one
read-only, subcommand by subcommand. Anything not declared here is confirmed by a person."""

from __future__ import annotations

from bot.safety.programs import core, network, platform, storage, systemd
from bot.safety.programs.spec import Accepted, Program, Rejected, Typed, accept

READ_ONLY: dict[str, Program] = {
    **core.TABLE,
    **systemd.TABLE,
    **network.TABLE,
    **storage.TABLE,
    **platform.TABLE,
}

__all__ = ["READ_ONLY", "Accepted", "Program", "Rejected", "Typed", "accept"]
