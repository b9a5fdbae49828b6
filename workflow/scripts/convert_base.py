"""Snakemake adapter: config base_model -> results/model/base/ (checkpoint or pointer)."""

import _halops_path  # noqa: F401

from pathlib import Path

from halops.model.convert_base import prepare_base
from halops.model.rulelog import log_to_file

log_to_file(snakemake.log[0])
prepare_base(snakemake.params.base_model, Path(snakemake.output.base))
