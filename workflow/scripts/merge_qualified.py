"""Snakemake adapter: the qualified shards -> results/qualified/sessions.parquet, or a stop.

The rule fails, with the per-tier counts and the commonest reasons, when no session reaches a
tier that feeds curation: better now than as "no trainable examples" deep in the train log.
"""

import _halops_path  # noqa: F401

import logging
import sys
from itertools import chain
from pathlib import Path

from halops.extract.quarantine import quarantine_reasons
from halops.qualify import (
    QualifyConfig,
    commonest_blockers,
    merge_scores,
    nothing_to_curate,
    tier_definitions,
    write_scores,
)

logging.basicConfig(
    filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
)
log = logging.getLogger("merge_qualified")

cfg = QualifyConfig.from_dict(snakemake.params.qualify)
feeds = snakemake.params.feeds  # strategy -> tiers it takes (config curate.tiers)
scores = merge_scores(Path(p) for p in snakemake.input.shards)
log.info("%d sessions scored; tiers %s", len(scores), scores["tier"].value_counts().to_dict())

feeding = set(chain.from_iterable(feeds.values()))
for line in commonest_blockers(scores, cfg, feeding):
    log.info("kept from curation: %s", line)
problem = nothing_to_curate(
    scores, cfg, feeding, quarantine_reasons(Path(p) for p in snakemake.input.quarantine)
)
if problem:
    log.error("%s", problem)
    sys.exit(problem)
write_scores(scores, Path(snakemake.output.sessions), tier_definitions(cfg, feeds))
