# validate: the shards' prepared examples (scrubbed, filtered by inventory reach, fitted to the
# training window and token-counted in curate) -> duplicates removed, split by session (held-out
# sessions of the generated corpus pinned to test), written, re-scanned (fail closed; strings a
# shard already scanned clean byte for byte are not scanned twice: halops.scan_cache).


rule validate_split:
    input:
        curated=curated_shards,
        scanned=scanned_shards,
        quarantine=quarantine_files,
        qualified="results/qualified/sessions.parquet",
        holdout=holdout_list,
        manifest=samplegen_manifest,
        code=code_inputs("validate_split.py"),
    output:
        train_jsonl="results/final/train.jsonl",
        val_jsonl="results/final/val.jsonl",
        test_jsonl="results/final/test.jsonl",
        train="results/final/train.parquet",
        val="results/final/val.parquet",
        test="results/final/test.parquet",
        card="results/final/data_card.json",
        card_md=report(
            "results/final/data_card.md",
            caption="../report/data_card.rst",
            category="Data",
            subcategory="Splits",
        ),
    log:
        "results/logs/validate_split.log",
    benchmark:
        "results/benchmarks/validate_split.tsv"
    conda:
        "../../envs/validate_split.yaml"
    resources:
        **cluster_resources("validate_split"),
    params:
        cfg=config["validate"],
    script:
        "../scripts/validate_split.py"


rule plot_examples:
    input:
        card="results/final/data_card.json",
        code=code_inputs("plot_examples.py"),
    output:
        examples=report(
            "results/plots/examples.png",
            caption="../report/examples.rst",
            category="Data",
            subcategory="Splits",
        ),
    log:
        "results/logs/plot_examples.log",
    conda:
        "../../envs/plot_examples.yaml"
    script:
        "../scripts/plot_examples.py"
