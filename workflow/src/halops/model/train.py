"""LoRA / QLoRA supervised fine-tuning with trl's SFTTrainer.

QLoRA and plain LoRA share one code path: `qlora: true` only changes how the base is loaded
(4-bit NF4 with double quantization through bitsandbytes) and prepares it for k-bit training; the
optimizer (`paged_adamw_8bit` in the GPU profile) and gradient checkpointing are ordinary config.

Checkpoints go to a folder outside the rule's outputs (Snakemake deletes the outputs of a failed
job, which would defeat resuming). A fingerprint of config, data and base guards them: a run
resumes from the last checkpoint only if it was made by the same inputs, otherwise it starts over.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import shutil
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from halops.model.convert_base import base_load_path, sha256_file
from halops.model.data import IGNORE_INDEX, build_dataset

log = logging.getLogger(__name__)

FINGERPRINT = "halops_fingerprint.json"
SUMMARY = "halops_train.json"
ALL_LINEAR = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of one profile; trade-offs are documented in config/config.yaml."""

    qlora: bool = False
    lora_r: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.05
    target_modules: tuple[str, ...] = ALL_LINEAR
    lora_layers: int = 0  # > 0: adapt only the last N decoder layers; 0: all of them
    learning_rate: float = 2e-4
    lr_scheduler_type: str = "cosine"
    warmup_ratio: float = 0.0
    weight_decay: float = 0.0
    num_train_epochs: float = 1.0
    max_steps: int = -1  # > 0 overrides num_train_epochs
    max_length: int = 512
    per_device_train_batch_size: int = 1
    gradient_accumulation_steps: int = 1
    gradient_checkpointing: bool = True
    optim: str = "adamw_torch"
    packing: bool = False
    dtype: str = "auto"  # auto | float32 | bfloat16 | float16 (see `precision`)
    logging_steps: int = 1
    eval_steps: int = 50
    max_eval_examples: int = 0  # 0: the whole validation split
    save_steps: int = 50
    save_total_limit: int = 2
    seed: int = 42

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        """Build from a config profile; unknown keys are an error (a typo must not be ignored)."""
        values = known_keys_only(cls, values, "training")
        if "target_modules" in values:
            values["target_modules"] = tuple(values["target_modules"])
        return cls(**values)


def known_keys_only(cls: type, values: dict[str, Any], what: str) -> dict[str, Any]:
    """A copy of `values`, or a ValueError naming the keys that `cls` has no field for."""
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f"unknown {what} keys {unknown}; known: {sorted(known)}")
    return dict(values)


@dataclass(frozen=True)
class TrainPaths:
    base_dir: Path
    train_jsonl: Path
    val_jsonl: Path
    adapter_dir: Path
    checkpoint_dir: Path
    tensorboard_dir: Path
    loss_csv: Path
    loss_png: Path

    @classmethod
    def under(cls, root: Path, base_dir: Path, train_jsonl: Path, val_jsonl: Path) -> TrainPaths:
        """Every output in one folder: for tests and benchmarks, which own a scratch folder."""
        return cls(
            base_dir=base_dir,
            train_jsonl=train_jsonl,
            val_jsonl=val_jsonl,
            adapter_dir=root / "adapter",
            checkpoint_dir=root / "checkpoints",
            tensorboard_dir=root / "tensorboard",
            loss_csv=root / "loss.csv",
            loss_png=root / "loss_curve.png",
        )


