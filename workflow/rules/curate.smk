# curate: one job per shard of sessions turns its qualified sessions into chat examples of every
# strategy and prepares them (scrub, inventory reach, window fit, token counts; halops.prepared):
# a new session re-curates and re-scrubs only its shard. One job per shard, not per strategy x
# shard: the interpreter, pandas and the tokenizer are loaded once, the scrubber's line cache
# serves the strategies' overlapping examples, and the shard's table is read once.


rule curate:
    input:
        extracted="results/extracted/shard-{shard}.parquet",
        qualified="results/qualified/shard-{shard}.parquet",
        # merge_qualified stops the run when no session feeds curation; ancient(): its table
        # changes with every session, but a shard's examples depend only on the shard.
        gate=ancient("results/qualified/sessions.parquet"),
        base="results/model/base",
        inventory=inventory_file,
        code=code_inputs("curate.py"),
    output:
        examples="results/curated/shard-{shard}.parquet",
        scanned="results/curated/shard-{shard}.scanned.parquet",
    log:
        "results/logs/curate/shard-{shard}.log",
    benchmark:
        "results/benchmarks/curate/shard-{shard}.tsv"
    conda:
        "../../envs/curate.yaml"
    resources:
        **cluster_resources("curate"),
    params:
        cfg=config["curate"],
        max_tokens=model_profile()["train"]["max_length"],
    script:
        "../scripts/curate.py"
