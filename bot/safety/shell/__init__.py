"""Detection, part 1: a command string as the list of simple commands bash would run.

- `syntax`: the one parser (mvdan/sh through `shfmt --to-json`), bounded in time and size;
- `words`: expansions and quoting of one word, with the variables known at that point;
- `walker`: the statements → simple commands, with contexts, pipelines, cwd, loops unrolled;
- `wrappers`: `sudo`, `env`, `timeout`, … peeled off the command they run;
- `inline`: the scripts one command hands to a shell (`bash -c`, `ssh host …`, `find -exec`).
"""

from bot.safety.shell.command import Field, Redirect, SimpleCommand
from bot.safety.shell.inline import SHELLS
from bot.safety.shell.syntax import ParseError, ParseTimeout
from bot.safety.shell.walker import parse_command
from bot.safety.shell.wrappers import WRAPPERS

__all__ = [
    "SHELLS",
    "WRAPPERS",
    "Field",
    "ParseError",
    "ParseTimeout",
    "Redirect",
    "SimpleCommand",
    "parse_command",
]
