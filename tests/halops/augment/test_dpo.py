"""DPO on the embedded SmolLM2, on the CPU, a few steps: the real trl DPOTrainer and peft.

The SFT adapter is a freshly initialised LoRA (what train writes, minus the training): DPO must
start from it as its own reference, so the first logged loss is exactly -log σ(0) = ln 2, and
must end with an adapter of the same shape that the merge step folds in.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.slow

torch = pytest.importorskip("torch")
pytest.importorskip("trl")
pytest.importorskip("peft")

from halops.augment.pairs import PAIR_COLUMNS  # noqa: E402
from halops.model.dpo import (  # noqa: E402
    DPO_SUMMARY,
    DPOPaths,
    DPOTrainConfig,
    preference_rows,
    train_dpo,
)
from halops.model.merge import merge_adapter  # noqa: E402

SMOKE = DPOTrainConfig(
    beta=0.1,
    learning_rate=5e-4,  # large, so that a few steps visibly move the margin
    max_steps=3,
    max_length=128,
    per_device_train_batch_size=2,
    eval_steps=3,
    save_steps=2,
    max_eval_examples=2,
)


def call(name: str, **arguments: str) -> dict:
    function = {"name": name, "arguments": json.dumps(arguments)}
    return {
        "role": "assistant",
        "content": "",
        "tool_calls": [{"id": "c", "type": "function", "function": function}],
    }


def pair_row(index: int, split: str) -> dict:
    host = f"pve0{index % 3 + 1}"
    prompt = [
        {"role": "system", "content": "You are HAL. Prefer read-only commands."},
        {"role": "user", "content": f"is {host} healthy? ({index})"},
    ]
    return {
        "pair_id": f"p{index}",
        "kind": "safety",
        "reason": "test",
        "rule_id": "fs.rm_recursive_system",
        "session_id": f"s{index}",
        "project": "lab",
        "tier": "A",
        "source": f"x.jsonl:{index}",
        "turn": 1,
        "split": split,
        "prompt": json.dumps(prompt),
        "chosen": json.dumps([call("ssh", host=host, command="uptime")]),
        "rejected": json.dumps([call("ssh", host=host, command="rm -rf /")]),
        "approx_tokens": 40,
    }


@pytest.fixture(scope="module")
def pairs_parquet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    splits = ["train"] * 6 + ["val"] * 2 + ["test"] * 2
    table = pd.DataFrame([pair_row(i, s) for i, s in enumerate(splits)], columns=list(PAIR_COLUMNS))
    path = tmp_path_factory.mktemp("pairs") / "pairs.parquet"
    table.to_parquet(path, index=False)
    return path


@pytest.fixture(scope="module")
def sft_adapter(tmp_path_factory: pytest.TempPathFactory, smollm2_base_dir: Path) -> Path:
    """A LoRA adapter in the train rule's layout (weights, config, tokenizer + template)."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from halops.model.convert_base import base_load_path

    folder = tmp_path_factory.mktemp("sft") / "adapter"
    base = AutoModelForCausalLM.from_pretrained(base_load_path(smollm2_base_dir))
    config = LoraConfig(
        r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM"
    )
    get_peft_model(base, config).save_pretrained(folder)
    AutoTokenizer.from_pretrained(base_load_path(smollm2_base_dir)).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def trained(
    tmp_path_factory: pytest.TempPathFactory,
    smollm2_base_dir: Path,
    sft_adapter: Path,
    pairs_parquet: Path,
) -> tuple[DPOPaths, dict]:
    root = tmp_path_factory.mktemp("dpo")
    paths = DPOPaths.under(root, smollm2_base_dir, sft_adapter, pairs_parquet)
    return paths, train_dpo(paths, SMOKE)


def test_preference_rows_render_tool_calls_in_the_contract_format(pairs_parquet: Path) -> None:
    rows = preference_rows(pairs_parquet, "train")
    assert len(rows) == 6
    assert rows[0]["chosen"] == [
        {
            "role": "assistant",
            "content": '<tool_call>\n{"name": "ssh", "arguments": {"host": "pve01", '
            '"command": "uptime"}}\n</tool_call>',
        }
    ]
    assert [m["role"] for m in rows[0]["prompt"]] == ["system", "user"]
    # Test pairs never reach training: only the split asked for is read.
    assert len(preference_rows(pairs_parquet, "val")) == 2


def test_dpo_trains_from_the_sft_reference(trained: tuple[DPOPaths, dict]) -> None:
    paths, summary = trained
    assert summary["global_step"] == 3
    assert summary["train_pairs"] == 6 and summary["val_pairs"] == 2
    rows = list(csv.DictReader(paths.metrics_csv.open()))
    assert [int(r["step"]) for r in rows] == [1, 2, 3]
    # Step 1 is logged before any update: the policy equals its reference (the SFT adapter).
    assert math.isclose(float(rows[0]["train_loss"]), math.log(2), abs_tol=1e-3)
    assert math.isclose(float(rows[0]["train_margin"]), 0.0, abs_tol=1e-3)
    # The updates prefer the chosen call: the margin grows and the loss falls below ln 2.
    assert float(rows[-1]["train_margin"]) > 0
    assert float(rows[-1]["train_loss"]) < math.log(2)
    assert rows[-1]["eval_loss"] and rows[-1]["eval_margin"]
    for png in (paths.loss_png, paths.margin_png):
        assert png.read_bytes()[:4] == b"\x89PNG"


def test_dpo_adapter_has_the_sft_shape_and_merges(
    trained: tuple[DPOPaths, dict], sft_adapter: Path, smollm2_base_dir: Path, tmp_path: Path
) -> None:
    from safetensors.torch import load_file

    paths, _ = trained
    before = load_file(str(sft_adapter / "adapter_model.safetensors"))
    after = load_file(str(paths.adapter_dir / "adapter_model.safetensors"))
    assert before.keys() == after.keys()  # one adapter, no trl "ref" copy saved
    assert any(not torch.equal(before[k], after[k]) for k in before)
    assert not (paths.adapter_dir / "ref").exists()
    assert json.loads((paths.adapter_dir / DPO_SUMMARY).read_text())["global_step"] == 3
    merge_adapter(smollm2_base_dir, paths.adapter_dir, tmp_path / "merged")
    assert (tmp_path / "merged" / "model.safetensors").is_file()


def test_a_rerun_restores_the_finished_run_without_training(
    trained: tuple[DPOPaths, dict],
) -> None:
    paths, first = trained
    again = train_dpo(paths, SMOKE)
    assert again["global_step"] == first["global_step"]
    assert again["train_runtime_s"] is None  # restored from the last checkpoint, not retrained


def test_no_train_pairs_is_a_clear_error(
    tmp_path: Path, smollm2_base_dir: Path, sft_adapter: Path
) -> None:
    table = pd.DataFrame([pair_row(0, "val")], columns=list(PAIR_COLUMNS))
    table.to_parquet(tmp_path / "pairs.parquet", index=False)
    paths = DPOPaths.under(
        tmp_path / "out", smollm2_base_dir, sft_adapter, tmp_path / "pairs.parquet"
    )
    with pytest.raises(ValueError, match="no train pairs"):
        train_dpo(paths, SMOKE)
