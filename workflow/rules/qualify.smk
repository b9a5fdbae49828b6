# qualify: score every session and assign tiers A/B/C, one job per extract shard; then
# merge_qualified joins the shards and stops the run when no session feeds curation.


rule qualify:
    input:
        extracted="results/extracted/shard-{shard}.parquet",
        inventory=inventory_file,
        code=code_inputs("qualify.py"),
    output:
        scores="results/qualified/shard-{shard}.parquet",
    log:
        "results/logs/qualify/shard-{shard}.log",
    benchmark:
        "results/benchmarks/qualify/shard-{shard}.tsv"
    conda:
        "../../envs/qualify.yaml"
    resources:
        **cluster_resources("qualify"),
    params:
        qualify=config["qualify"],
        domain=config["domain"],
    script:
        "../scripts/qualify.py"


rule merge_qualified:
    input:
        shards=qualified_shards,
        quarantine=quarantine_files,
        code=code_inputs("merge_qualified.py"),
    output:
        sessions="results/qualified/sessions.parquet",
    log:
        "results/logs/merge_qualified.log",
    benchmark:
        "results/benchmarks/merge_qualified.tsv"
    conda:
        "../../envs/qualify.yaml"
    resources:
        **cluster_resources("merge_qualified"),
    params:
        qualify=config["qualify"],
        feeds=curation_feeds(),
    script:
        "../scripts/merge_qualified.py"


rule plot_qualify:
    input:
        sessions="results/qualified/sessions.parquet",
        code=code_inputs("plot_qualify.py"),
    output:
        tiers=report(
            "results/plots/tiers.png",
            caption="../report/qualify_tiers.rst",
            category="Data",
            subcategory="Qualify",
        ),
        scores=report(
            "results/plots/scores.png",
            caption="../report/qualify_scores.rst",
            category="Data",
            subcategory="Qualify",
        ),
    log:
        "results/logs/plot_qualify.log",
    conda:
        "../../envs/plot_qualify.yaml"
    params:
        tiers=config["qualify"]["tiers"],
    script:
        "../scripts/plot_qualify.py"
