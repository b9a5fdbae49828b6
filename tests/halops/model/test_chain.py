"""The model chain end to end on the embedded SmolLM2: splits -> adapter -> merged -> GGUF ->
a chat answer from llama.cpp that ends with the stop token. A handful of steps, real libraries.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

torch = pytest.importorskip("torch")
pytest.importorskip("trl")
pytest.importorskip("peft")

from halops.contract.prompts import SYSTEM_PROMPT  # noqa: E402
from halops.model.card import LIMITS, CardInputs, write_model_card  # noqa: E402
from halops.model.check import CheckConfig, ModelCheckError, check_gguf  # noqa: E402
from halops.model.converter import default_cache_dir  # noqa: E402
from halops.model.gguf import export_gguf  # noqa: E402
from halops.model.merge import merge_adapter  # noqa: E402
from halops.model.train import (  # noqa: E402
    FINGERPRINT,
    SUMMARY,
    TrainConfig,
    TrainPaths,
    prepare_checkpoint_dir,
    train,
)
from tests.conftest import LLAMA_TEST_THREADS  # noqa: E402

SMOKE = TrainConfig(
    max_steps=3,
    max_length=256,
    per_device_train_batch_size=2,
    learning_rate=1e-3,  # as cpu-smoke: at 2e-4 three steps leave a model that rambles
    eval_steps=3,
    save_steps=2,
    max_eval_examples=2,
)


def train_paths(root: Path, base_dir: Path, data: Path) -> TrainPaths:
    return TrainPaths.under(root, base_dir, data / "train.jsonl", data / "val.jsonl")


@pytest.fixture(scope="module")
def trained(
    tmp_path_factory: pytest.TempPathFactory, smollm2_base_dir: Path, model_data: Path
) -> tuple[TrainPaths, dict]:
    paths = train_paths(tmp_path_factory.mktemp("train"), smollm2_base_dir, model_data)
    return paths, train(paths, SMOKE)


def test_train_writes_adapter_losses_and_logs(
    trained: tuple[TrainPaths, dict], smollm2_base_dir: Path
) -> None:
    paths, summary = trained
    for name in (
        "adapter_model.safetensors",
        "adapter_config.json",
        "chat_template.jinja",
        SUMMARY,
    ):
        assert (paths.adapter_dir / name).is_file(), name
    assert summary["global_step"] == 3
    assert 0 < summary["final_train_loss"] < 20 and 0 < summary["final_eval_loss"] < 20
    rows = paths.loss_csv.read_text().splitlines()
    assert rows[0] == "step,epoch,train_loss,eval_loss,learning_rate"
    assert [row.split(",")[0] for row in rows[1:]] == ["1", "2", "3"]
    assert paths.loss_png.read_bytes()[:4] == b"\x89PNG"
    assert list(paths.tensorboard_dir.glob("events.out.tfevents.*"))
    # The saved tokenizer keeps the model's own (stock) template, not a training variant.
    template = (paths.adapter_dir / "chat_template.jinja").read_text()
    assert template == (smollm2_base_dir / "chat_template.jinja").read_text()
    assert "{% generation %}" not in template


def test_interrupted_run_resumes_from_last_checkpoint(trained: tuple[TrainPaths, dict]) -> None:
    paths, first = trained
    assert sorted(p.name for p in paths.checkpoint_dir.glob("checkpoint-*")) == [
        "checkpoint-2",
        "checkpoint-3",
    ]
    # As if the job had been killed after saving step 2: the rerun trains step 3 only.
    shutil.rmtree(paths.checkpoint_dir / "checkpoint-3")
    again = train(paths, SMOKE)
    assert again["global_step"] == 3
    assert again["input_tokens_seen"] == first["input_tokens_seen"]
    steps = [row.split(",")[0] for row in paths.loss_csv.read_text().splitlines()[1:]]
    assert steps == ["1", "2", "3"]


def test_rerun_of_a_finished_run_restores_without_training(
    trained: tuple[TrainPaths, dict],
) -> None:
    from safetensors.torch import load_file

    paths, _ = trained
    before = load_file(str(paths.adapter_dir / "adapter_model.safetensors"))
    again = train(paths, SMOKE)  # checkpoint-3 ended the run: nothing left to train
    assert again["global_step"] == 3 and again["train_runtime_s"] is None
    after = load_file(str(paths.adapter_dir / "adapter_model.safetensors"))
    assert before.keys() == after.keys()
    assert all(torch.equal(before[key], after[key]) for key in before)
    steps = [row.split(",")[0] for row in paths.loss_csv.read_text().splitlines()[1:]]
    assert steps == ["1", "2", "3"]


def test_checkpoints_of_other_inputs_are_discarded(tmp_path: Path) -> None:
    folder = tmp_path / "checkpoints"
    assert prepare_checkpoint_dir(folder, "aaa") is None
    (folder / "checkpoint-7").mkdir()
    (folder / "checkpoint-7" / "trainer_state.json").write_text("{}")
    assert prepare_checkpoint_dir(folder, "aaa") == str(folder / "checkpoint-7")
    assert prepare_checkpoint_dir(folder, "bbb") is None
    assert not (folder / "checkpoint-7").exists()
    assert json.loads((folder / FINGERPRINT).read_text()) == {"fingerprint": "bbb"}


def test_merge_export_and_llama_cpp_answer_with_stop(
    trained: tuple[TrainPaths, dict], tmp_path: Path, smollm2_base_dir: Path, model_data: Path
) -> None:
    paths, summary = trained
    merged = tmp_path / "merged"
    merge_adapter(smollm2_base_dir, paths.adapter_dir, merged)
    assert (merged / "model.safetensors").is_file() and (merged / "chat_template.jinja").is_file()

    out = tmp_path / "model"
    # The converter setup.sh fetched (per-user cache, never the repository's results/).
    ggufs = export_gguf(merged, out, ["Q4_K_M"], default_cache_dir())
    gguf = ggufs["Q4_K_M"]
    assert gguf == out / "model.Q4_K_M.gguf" and 50e6 < gguf.stat().st_size < 200e6
    assert not list(out.glob("*.f16.gguf")) and not list(out.glob(".convert-*"))

    modelfile = (out / "Modelfile").read_text()
    assert modelfile.startswith("FROM ./model.Q4_K_M.gguf\n")
    assert 'PARAMETER stop "<|im_end|>"' in modelfile and "<|im_start|>{{ $m.Role }}" in modelfile
    assert f'SYSTEM """{SYSTEM_PROMPT}\n\n# Tools\n<tools>\n' in modelfile

    inputs = CardInputs(
        merged_dir=merged,
        train_summary=paths.adapter_dir / SUMMARY,
        data_card=model_data / "data_card.json",
        ggufs=[gguf],
        eval_scores=None,
        hashed={"train.jsonl": model_data / "train.jsonl"},
    )
    card = write_model_card(inputs, out / "MODEL_CARD.md")
    assert "embedded:smollm2-135m" in card and f"{summary['final_eval_loss']:.4f}" in card
    assert "`train.jsonl`: `" in card and "`model.Q4_K_M.gguf`: `" in card
    assert LIMITS in card and "Not evaluated yet" in card

    record = check_gguf(
        gguf, model_data / "val.jsonl", CheckConfig(max_tokens=256, n_threads=LLAMA_TEST_THREADS)
    )
    assert record["finish_reason"] == "stop"
    assert record["eos_token_id"] == 2
    assert record["question"] == "How long has nas01 been up?"

    # Several questions: each asked, the first one's record on top, the count that stopped.
    several = check_gguf(
        gguf,
        model_data / "val.jsonl",
        CheckConfig(max_tokens=256, n_threads=LLAMA_TEST_THREADS, questions=3),
    )
    assert several["question"] == record["question"] and len(several["answers"]) == 2
    assert several["stopped"] >= 2 and {a["question"] for a in several["answers"]} != {None}

    # The check really fails when the answers cannot finish within the token budget.
    for questions in (1, 3):
        with pytest.raises(ModelCheckError, match=f"stop token in {questions} of {questions}"):
            check_gguf(
                gguf,
                model_data / "val.jsonl",
                CheckConfig(max_tokens=1, n_threads=LLAMA_TEST_THREADS, questions=questions),
            )


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA (bitsandbytes QLoRA)")
def test_qlora_on_cuda(tmp_path: Path, smollm2_base_dir: Path, model_data: Path) -> None:
    cfg = replace(SMOKE, qlora=True, optim="paged_adamw_8bit", max_steps=2, save_steps=2)
    summary = train(train_paths(tmp_path, smollm2_base_dir, model_data), cfg)
    assert summary["global_step"] == 2 and summary["config"]["qlora"] is True
    assert (tmp_path / "adapter" / "adapter_model.safetensors").is_file()