def train(paths: TrainPaths, cfg: TrainConfig) -> dict[str, Any]:
    """Fine-tune, save the adapter (with tokenizer and chat template), write the loss records."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base_load_path(paths.base_dir))
    train_set = build_dataset(tokenizer, paths.train_jsonl, cfg.max_length)
    val_set = build_dataset(tokenizer, paths.val_jsonl, cfg.max_length)
    if 0 < cfg.max_eval_examples < len(val_set):
        # Evaluation runs every eval_steps; on a CPU a large split would cost more than training.
        val_set = val_set.select(range(cfg.max_eval_examples))
    resume = prepare_checkpoint_dir(paths.checkpoint_dir, fingerprint(paths, cfg))
    trainer = build_trainer(paths, cfg, tokenizer, train_set, val_set)
    metrics = train_or_restore(trainer, resume)
    final_eval = final_evaluation(trainer)
    trainer.save_model(str(paths.adapter_dir))
    history = loss_history(trainer.state.log_history)
    write_loss_csv(history, paths.loss_csv)
    plot_loss_curve(history, paths.loss_png)
    summary = run_summary(paths, cfg, metrics, final_eval, history, trainer.state)
    (paths.adapter_dir / SUMMARY).write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def final_evaluation(trainer: Any) -> dict[str, Any]:
    """Validation metrics at the last step: the trainer's own if it evaluated there, else new.

    transformers evaluates at the final step when eval_strategy is "steps"; evaluating again
    would cost a whole pass over the validation set (~45 s of the cpu profile's budget).
    """
    state = trainer.state
    for entry in reversed(state.log_history):
        if "eval_loss" in entry:
            if entry.get("step") == state.global_step:
                return {k: v for k, v in entry.items() if k.startswith("eval_")}
            break
    return trainer.evaluate()


def train_or_restore(trainer: Any, resume: str | None) -> dict[str, Any]:
    """Train (resuming from `resume`), or only restore it if that checkpoint ended the run.

    transformers runs one more optimizer step when resumed from a checkpoint that already
    reached max_steps; restoring the adapter and state instead makes a rerun after a crash in
    the final save idempotent.
    """
    state_file = Path(resume or "") / "trainer_state.json"
    if resume and state_file.is_file():
        state = json.loads(state_file.read_text())
        if state.get("max_steps", 0) > 0 and state["global_step"] >= state["max_steps"]:
            from peft import set_peft_model_state_dict
            from safetensors.torch import load_file
            from transformers import TrainerState

            log.info("%s completed the run: restoring it without training", resume)
            weights = load_file(str(Path(resume) / "adapter_model.safetensors"))
            set_peft_model_state_dict(trainer.model, weights)
            trainer.state = TrainerState.load_from_json(str(state_file))
            return {}
    return trainer.train(resume_from_checkpoint=resume).metrics


def assistant_loss(model: Any, inputs: dict[str, Any], num_items_in_batch: Any = None) -> Any:
    """Cross-entropy on the labelled (assistant) positions, with the LM head computed only
    there (`logits_to_keep`): a 49k-word head over every prompt and tool-output token is a
    fifth of the forward pass and most of the backward pass of the upper layers, for tokens
    that carry no loss. Normalised by `num_items_in_batch` (the Trainer's count of labelled
    tokens over the accumulated micro-batches) when given, else by this batch's count."""
    import torch
    import torch.nn.functional as F

    labels = inputs.pop("labels")
    shifted = inputs.pop("shift_labels", None)
    if shifted is None:  # position p predicts the token at p + 1
        shifted = F.pad(labels[:, 1:], (0, 1), value=IGNORE_INDEX)
    keep = (shifted != IGNORE_INDEX).any(dim=0).nonzero().squeeze(-1)
    logits = model(**inputs, logits_to_keep=keep, use_cache=False).logits.float()
    targets = shifted[:, keep]
    total = F.cross_entropy(
        logits.reshape(-1, logits.size(-1)),
        targets.reshape(-1),
        ignore_index=IGNORE_INDEX,
        reduction="sum",
    )
    count = (
        num_items_in_batch if num_items_in_batch is not None else (targets != IGNORE_INDEX).sum()
    )
    return total / torch.as_tensor(count, device=total.device).clamp(min=1)


def build_trainer(
    paths: TrainPaths, cfg: TrainConfig, tokenizer: Any, train_set: Any, val_set: Any
) -> Any:
    """The SFTTrainer for `cfg`; separate from `train` so benchmarks can time its steps."""
    from transformers.integrations import TensorBoardCallback
    from trl import SFTTrainer

    class AssistantLossSFTTrainer(SFTTrainer):
        """trl's SFTTrainer with `assistant_loss`: trl's own loss also computes entropy and
        token accuracy over the whole vocabulary at every position for its logs, which costs
        ~40 % of a CPU step here (measured by workflow/scripts/bench/bench_train.py)."""

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            if return_outputs:
                return super().compute_loss(model, inputs, True, num_items_in_batch)
            return assistant_loss(model, inputs, num_items_in_batch)

    model = load_base_model(base_load_path(paths.base_dir), cfg)
    tensorboard = TensorBoardCallback()
    # Set the folder, not a writer: the callback closes its writer at train end and reopens one
    # (in its default folder) for the final evaluation.
    tensorboard.logging_dir = str(paths.tensorboard_dir)
    return AssistantLossSFTTrainer(
        model=model,
        args=sft_config(cfg, paths.checkpoint_dir),
        train_dataset=train_set,
        eval_dataset=val_set,
        processing_class=tokenizer,
        peft_config=lora_config(cfg, getattr(model.config, "num_hidden_layers", None)),
        callbacks=[tensorboard],
    )


def load_base_model(load_from: str, cfg: TrainConfig) -> Any:
    """The base in training precision; 4-bit NF4 + double quantization when `cfg.qlora`."""
    import torch
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    dtype = resolve_dtype(cfg.dtype)
    kwargs: dict[str, Any] = {"dtype": dtype}
    if cfg.qlora:
        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",  # NF4 matches normally distributed weights best
            bnb_4bit_use_double_quant=True,  # quantizes the scales too: ~0.4 bit/param saved
            bnb_4bit_compute_dtype=dtype,
        )
        if torch.cuda.is_available():
            kwargs["device_map"] = {"": torch.cuda.current_device()}
    model = AutoModelForCausalLM.from_pretrained(load_from, **kwargs)
    if cfg.qlora:
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(
            model, use_gradient_checkpointing=cfg.gradient_checkpointing
        )
    return model


