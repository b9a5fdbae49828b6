# Helpers of the optional augmentation stage (rules in augment.smk), included right after
# common.smk: train, merge, gguf and eval take their inputs from these, so that the one switch
# config augment.enabled re-routes them.


def augment_enabled():
    return bool(config["augment"]["enabled"])


def dpo_enabled():
    """DPO runs when augmentation is on and the selected model profile has a DPO profile."""
    profiles = config["augment"]["dpo"]["profiles"]
    return augment_enabled() and config["model"]["profile"] in profiles


def synthetic_enabled():
    """Synthetic examples only with augmentation on and an endpoint configured."""
    return augment_enabled() and bool(config["augment"]["synthetic"]["base_url"])


def dpo_profile():
    """The DPO hyper-parameters of the selected model profile ({} when it has none)."""
    return config["augment"]["dpo"]["profiles"].get(config["model"]["profile"], {})


def sft_train_jsonl():
    """The SFT training set: the final split, plus synthetic examples when they are on."""
    if synthetic_enabled():
        return "results/augmented/train.jsonl"
    return "results/final/train.jsonl"


def final_adapter():
    """The adapter that merge folds into the base: DPO's when DPO runs, else SFT's."""
    if dpo_enabled():
        return "results/augmented/dpo/adapter"
    return "results/model/adapter"


def sft_only_gguf():
    return f"results/augmented/sft/model.{model_quant_types()[0]}.gguf"


def eval_section():
    """The eval config; with DPO on, the SFT-only model joins the comparison as `sft` (the
    pipeline's own model, `finetuned` in the default config, is then SFT + DPO)."""
    section = dict(config["eval"])
    if dpo_enabled():
        section["models"] = [
            *section["models"],
            {"name": "sft", "gguf": sft_only_gguf()},
        ]
        # As the agent runs it (grammar on, no retrieval), beside `finetuned` run the same way.
        section["configurations"] = [
            *section["configurations"],
            {"model": "sft", "retrieval": False, "grammar": True, "heldout": True},
        ]
    return section


def synthetic_card(wildcards=None):
    return ["results/augmented/synthetic_card.json"] if synthetic_enabled() else []


def augment_targets():
    if not augment_enabled():
        return []
    targets = ["results/augmented/pairs.parquet", "results/augmented/data_card.md"]
    if dpo_enabled():
        targets.append("results/augmented/dpo/reward_margin.png")
    return targets
