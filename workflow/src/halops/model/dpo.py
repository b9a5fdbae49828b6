"""DPO on the SFT adapter with trl's DPOTrainer: the optional stage between train and merge.

The SFT adapter is loaded trainable on top of the base (loaded exactly as SFT loads it, so
QLoRA and plain LoRA, CPU and GPU take the same path: `halops.model.train.load_base_model`).
trl then keeps a frozen copy of that adapter as the reference ("ref"), so the reference is the
SFT model itself without a second model in memory, and DPO moves the same LoRA weights further.
The result is an adapter of the same shape, which the merge rule merges as it would the SFT one.

Pairs come from the `pairs` rule: its train split trains, its val split is evaluated; test
pairs are never read. Tool calls are rendered to text with the shared contract
(`halops.contract.toolcall`), exactly as the SFT examples are.

Checkpoints and resuming work as in SFT (`halops.model.train`): a fingerprint of config, pairs,
SFT adapter and base guards the checkpoint folder, which lives outside the rule's outputs.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from halops.contract.toolcall import render_messages_for_training
from halops.model.convert_base import base_load_path, sha256_file
from halops.model.train import (
    SUMMARY,
    TrainConfig,
    final_evaluation,
    known_keys_only,
    load_base_model,
    prepare_checkpoint_dir,
    train_or_restore,
    trainer_arguments,
)

log = logging.getLogger(__name__)

DPO_SUMMARY = "halops_dpo.json"
METRIC_COLUMNS = (
    "step",
    "epoch",
    "train_loss",
    "eval_loss",
    "train_margin",
    "eval_margin",
    "train_accuracy",
    "eval_accuracy",
    "learning_rate",
)


@dataclass(frozen=True)
class DPOTrainConfig:
    """DPO hyper-parameters of one profile (config `augment.dpo.profiles`, trade-offs there)."""

    beta: float = 0.1
    loss_type: str = "sigmoid"
    learning_rate: float = 5e-6
    lr_scheduler_type: str = "cosine"
    warmup_ratio: float = 0.0
    num_train_epochs: float = 1.0
    max_steps: int = -1
    max_length: int = 1024
    per_device_train_batch_size: int = 1
    gradient_accumulation_steps: int = 1
    gradient_checkpointing: bool = True
    optim: str = "adamw_torch"
    qlora: bool = False
    dtype: str = "auto"
    logging_steps: int = 1
    eval_steps: int = 50
    max_eval_examples: int = 0
    save_steps: int = 50
    save_total_limit: int = 2
    seed: int = 42

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> DPOTrainConfig:
        return cls(**known_keys_only(cls, values, "DPO"))

    def loading(self) -> TrainConfig:
        """The SFT config fields that decide how the base is loaded (precision, 4-bit)."""
        return TrainConfig(
            qlora=self.qlora, dtype=self.dtype, gradient_checkpointing=self.gradient_checkpointing
        )


@dataclass(frozen=True)
class DPOPaths:
    base_dir: Path
    sft_adapter_dir: Path
    pairs: Path  # results/augmented/pairs.parquet
    adapter_dir: Path
    checkpoint_dir: Path
    metrics_csv: Path
    loss_png: Path
    margin_png: Path

    @classmethod
    def under(cls, root: Path, base_dir: Path, sft_adapter_dir: Path, pairs: Path) -> DPOPaths:
        """Every output in one folder (tests, benchmarks)."""
        return cls(
            base_dir,
            sft_adapter_dir,
            pairs,
            root / "adapter",
            root / "checkpoints",
            root / "metrics.csv",
            root / "loss_curve.png",
            root / "reward_margin.png",
        )


def preference_rows(pairs_path: Path, split: str) -> list[dict[str, Any]]:
    """trl's conversational preference rows for one split, tool calls rendered as text."""
    import pandas as pd

    table = pd.read_parquet(pairs_path)
    rows = []
    for record in table[table["split"] == split].to_dict(orient="records"):
        prompt = json.loads(record["prompt"])
        rows.append(
            {
                "prompt": render_messages_for_training(prompt),
                "chosen": render_messages_for_training(json.loads(record["chosen"])),
                "rejected": render_messages_for_training(json.loads(record["rejected"])),
            }
        )
    return rows


