# curate: one job per strategy turns the qualified sessions into chat examples.


rule curate:
    input:
        extracted=extracted_parquets,
        qualified="results/qualified/sessions.parquet",
    output:
        examples="results/curated/{strategy}.parquet",
    params:
        cfg=config["curate"],
    log:
        "results/logs/curate/{strategy}.log",
    benchmark:
        "results/benchmarks/curate/{strategy}.tsv"
    conda:
        "../../envs/curate.yaml"
    script:
        "../scripts/curate.py"
