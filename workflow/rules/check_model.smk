# check_model: llama.cpp must load the GGUF with its chat template and EOS, answer a validation
# question and stop by itself; the job fails otherwise.


rule check_model:
    input:
        gguf=f"results/model/model.{model_quant_types()[0]}.gguf",
        val="results/final/val.jsonl",
        code=code_inputs("check_model.py"),
    output:
        check="results/model/check.json",
    log:
        "results/logs/check_model.log",
    benchmark:
        "results/benchmarks/check_model.tsv"
    conda:
        "../../envs/check_model.yaml"
    threads: cluster_threads("check_model")
    resources:
        **cluster_resources("check_model"),
    params:
        check=config["model"]["check"],
    script:
        "../scripts/check_model.py"
