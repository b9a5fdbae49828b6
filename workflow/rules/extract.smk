# extract: one job per session file, so a new or changed session re-extracts only itself.


rule extract:
    input:
        session=session_file,
        subagents=subagent_files,
        code=code_inputs("extract.py"),
    output:
        parquet="results/extracted/{project}/{session}.parquet",
        quarantine="results/quarantine/{project}/{session}.jsonl",
    log:
        "results/logs/extract/{project}/{session}.log",
    benchmark:
        "results/benchmarks/extract/{project}/{session}.tsv"
    group:
        "extract"
    conda:
        "../../envs/extract.yaml"
    resources:
        **cluster_resources("extract"),
    params:
        sessions_dir=config["sessions_dir"],
        cfg=config["extract"],
    script:
        "../scripts/extract.py"
