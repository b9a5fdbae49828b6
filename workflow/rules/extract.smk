# extract: one job per shard of sessions (halops.extract.shards): a new or changed session
# re-extracts only its shard, and a full run starts one interpreter per shard, not per session.


rule extract:
    input:
        sessions=shard_files,
        code=code_inputs("extract.py"),
    output:
        parquet="results/extracted/shard-{shard}.parquet",
        quarantine="results/quarantine/shard-{shard}.jsonl",
    log:
        "results/logs/extract/shard-{shard}.log",
    benchmark:
        "results/benchmarks/extract/shard-{shard}.tsv"
    conda:
        "../../envs/extract.yaml"
    resources:
        **cluster_resources("extract"),
    params:
        sessions=shard_sessions,
        sessions_dir=str(SESSIONS_DIR),
        cfg=config["extract"],
    script:
        "../scripts/extract.py"
