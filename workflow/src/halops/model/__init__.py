"""The model half of the pipeline: base checkpoint -> LoRA/QLoRA adapter -> merged -> GGUF -> check.

One module per stage, each with a plain function the Snakemake script calls and the tests import.
"""
