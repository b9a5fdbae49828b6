"""Send everything a model rule prints into its Snakemake log file.

transformers, trl and llama.cpp write progress and warnings to stdout/stderr, llama.cpp from C
code, which Python-level redirection does not catch; duplicating the file descriptors does.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path


def log_to_file(path: str | Path) -> None:
    """Route `logging`, Python's and C's stdout/stderr of this process to `path` (appending)."""
    # Progress bars redraw with carriage returns and turn a log into one unreadable line; they
    # are read from the environment when transformers / datasets are first imported.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a", buffering=1)  # noqa: SIM115 - lives as long as the process
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(handle.fileno(), 1)
    os.dup2(handle.fileno(), 2)
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
