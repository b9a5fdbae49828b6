# augment (optional, off unless config augment.enabled): preference pairs mined from the
# transcripts and checked by the command policy (pairs), DPO on the SFT adapter between train and
# merge (dpo), synthetic training examples from an OpenAI-compatible endpoint (augment), the data
# card with its augmentation section (augment_card), and the SFT-only model (merge_sft,
# gguf_sft: the merge and gguf rules reused) that the eval compares SFT + DPO against.
# Included after merge.smk and gguf.smk, which the last two rules derive from; the helpers the
# rules use are in augment_common.smk.


localrules:
    augment_card,


rule pairs:
    input:
        extracted=extracted_parquets,
        qualified="results/qualified/sessions.parquet",
        # The SFT splits: each pair takes its session's split; requests for safety pairs.
        final=expand("results/final/{split}.parquet", split=["train", "val", "test"]),
        policy="config/policy.yaml",
        inventory="config/inventory.yaml",
        code=code_inputs("pairs.py"),
    output:
        pairs="results/augmented/pairs.parquet",
        jsonl="results/augmented/pairs.jsonl",
        card="results/augmented/pairs_card.json",
    log:
        "results/logs/pairs.log",
    benchmark:
        "results/benchmarks/pairs.tsv"
    conda:
        "../../envs/pairs.yaml"
    resources:
        # Reads every extracted session, like curate.
        **cluster_resources("curate"),
    params:
        pairs=config["augment"]["pairs"],
        curate=config["curate"],
        qualify=config["qualify"],
        validate=config["validate"],
    script:
        "../scripts/pairs.py"


rule augment:
    input:
        train="results/final/train.parquet",
        train_jsonl="results/final/train.jsonl",
        runbooks=rag_documents,
        policy="config/policy.yaml",
        inventory="config/inventory.yaml",
        code=code_inputs("augment.py"),
    output:
        synthetic="results/augmented/synthetic.parquet",
        card="results/augmented/synthetic_card.json",
        train="results/augmented/train.jsonl",
    log:
        "results/logs/augment.log",
    benchmark:
        "results/benchmarks/augment.tsv"
    conda:
        "../../envs/augment.yaml"
    params:
        synthetic=config["augment"]["synthetic"],
        curate=config["curate"],
        validate=config["validate"],
    script:
        "../scripts/augment.py"


rule dpo:
    input:
        base="results/model/base",
        sft_adapter="results/model/adapter",
        pairs="results/augmented/pairs.parquet",
        code=code_inputs("dpo.py"),
    output:
        adapter=directory("results/augmented/dpo/adapter"),
        metrics="results/augmented/dpo/metrics.csv",
        loss_png=report(
            "results/augmented/dpo/loss_curve.png",
            caption="../report/dpo_loss.rst",
            category="Training",
            subcategory="DPO",
        ),
        margin_png=report(
            "results/augmented/dpo/reward_margin.png",
            caption="../report/dpo_margin.rst",
            category="Training",
            subcategory="DPO",
        ),
    log:
        "results/logs/dpo.log",
    benchmark:
        "results/benchmarks/dpo.tsv"
    conda:
        "../../envs/dpo.yaml"
    # A training job: sized like train (GPU partition included on a cluster).
    threads: cluster_threads("train")
    resources:
        **cluster_resources("train"),
    params:
        dpo=dpo_profile(),
        checkpoint_dir="results/augmented/dpo/checkpoints",
    script:
        "../scripts/dpo.py"


rule augment_card:
    input:
        card="results/final/data_card.json",
        pairs="results/augmented/pairs_card.json",
        synthetic=synthetic_card,
        code=code_inputs("augment_card.py"),
    output:
        json="results/augmented/data_card.json",
        md=report(
            "results/augmented/data_card.md",
            caption="../report/augment_card.rst",
            category="Data",
            subcategory="Augmentation",
        ),
    log:
        "results/logs/augment_card.log",
    conda:
        "../../envs/pairs.yaml"
    script:
        "../scripts/augment_card.py"


# The SFT-only model, merged and exported exactly as the pipeline's own; only requested when
# DPO runs (eval_section in augment_common.smk).


use rule merge as merge_sft with:
    input:
        base="results/model/base",
        adapter="results/model/adapter",
        code=code_inputs("merge.py"),
    output:
        merged=directory("results/augmented/sft/merged"),
    log:
        "results/logs/merge_sft.log",
    benchmark:
        "results/benchmarks/merge_sft.tsv"


use rule gguf as gguf_sft with:
    input:
        merged="results/augmented/sft/merged",
        code=code_inputs("export_gguf.py"),
    output:
        ggufs=expand(
            "results/augmented/sft/model.{quant}.gguf", quant=model_quant_types()
        ),
        modelfile="results/augmented/sft/Modelfile",
    log:
        "results/logs/gguf_sft.log",
    benchmark:
        "results/benchmarks/gguf_sft.tsv"
