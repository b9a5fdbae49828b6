"""Snakemake adapter: score every extracted session -> results/qualified/sessions.parquet."""

import _halops_path  # noqa: F401

import logging
from pathlib import Path

from halops.qualify import DomainConfig, QualifyConfig, qualify_sessions

logging.basicConfig(
    filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
)
log = logging.getLogger("qualify")

cfg = QualifyConfig.from_dict(snakemake.params.qualify)
domain = DomainConfig.from_dict(snakemake.params.domain)
scores = qualify_sessions([Path(p) for p in snakemake.input.extracted], cfg, domain)
Path(snakemake.output.sessions).parent.mkdir(parents=True, exist_ok=True)
scores.to_parquet(snakemake.output.sessions, index=False)

log.info("%d sessions scored; tiers %s", len(scores), scores["tier"].value_counts().to_dict())
for row in scores.itertuples():
    log.info("%s/%s score %.3f %s", row.project, row.session_id, row.score, row.reason)
