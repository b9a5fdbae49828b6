# samplegen: write the sample lab's session corpus (scripted stories + parametrised shifts) when
# sessions_dir is the generated folder. A checkpoint: the extract jobs are known only once the
# session files exist, so Snakemake re-evaluates the DAG after it.


checkpoint samplegen:
    input:
        code=code_inputs("samplegen.py"),
    output:
        sessions=directory(config["samplegen"]["sessions_dir"]),
        manifest="results/samplegen/manifest.jsonl",
        holdout="results/samplegen/holdout.json",
    log:
        "results/logs/samplegen.log",
    benchmark:
        "results/benchmarks/samplegen.tsv"
    conda:
        "../../envs/samplegen.yaml"
    resources:
        **cluster_resources("samplegen"),
    params:
        cfg=config["samplegen"],
    script:
        "../scripts/samplegen.py"
