# train: LoRA / QLoRA fine-tuning on the validated splits. Checkpoints live outside the outputs
# (results/model/checkpoints) so that an interrupted run resumes instead of being wiped.


rule train:
    input:
        base="results/model/base",
        train=sft_train_jsonl(),
        val="results/final/val.jsonl",
        code=code_inputs("train.py"),
    output:
        adapter=directory("results/model/adapter"),
        loss_csv="results/model/training/loss.csv",
        loss_png=report(
            "results/model/training/loss_curve.png",
            caption="../report/training_loss.rst",
            category="Training",
        ),
    log:
        "results/logs/train.log",
    benchmark:
        "results/benchmarks/train.tsv"
    conda:
        "../../envs/train.yaml"
    threads: cluster_threads("train")
    resources:
        **cluster_resources("train"),
    params:
        train=model_profile()["train"],
        checkpoint_dir="results/model/checkpoints",
        tensorboard_dir="results/model/training/tensorboard",
    script:
        "../scripts/train.py"
