"""Snakemake adapter: the samplegen config section -> the sample lab's sessions, manifest and
held-out list."""

import _halops_path  # noqa: F401

import json
import logging
from pathlib import Path

from halops.samplegen import generate_corpus

logging.basicConfig(
    filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
)
cfg = snakemake.params.cfg
stats = generate_corpus(
    Path(snakemake.output.sessions),
    n_sessions=int(cfg["scripted_sessions"]),
    seed=int(cfg["seed"]),
    manifest_path=Path(snakemake.output.manifest),
    shifts=int(cfg["shift_sessions"]),
    holdout_path=Path(snakemake.output.holdout),
)
logging.getLogger("samplegen").info("corpus: %s", json.dumps(stats.to_dict()))
