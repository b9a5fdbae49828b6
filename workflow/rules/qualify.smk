# qualify: score every session and assign tiers A/B/C (an aggregate over all sessions).


rule qualify:
    input:
        extracted=extracted_parquets,
    output:
        sessions="results/qualified/sessions.parquet",
    params:
        qualify=config["qualify"],
        domain=config["domain"],
    log:
        "results/logs/qualify.log",
    conda:
        "../../envs/qualify.yaml"
    script:
        "../scripts/qualify.py"


rule plot_qualify:
    input:
        sessions="results/qualified/sessions.parquet",
    output:
        tiers=report("results/plots/tiers.png", category="Data", subcategory="Qualify"),
        scores=report("results/plots/scores.png", category="Data", subcategory="Qualify"),
    params:
        tiers=config["qualify"]["tiers"],
    log:
        "results/logs/plot_qualify.log",
    conda:
        "../../envs/plot_qualify.yaml"
    script:
        "../scripts/plot_qualify.py"
