# gguf: llama.cpp's convert_hf_to_gguf.py (from the installed llama-cpp-python's sdist), then
# quantization to each configured type, plus an Ollama Modelfile with the trained system prompt.
# model_card: written after the eval rule, so the card carries the measured scores.


rule gguf:
    input:
        merged="results/model/merged",
        code=code_inputs("export_gguf.py"),
    output:
        ggufs=expand("results/model/model.{quant}.gguf", quant=model_quant_types()),
        modelfile="results/model/Modelfile",
    log:
        "results/logs/gguf.log",
    benchmark:
        "results/benchmarks/gguf.tsv"
    conda:
        "../../envs/gguf.yaml"
    resources:
        **cluster_resources("gguf"),
    params:
        quant_types=model_quant_types(),
        outtype=config["model"]["gguf_outtype"],
        converter_cache=config["model"]["converter_cache"],
    script:
        "../scripts/export_gguf.py"


rule model_card:
    input:
        merged="results/model/merged",
        adapter=final_adapter(),
        ggufs=expand("results/model/model.{quant}.gguf", quant=model_quant_types()),
        train=sft_train_jsonl(),
        val="results/final/val.jsonl",
        data_card="results/final/data_card.json",
        scores="results/eval/scores.parquet",
        code=code_inputs("model_card.py"),
    output:
        card=report(
            "results/model/MODEL_CARD.md",
            caption="../report/model_card.rst",
            category="Model",
        ),
    log:
        "results/logs/model_card.log",
    conda:
        "../../envs/model_card.yaml"
    script:
        "../scripts/model_card.py"
