# merge: fold the adapter into the base weights (on the CPU) for conversion.


rule merge:
    input:
        base="results/model/base",
        adapter=final_adapter(),
        code=code_inputs("merge.py"),
    output:
        merged=directory("results/model/merged"),
    log:
        "results/logs/merge.log",
    benchmark:
        "results/benchmarks/merge.tsv"
    conda:
        "../../envs/merge.yaml"
    threads: cluster_threads("merge")
    resources:
        **cluster_resources("merge"),
    params:
        dtype=model_profile()["merge_dtype"],
    script:
        "../scripts/merge.py"
