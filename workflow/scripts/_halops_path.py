"""Make `halops` (workflow/src) and `bot` (the repository root) importable from a rule script,
even inside a per-rule conda env.

Snakemake puts a script's own folder on sys.path but drops PYTHONPATH in conda envs, so the
scripts import this module first instead of requiring the package to be installed there.
"""

import sys
from pathlib import Path

WORKFLOW = Path(__file__).resolve().parent.parent
for folder in (WORKFLOW / "src", WORKFLOW.parent):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
