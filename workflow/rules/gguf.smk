# gguf: llama.cpp's convert_hf_to_gguf.py (from the installed llama-cpp-python's sdist), then
# quantization to each configured type, plus the model card and an Ollama Modelfile.


rule gguf:
    input:
        merged="results/model/merged",
        adapter=final_adapter(),
        train=sft_train_jsonl(),
        val="results/final/val.jsonl",
        data_card="results/final/data_card.json",
        code=code_inputs("export_gguf.py"),
    output:
        ggufs=expand("results/model/model.{quant}.gguf", quant=model_quant_types()),
        card="results/model/MODEL_CARD.md",
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
