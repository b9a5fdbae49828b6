"""The quarantine file: one JSON object per unusable line, with where, why and the raw text.

Written by extract (one file per shard), read by merge_qualified (to explain a corpus where
nothing could be read) and by the data card. Stdlib only.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from halops.extract.reader import QuarantineEntry

log = logging.getLogger(__name__)

# A garbage file can have a million bad lines; the log names the first few, the file has all.
LOG_QUARANTINE_LINES = 20


def write_quarantine(entries: Sequence[QuarantineEntry], out: Path) -> None:
    """One JSON object per bad line; the file exists (empty) even when nothing was bad.

    ASCII-escaped: raw garbage may hold U+0085 or U+2028, which str.splitlines() and some
    JSONL readers treat as line breaks; escaped, every entry is exactly one physical line.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="ascii") as f:
        for entry in entries:
            f.write(json.dumps(entry.as_dict()))
            f.write("\n")
    for entry in entries[:LOG_QUARANTINE_LINES]:
        log.warning("%s: %s", entry.location, entry.reason)
    if len(entries) > LOG_QUARANTINE_LINES:
        log.warning("... and %d more quarantined lines", len(entries) - LOG_QUARANTINE_LINES)


def quarantine_reasons(paths: Iterable[Path]) -> Counter[str]:
    """Quarantined lines per reason (the part before any ': ' detail), over quarantine files."""
    reasons: Counter[str] = Counter()
    for path in paths:
        with open(path, encoding="ascii", errors="replace") as lines:
            for line in lines:
                if line.strip():
                    reason = str(json.loads(line).get("reason") or "unknown")
                    reasons[reason.split(": ", 1)[0]] += 1
    return reasons
