"""The train rule's loss and LoRA placement on the real SmolLM2: the assistant-only loss equals
the model's own cross-entropy, and `lora_layers` adapts only the last layers."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

from halops.model.data import IGNORE_INDEX, tokenize_conversation  # noqa: E402
from halops.model.train import (  # noqa: E402
    TrainConfig,
    assistant_loss,
    cpu_autocast_bf16,
    lora_config,
)

CONVERSATION = [
    {"role": "system", "content": "You are HAL."},
    {"role": "user", "content": "How long has pve01 been up?"},
    {"role": "assistant", "content": '<tool_call>\n{"name": "ssh"}\n</tool_call>'},
    {"role": "user", "content": "<tool_response>\nup 41 days\n</tool_response>"},
    {"role": "assistant", "content": "pve01 has been up for 41 days."},
]


@pytest.fixture(scope="module")
def model(smollm2_base_dir: Path) -> Any:
    from peft import get_peft_model
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(smollm2_base_dir, dtype=torch.float32)
    cfg = TrainConfig(lora_layers=4)
    peft_model = get_peft_model(base, lora_config(cfg, base.config.num_hidden_layers))
    torch.manual_seed(0)
    for name, param in peft_model.named_parameters():  # non-zero B: the adapter matters
        if "lora_B" in name:
            torch.nn.init.normal_(param, std=0.02)
    return peft_model.eval()


@pytest.fixture(scope="module")
def batch(model: Any) -> dict[str, Any]:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model.base_model.model.name_or_path)
    example = tokenize_conversation(tokenizer, CONVERSATION, max_length=512)
    return {
        "input_ids": torch.tensor([example.input_ids]),
        "labels": torch.tensor([example.labels]),
    }


def test_assistant_loss_equals_the_models_own_loss(model: Any, batch: dict[str, Any]) -> None:
    with torch.no_grad():
        reference = model(**batch).loss
        ours = assistant_loss(model, dict(batch))
    assert torch.allclose(ours, reference, atol=1e-5), (ours, reference)


def test_assistant_loss_normalises_by_the_given_count(model: Any, batch: dict[str, Any]) -> None:
    labelled = int((batch["labels"][:, 1:] != IGNORE_INDEX).sum())
    with torch.no_grad():
        mean = assistant_loss(model, dict(batch))
        halved = assistant_loss(model, dict(batch), num_items_in_batch=2 * labelled)
    assert torch.allclose(halved, mean / 2, atol=1e-6)


def test_assistant_loss_on_a_padded_batch_ignores_the_padding(
    model: Any, batch: dict[str, Any]
) -> None:
    """Two rows, the second padded: the loss is the labelled-token mean over both rows."""
    ids, labels = batch["input_ids"], batch["labels"]
    short = ids.shape[1] - 7
    padded_ids = torch.cat([ids, torch.cat([ids[:, :short], ids[:, :7]], dim=1)])
    padded_labels = torch.cat(
        [labels, torch.cat([labels[:, :short], torch.full((1, 7), IGNORE_INDEX)], dim=1)]
    )
    mask = torch.ones_like(padded_ids)
    mask[1, short:] = 0
    inputs = {"input_ids": padded_ids, "labels": padded_labels, "attention_mask": mask}
    with torch.no_grad():
        reference = model(**inputs).loss
        ours = assistant_loss(model, dict(inputs))
    assert torch.allclose(ours, reference, atol=1e-5)


def test_lora_layers_adapts_only_the_last_layers(model: Any) -> None:
    adapted = {
        int(name.split(".layers.")[1].split(".")[0])
        for name, _ in model.named_parameters()
        if "lora_A" in name
    }
    assert adapted == {26, 27, 28, 29}
    assert lora_config(TrainConfig(lora_layers=0), 30).layers_to_transform is None
    assert lora_config(replace(TrainConfig(), lora_layers=40), 30).layers_to_transform == list(
        range(30)
    )


def test_cpu_autocast_only_for_auto_precision() -> None:
    for name in ("float32", "bfloat16", "float16"):
        assert cpu_autocast_bf16(name) is False
    has_bf16 = bool(torch.cpu._is_amx_tile_supported() or torch.cpu._is_avx512_bf16_supported())
    assert cpu_autocast_bf16("auto") is (has_bf16 and not torch.cuda.is_available())
