# base_model: make the configured base loadable by the train rule (the embedded GGUF becomes a
# Hugging Face checkpoint once; a local directory or hub id is only recorded).


rule base_model:
    input:
        base_model_inputs,
        code=code_inputs("convert_base.py"),
    output:
        base=directory("results/model/base"),
    log:
        "results/logs/base_model.log",
    benchmark:
        "results/benchmarks/base_model.tsv"
    conda:
        "../../envs/base_model.yaml"
    resources:
        **cluster_resources("base_model"),
    params:
        base_model=config["model"]["base_model"],
    script:
        "../scripts/convert_base.py"