def resolve_dtype(name: str) -> Any:
    """Weight dtype: `auto` is bf16 on a CUDA card that supports it, else fp32 (on a CPU the
    weights stay fp32 and `cpu_autocast_bf16` decides whether the math runs in bf16)."""
    import torch

    if name == "auto":
        use_bf16 = torch.cuda.is_available() and torch.cuda.is_bf16_supported()
        return torch.bfloat16 if use_bf16 else torch.float32
    return getattr(torch, name)


def cpu_autocast_bf16(name: str) -> bool:
    """`auto` on a CPU with native bf16 matrix instructions (AMX or AVX512-BF16): fp32 weights
    and optimizer, bf16 autocast for the matmuls. Measured here (2 cores, Sapphire Rapids):
    ~2-4x the fp32 tokens/s; CPUs without those instructions emulate bf16 and stay fp32."""
    import torch

    if name != "auto" or torch.cuda.is_available():
        return False
    return bool(torch.cpu._is_amx_tile_supported() or torch.cpu._is_avx512_bf16_supported())


def lora_config(cfg: TrainConfig, n_layers: int | None = None) -> Any:
    """LoRA on `target_modules`; with `lora_layers` only in the last layers, so that the
    backward pass stops there (the frozen layers below need no gradients at all)."""
    from peft import LoraConfig

    layers = None
    if cfg.lora_layers > 0 and n_layers is not None:
        layers = list(range(max(0, n_layers - cfg.lora_layers), n_layers))
    return LoraConfig(
        r=cfg.lora_r,
        lora_alpha=cfg.lora_alpha,
        lora_dropout=cfg.lora_dropout,
        target_modules=list(cfg.target_modules),
        layers_to_transform=layers,
        bias="none",
        task_type="CAUSAL_LM",
    )


def sft_config(cfg: TrainConfig, output_dir: Path) -> Any:
    from trl import SFTConfig

    return SFTConfig(
        **trainer_arguments(cfg, output_dir, has_eval=True),
        max_length=cfg.max_length,
        packing=cfg.packing,
        weight_decay=cfg.weight_decay,
        include_num_input_tokens_seen="non_padding",
    )


def trainer_arguments(cfg: Any, output_dir: Path, has_eval: bool) -> dict[str, Any]:
    """The `TrainingArguments` that SFT and DPO share: schedule, batch, precision (bf16
    autocast on a CPU that has it), logging, evaluation and checkpoints. `cfg` is a
    `TrainConfig` or a `DPOTrainConfig`, which name these fields alike."""
    dtype = resolve_dtype(cfg.dtype)
    cpu_autocast = cpu_autocast_bf16(cfg.dtype)
    return dict(
        output_dir=str(output_dir),
        learning_rate=cfg.learning_rate,
        lr_scheduler_type=cfg.lr_scheduler_type,
        warmup_steps=cfg.warmup_ratio,  # transformers 5: a float < 1 is a ratio of total steps
        num_train_epochs=cfg.num_train_epochs,
        max_steps=cfg.max_steps,
        per_device_train_batch_size=cfg.per_device_train_batch_size,
        per_device_eval_batch_size=cfg.per_device_train_batch_size,
        gradient_accumulation_steps=cfg.gradient_accumulation_steps,
        activation_checkpointing=cfg.gradient_checkpointing,  # transformers 5 name
        optim=cfg.optim,
        bf16=str(dtype) == "torch.bfloat16" or cpu_autocast,
        use_cpu=cpu_autocast,  # transformers accepts bf16 without a GPU only when told so
        fp16=str(dtype) == "torch.float16",
        logging_steps=cfg.logging_steps,
        logging_first_step=True,
        eval_strategy="steps" if has_eval else "no",
        eval_steps=cfg.eval_steps,
        save_strategy="steps",
        save_steps=cfg.save_steps,
        save_total_limit=cfg.save_total_limit,
        seed=cfg.seed,
        report_to="none",  # TensorBoard is attached explicitly, to a folder we choose
        dataloader_pin_memory=False,
        disable_tqdm=True,  # progress bars garble rule logs; metrics are logged per step
    )


