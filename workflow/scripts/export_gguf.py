"""Snakemake adapter: merged checkpoint -> quantized GGUFs and the Ollama Modelfile.

(Not named gguf.py: the scripts folder is on sys.path and would shadow the `gguf` package.)
"""

import _halops_path  # noqa: F401

from pathlib import Path

from halops.model.converter import cache_dir_from_config
from halops.model.gguf import export_gguf
from halops.model.rulelog import log_to_file

log_to_file(snakemake.log[0])
export_gguf(
    Path(snakemake.input.merged),
    Path(snakemake.output.modelfile).parent,
    list(snakemake.params.quant_types),
    cache_dir_from_config(snakemake.params.converter_cache),
    outtype=snakemake.params.outtype,
)
