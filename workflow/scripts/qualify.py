"""Snakemake adapter: score the sessions of one extracted shard -> results/qualified/shard-NN."""

import _halops_path  # noqa: F401

import logging
from pathlib import Path

from halops.domain import domain_config
from halops.qualify import QualifyConfig, qualify_sessions

logging.basicConfig(
    filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
)
log = logging.getLogger("qualify")

cfg = QualifyConfig.from_dict(snakemake.params.qualify)
# input.inventory: the inventory file, or nothing when config domain.inventory is null
inventory = snakemake.input.inventory
inventory = [inventory] if isinstance(inventory, str) else list(inventory)
domain = domain_config(snakemake.params.domain, Path(inventory[0]) if inventory else None)
log.info(
    "domain: %d hosts, %d addresses, %d keywords",
    len(domain.hosts),
    len(domain.aliases),
    len(domain.keywords),
)
scores = qualify_sessions([Path(snakemake.input.extracted)], cfg, domain)
Path(snakemake.output.scores).parent.mkdir(parents=True, exist_ok=True)
scores.to_parquet(snakemake.output.scores, index=False)

log.info("%d sessions scored; tiers %s", len(scores), scores["tier"].value_counts().to_dict())
for row in scores.itertuples():
    log.info("%s/%s score %.3f %s", row.project, row.session_id, row.score, row.reason)
