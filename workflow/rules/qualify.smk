# qualify: score every session and assign tiers A/B/C (an aggregate over all sessions).


rule qualify:
    input:
        extracted=extracted_parquets,
        code=code_inputs("qualify.py"),
    output:
        sessions="results/qualified/sessions.parquet",
    log:
        "results/logs/qualify.log",
    conda:
        "../../envs/qualify.yaml"
    resources:
        **cluster_resources("qualify"),
    params:
        qualify=config["qualify"],
        domain=config["domain"],
    script:
        "../scripts/qualify.py"


rule plot_qualify:
    input:
        sessions="results/qualified/sessions.parquet",
        code=code_inputs("plot_qualify.py"),
    output:
        tiers=report(
            "results/plots/tiers.png",
            caption="../report/tiers.rst",
            category="Data",
            subcategory="Qualify",
        ),
        scores=report(
            "results/plots/scores.png",
            caption="../report/scores.rst",
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
