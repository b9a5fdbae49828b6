# validate: scrub credentials, drop examples with calls outside the inventory, fit examples into
# the training window (the base model's tokenizer, the profile's max_length), remove duplicates,
# split by session (held-out sessions of the generated corpus pinned to test), re-scan (fail
# closed).


rule validate_split:
    input:
        curated=curated_parquets,
        quarantine=quarantine_files,
        qualified="results/qualified/sessions.parquet",
        base="results/model/base",
        holdout=holdout_list,
        manifest=samplegen_manifest,
        inventory=inventory_file,
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
        max_tokens=model_profile()["train"]["max_length"],
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
