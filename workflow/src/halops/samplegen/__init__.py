"""Deterministic generator of realistic infrastructure-operations Claude Code sessions.

The sessions are written in the real on-disk transcript format (see workflow/docs/transcript-
format.md: one content block per assistant record, tool_result pairing, thinking signatures,
compaction, Skill bodies, Task subagents in both the flat 2.0.x and the nested 2.1.x layouts,
progress/system/summary records) about the lab described in `lab.LAB`. They are the pipeline's
embedded default input and the fixtures of its tests. Planted fake credentials
(`PLANTED_SECRETS`) let the tests prove that the scrubber keeps them out of the final splits.

The committed default corpus `workflow/resources/sessions/` is exactly the output of:

    rm -rf workflow/resources/sessions
    PYTHONPATH=workflow/src python -m halops.samplegen --out workflow/resources/sessions \\
        --sessions 40 --seed 0

(equivalently `halops generate-sessions --out workflow/resources/sessions --sessions 40 --seed 0`);
a test regenerates it and compares byte for byte.
"""

from .corpus import CorpusStats, cli_main, generate_corpus
from .lab import LAB
from .planted import PLANTED_SECRET_KINDS, PLANTED_SECRETS
from .scenarios import SCENARIOS

DEFAULT_SESSIONS = 40
DEFAULT_SEED = 0

__all__ = [
    "DEFAULT_SEED",
    "DEFAULT_SESSIONS",
    "LAB",
    "PLANTED_SECRETS",
    "PLANTED_SECRET_KINDS",
    "SCENARIOS",
    "CorpusStats",
    "cli_main",
    "generate_corpus",
]