def train_dpo(paths: DPOPaths, cfg: DPOTrainConfig) -> dict[str, Any]:
    """Train, save the adapter (with tokenizer), write metrics and both curves."""
    from datasets import Dataset
    from transformers import AutoTokenizer

    train_rows = preference_rows(paths.pairs, "train")
    if not train_rows:
        raise ValueError(f"{paths.pairs}: no train pairs to run DPO on")
    val_rows = preference_rows(paths.pairs, "val")
    if 0 < cfg.max_eval_examples < len(val_rows):
        val_rows = val_rows[: cfg.max_eval_examples]  # evaluation is the slow part on a CPU
    tokenizer = AutoTokenizer.from_pretrained(paths.sft_adapter_dir)
    val_set = Dataset.from_list(val_rows) if val_rows else None
    resume = prepare_checkpoint_dir(paths.checkpoint_dir, fingerprint(paths, cfg))
    trainer = build_dpo_trainer(paths, cfg, tokenizer, Dataset.from_list(train_rows), val_set)
    metrics = train_or_restore(trainer, resume)
    final_eval = final_evaluation(trainer) if val_set is not None else {}
    save_adapter(trainer, tokenizer, paths)
    history = metric_history(trainer.state.log_history)
    write_metrics_csv(history, paths.metrics_csv)
    plot_curves(history, paths.loss_png, paths.margin_png)
    summary = {
        "config": asdict(cfg),
        "global_step": trainer.state.global_step,
        "train_pairs": len(train_rows),
        "val_pairs": len(val_rows),
        "train_runtime_s": metrics.get("train_runtime"),
        "final_eval": {k: v for k, v in final_eval.items() if isinstance(v, int | float)},
        "pairs_sha256": sha256_file(paths.pairs),
    }
    (paths.adapter_dir / DPO_SUMMARY).write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def build_dpo_trainer(
    paths: DPOPaths, cfg: DPOTrainConfig, tokenizer: Any, train_set: Any, val_set: Any
) -> Any:
    """The DPOTrainer on the trainable SFT adapter; trl adds the frozen "ref" copy itself."""
    from peft import PeftModel
    from transformers.integrations import TensorBoardCallback
    from trl import DPOTrainer

    base = load_base_model(base_load_path(paths.base_dir), cfg.loading())
    model = PeftModel.from_pretrained(base, str(paths.sft_adapter_dir), is_trainable=True)
    tensorboard = TensorBoardCallback()
    tensorboard.logging_dir = str(paths.checkpoint_dir.parent / "tensorboard")
    return DPOTrainer(
        model=model,
        args=dpo_config(cfg, paths.checkpoint_dir, has_eval=val_set is not None),
        train_dataset=train_set,
        eval_dataset=val_set,
        processing_class=tokenizer,
        callbacks=[tensorboard],
    )


def dpo_config(cfg: DPOTrainConfig, output_dir: Path, has_eval: bool) -> Any:
    from trl import DPOConfig

    return DPOConfig(
        **trainer_arguments(cfg, output_dir, has_eval),
        beta=cfg.beta,
        loss_type=[cfg.loss_type],
        max_length=cfg.max_length,
    )


def save_adapter(trainer: Any, tokenizer: Any, paths: DPOPaths) -> None:
    """Only the trained ("default") adapter, with the tokenizer and the SFT run's summary, so
    that merge and gguf read this folder as they read the SFT adapter's."""
    paths.adapter_dir.mkdir(parents=True, exist_ok=True)
    trainer.model.save_pretrained(str(paths.adapter_dir), selected_adapters=["default"])
    tokenizer.save_pretrained(str(paths.adapter_dir))
    sft_summary = paths.sft_adapter_dir / SUMMARY
    if sft_summary.is_file():
        shutil.copyfile(sft_summary, paths.adapter_dir / SUMMARY)


def fingerprint(paths: DPOPaths, cfg: DPOTrainConfig) -> str:
    """Hash of what a checkpoint depends on: config, pairs, SFT adapter and base model."""
    parts = {
        "config": asdict(cfg),
        "pairs": sha256_file(paths.pairs),
        "sft_adapter": sha256_file(paths.sft_adapter_dir / "adapter_model.safetensors"),
        "base": (paths.base_dir / "halops_base.json").read_text(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


# --- metrics and curves ------------------------------------------------------------------------

_LOGGED = {
    "loss": "train_loss",
    "eval_loss": "eval_loss",
    "rewards/margins": "train_margin",
    "eval_rewards/margins": "eval_margin",
    "rewards/accuracies": "train_accuracy",
    "eval_rewards/accuracies": "eval_accuracy",
    "learning_rate": "learning_rate",
}


def metric_history(log_history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per logged step: loss, reward margin and accuracy (train and eval)."""
    rows: dict[int, dict[str, Any]] = {}
    for entry in log_history:
        found = {column: entry[key] for key, column in _LOGGED.items() if key in entry}
        if not found.keys() - {"learning_rate"}:
            continue
        row = rows.setdefault(entry["step"], {"step": entry["step"], "epoch": entry.get("epoch")})
        row.update(found)
    return [rows[step] for step in sorted(rows)]


def write_metrics_csv(history: list[dict[str, Any]], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(METRIC_COLUMNS))
        writer.writeheader()
        writer.writerows({c: row.get(c, "") for c in METRIC_COLUMNS} for row in history)


def plot_curves(history: list[dict[str, Any]], loss_png: Path, margin_png: Path) -> None:
    _plot(history, ("train_loss", "eval_loss"), "DPO loss", "loss", loss_png)
    _plot(
        history,
        ("train_margin", "eval_margin"),
        "Reward margin (chosen - rejected)",
        "β · log-ratio margin",
        margin_png,
    )


def _plot(
    history: list[dict[str, Any]], columns: tuple[str, str], title: str, ylabel: str, path: Path
) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no display on build machines
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for column, label in zip(columns, ("train", "validation"), strict=True):
        points = [(row["step"], row[column]) for row in history if column in row]
        if points:
            ax.plot(*zip(*points, strict=True), marker="o", markersize=3, label=label)
    ax.set_xlabel("optimizer step")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if ax.get_legend_handles_labels()[0]:
        ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
