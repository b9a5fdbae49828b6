"""Snakemake adapter: the exported GGUF must answer a validation question and stop."""

import _halops_path  # noqa: F401

from pathlib import Path

from halops.model.check import CheckConfig, check_gguf, write_check
from halops.model.rulelog import log_to_file

log_to_file(snakemake.log[0])
cfg = CheckConfig(**snakemake.params.check, n_threads=snakemake.threads)
record = check_gguf(Path(snakemake.input.gguf), Path(snakemake.input.val), cfg)
write_check(record, Path(snakemake.output.check))
