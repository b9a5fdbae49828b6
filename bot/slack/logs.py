"""The bot's log is one line per record, bounded, with control characters escaped.

Requests come from outside: a value that reaches a log message (a header, a channel id, an
exception's text) must not start a new line, which would let a sender plant a forged record
(`approval 7 approved by ...`), nor flood the log. Bodies are never logged at all: the HTTP
gate logs a summary, and Bolt's "Unhandled request (<body>)" warning is cut to its first words.
"""

from __future__ import annotations

import logging

MAX_MESSAGE_CHARS = 1000
FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
# Escapes for every C0 control character and DEL. Backslashes are left alone, so escaping twice
# (a value escaped where it is logged, then the whole line) changes nothing the second time.
_ESCAPES = {i: f"\\x{i:02x}" for i in [*range(0x20), 0x7F]} | {
    ord("\n"): "\\n",
    ord("\r"): "\\r",
    ord("\t"): "\\t",
}


def one_line(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """`text` escaped to a single line of at most `limit` characters (plus a cut marker)."""
    cut = len(text) > limit
    escaped = text[:limit].translate(_ESCAPES)
    return f"{escaped}…[{len(text) - limit} more chars]" if cut else escaped


class OneLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = one_line(record.getMessage())
        line = f"{self.formatTime(record)} {record.levelname} {record.name} {message}"
        if record.exc_info:
            # A traceback is ours and multi-line; its lines are indented and marked, so none of
            # them can read as a record of its own. The exception's text is escaped with it.
            trace = self.formatException(record.exc_info)
            line += "".join(f"\n    | {one_line(part)}" for part in trace.splitlines())
        return line


class NoBodies(logging.Filter):
    """Bolt logs an unhandled request with its whole (filtered) body; keep only the summary."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message.startswith("Unhandled request ("):
            record.msg, record.args = "Unhandled request (no listener; body not logged)", ()
        return True


def configure_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(OneLineFormatter())
    handler.addFilter(NoBodies())  # on the handler: it sees every logger's records
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def bolt_logger() -> logging.Logger:
    """The logger Bolt is given (`App(logger=...)`), so its records can be filtered."""
    return logging.getLogger("bot.slack.bolt")
