"""Snakemake adapter: one shard's sessions -> its prepared examples and scan digests.

Curates every strategy, then scrubs, drops calls outside the inventory, fits the training window
and counts tokens (`halops.prepared`), writes results/curated/shard-NN.parquet, reads it back and
scans every string of it (fail closed: a secret there deletes the outputs), and records the
digests of the strings found clean for validate's final re-scan (`halops.scan_cache`).
"""

import _halops_path  # noqa: F401

import logging
from pathlib import Path

import pandas as pd

from halops.curate.config import CurateConfig
from halops.curate.pipeline import curate_shard
from halops.prepared import Window, prepare_examples, write_prepared
from halops.reach import load_reach
from halops.scan_cache import SecretLeakError, rescan, scanner_fingerprint, write_digests

logging.basicConfig(
    filename=snakemake.log[0],
    filemode="w",
    level=logging.INFO,
    format="%(asctime)s %(levelname)s %(message)s",
)
log = logging.getLogger("curate")

cfg = CurateConfig.from_dict(snakemake.params.cfg)
qualified = pd.read_parquet(snakemake.input.qualified)
curated = curate_shard(Path(snakemake.input.extracted), qualified, cfg)
inventory = snakemake.input.inventory
inventory = [inventory] if isinstance(inventory, str) else list(inventory)
prepared, stats = prepare_examples(
    curated,
    window=Window.of_base(Path(snakemake.input.base), int(snakemake.params.max_tokens)),
    reach=load_reach(Path(inventory[0])) if inventory else None,
)
out = Path(snakemake.output.examples)
write_prepared(prepared, out, stats)
try:
    clean = rescan([out])
except SecretLeakError as leak:
    out.unlink(missing_ok=True)
    raise SecretLeakError(f"{leak}; the outputs were deleted") from None
write_digests(Path(snakemake.output.scanned), clean, scanner_fingerprint())

log.info(
    "%d examples curated %s, %d after scrub, reach and fit; %d secrets redacted; "
    "%d strings scanned clean",
    len(curated),
    curated["strategy"].value_counts().to_dict(),
    len(prepared),
    sum(stats["secrets_per_rule"].values()),
    len(clean),
)
