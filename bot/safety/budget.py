"""Bounded analysis: every check gets a deadline and size caps, decided before any expansion.

A hostile command must not turn the check into a denial of service (the check runs inside the
agent loop). Sizes are counted *before* anything is expanded — a brace expression's field count
is computed from its ranges, never by expanding it — and time is checked at every loop of the
parser and the analyzers. Running out is its own finding (`analysis.budget_exceeded`, block).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

# A real on-call command is checked in a few milliseconds (p99 ~15 ms, see
# bot/devtools/bench_safety.py); the time cap leaves room for a loaded host, where starting the
# parser process alone can take a good part of a second, without blocking honest commands.
DEFAULT_TIME_S = 2.0
MAX_SIMPLE_COMMANDS = 512  # simple commands one check may look at (loops unrolled included)
MAX_FIELDS = 4_096  # words after expansion, across the whole command
MAX_NESTING = 6  # shell strings inside shell strings (`bash -c "ssh h 'sh -c …'"`)
MAX_LOOP_UNROLL = 64  # `for x in …` items analysed one by one; more makes the loop dynamic


class BudgetExceeded(Exception):
    """The check ran out of time or size; the policy blocks rather than guessing."""


@dataclass
class Budget:
    time_s: float = DEFAULT_TIME_S
    max_commands: int = MAX_SIMPLE_COMMANDS
    max_fields: int = MAX_FIELDS
    max_nesting: int = MAX_NESTING
    max_loop_unroll: int = MAX_LOOP_UNROLL
    clock: Callable[[], float] = time.monotonic
    deadline: float = field(init=False)
    commands: int = field(init=False, default=0)
    fields: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.deadline = self.clock() + self.time_s

    def remaining_s(self) -> float:
        """Time left (a look at the clock like `tick`: none left stops the check)."""
        left = self.deadline - self.clock()
        if left <= 0:
            raise BudgetExceeded(f"the check took longer than {self.time_s:g} s")
        return left

    def tick(self) -> None:
        """Called at every loop step that can repeat with the input's size."""
        if self.clock() > self.deadline:
            raise BudgetExceeded(f"the check took longer than {self.time_s:g} s")

    def count_command(self) -> None:
        self.commands += 1
        if self.commands > self.max_commands:
            raise BudgetExceeded(f"more than {self.max_commands} simple commands to check")
        self.tick()

    def count_fields(self, n: int) -> None:
        self.fields += n
        if self.fields > self.max_fields:
            raise BudgetExceeded(f"more than {self.max_fields} words after expansion")

    def check_nesting(self, depth: int) -> None:
        if depth > self.max_nesting:
            raise BudgetExceeded(f"shell strings nested more than {self.max_nesting} levels")
