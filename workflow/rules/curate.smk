# curate: one job per strategy turns the qualified sessions into chat examples.


rule curate:
    input:
        extracted=extracted_parquets,
        qualified="results/qualified/sessions.parquet",
        code=code_inputs("curate.py"),
    output:
        examples="results/curated/{strategy}.parquet",
    log:
        "results/logs/curate/{strategy}.log",
    benchmark:
        "results/benchmarks/curate/{strategy}.tsv"
    conda:
        "../../envs/curate.yaml"
    resources:
        **cluster_resources("curate"),
    params:
        cfg=config["curate"],
    script:
        "../scripts/curate.py"