def fingerprint(paths: TrainPaths, cfg: TrainConfig) -> str:
    """Hash of what a checkpoint depends on: hyper-parameters, data and base model."""
    parts = {
        "config": asdict(cfg),
        "train": sha256_file(paths.train_jsonl),
        "val": sha256_file(paths.val_jsonl),
        "base": (paths.base_dir / "halops_base.json").read_text(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def prepare_checkpoint_dir(checkpoint_dir: Path, digest: str) -> str | None:
    """The checkpoint to resume from, or None; stale checkpoints of other inputs are removed."""
    from transformers.trainer_utils import get_last_checkpoint

    marker = checkpoint_dir / FINGERPRINT
    if checkpoint_dir.is_dir():
        previous = json.loads(marker.read_text())["fingerprint"] if marker.is_file() else None
        if previous == digest:
            last = get_last_checkpoint(str(checkpoint_dir))
            if last:
                log.info("resuming from %s", last)
            return last
        log.info("checkpoints in %s belong to other inputs: starting over", checkpoint_dir)
        shutil.rmtree(checkpoint_dir)
    checkpoint_dir.mkdir(parents=True)
    marker.write_text(json.dumps({"fingerprint": digest}) + "\n")
    return None


def loss_history(log_history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per logged step: train loss and/or eval loss, with epoch and learning rate."""
    rows: dict[int, dict[str, Any]] = {}
    for entry in log_history:
        if "loss" not in entry and "eval_loss" not in entry:
            continue
        row = rows.setdefault(entry["step"], {"step": entry["step"], "epoch": entry.get("epoch")})
        for key, column in (("loss", "train_loss"), ("eval_loss", "eval_loss")):
            if key in entry:
                row[column] = entry[key]
        if "learning_rate" in entry:
            row["learning_rate"] = entry["learning_rate"]
    return [rows[step] for step in sorted(rows)]


def write_loss_csv(history: list[dict[str, Any]], path: Path) -> None:
    columns = ["step", "epoch", "train_loss", "eval_loss", "learning_rate"]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows({column: row.get(column, "") for column in columns} for row in history)


def plot_loss_curve(history: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no display on build machines
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for column, label in (("train_loss", "train"), ("eval_loss", "validation")):
        points = [(row["step"], row[column]) for row in history if column in row]
        if points:
            ax.plot(*zip(*points, strict=True), marker="o", markersize=3, label=label)
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss (assistant tokens)")
    ax.set_title("Fine-tuning loss")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _rate(tokens: int | None, seconds: float | None) -> float | None:
    return round(tokens / seconds, 1) if tokens and seconds else None


def run_summary(
    paths: TrainPaths,
    cfg: TrainConfig,
    train_metrics: dict[str, Any],
    eval_metrics: dict[str, Any],
    history: list[dict[str, Any]],
    state: Any,
) -> dict[str, Any]:
    """What the model card reports: config, final losses, tokens and throughput."""
    train_losses = [row["train_loss"] for row in history if "train_loss" in row]
    return {
        "config": asdict(cfg),
        "base": json.loads((paths.base_dir / "halops_base.json").read_text()),
        "global_step": state.global_step,
        "final_train_loss": train_losses[-1] if train_losses else None,
        "final_eval_loss": eval_metrics.get("eval_loss"),
        "train_runtime_s": train_metrics.get("train_runtime"),
        "input_tokens_seen": state.num_input_tokens_seen,
        "tokens_per_s": _rate(state.num_input_tokens_seen, train_metrics.get("train_runtime")),
        "bf16_autocast_on_cpu": cpu_autocast_bf16(cfg.dtype),
        "train_sha256": sha256_file(paths.train_jsonl),
        "val_sha256": sha256_file(paths.val_jsonl),
    }
