"""The `augment` config section: schema, comments, and the typed views built from it."""

from __future__ import annotations

import itertools

import jsonschema
import pytest
import yaml
from referencing import Registry, Resource

from halops.augment.config import PAIR_KINDS, PairsConfig, SyntheticConfig
from halops.model.dpo import DPOTrainConfig
from tests.conftest import REPO

SCHEMA_FILE = REPO / "workflow" / "schemas" / "config.augment.schema.yaml"
SCHEMA = yaml.safe_load(SCHEMA_FILE.read_text())
CONFIG = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
AUGMENT = CONFIG["augment"]


def validator() -> jsonschema.Draft202012Validator:
    # The section is validated as a fragment of its file, so "#/$defs/..." resolves there.
    resource = Resource.from_contents({**SCHEMA, "$schema": SCHEMA["$schema"]})
    registry = Registry().with_resource("augment.yaml", resource)
    return jsonschema.Draft202012Validator({"$ref": "augment.yaml#/augment"}, registry=registry)


def test_section_validates_and_is_off_by_default() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA["augment"])
    validator().validate(AUGMENT)
    assert AUGMENT["enabled"] is False and AUGMENT["synthetic"]["base_url"] is None
    assert CONFIG["model"]["profile"] in AUGMENT["dpo"]["profiles"]


def test_bad_values_are_refused() -> None:
    bad = {**AUGMENT, "pairs": {**AUGMENT["pairs"], "kinds": ["recovery", "guess"]}}
    with pytest.raises(jsonschema.ValidationError):
        validator().validate(bad)
    profile = {**AUGMENT["dpo"]["profiles"]["cpu-smoke"], "beta": 0}
    with pytest.raises(jsonschema.ValidationError):
        validator().validate({**AUGMENT, "dpo": {"profiles": {"cpu-smoke": profile}}})


def test_every_schema_key_is_described() -> None:
    def walk(node: dict, where: str) -> None:
        for key, sub in node.get("properties", {}).items():
            assert sub.get("description"), f"{where}.{key} has no description"
            walk(sub, f"{where}.{key}")
        for name in ("additionalProperties", "items"):
            extra = node.get(name)
            if isinstance(extra, dict):
                assert extra.get("description"), f"{where}.{name} has no description"
                walk(extra, f"{where}.{name}")

    walk(SCHEMA["augment"], "augment")
    for name, definition in SCHEMA["$defs"].items():
        walk(definition, f"$defs.{name}")


def test_every_key_has_a_comment() -> None:
    lines = (REPO / "config" / "config.yaml").read_text().splitlines()
    start = lines.index("augment:")
    end = next((i for i in range(start + 1, len(lines)) if lines[i][:1].isalpha()), len(lines))
    for previous, line in itertools.pairwise(lines[start:end]):
        stripped = line.strip()
        if ":" in stripped and not stripped.startswith("#"):
            assert previous.strip().startswith("#"), f"no comment above {stripped!r}"


@pytest.mark.parametrize("name", sorted(AUGMENT["dpo"]["profiles"]))
def test_dpo_profiles_build(name: str) -> None:
    cfg = DPOTrainConfig.from_dict(AUGMENT["dpo"]["profiles"][name])
    assert cfg.beta > 0 and cfg.loading().qlora == cfg.qlora


def test_dpo_profiles_match_model_profiles() -> None:
    assert set(AUGMENT["dpo"]["profiles"]) <= set(CONFIG["model"]["profiles"])


def test_typed_views() -> None:
    pairs = PairsConfig.from_dict(AUGMENT["pairs"])
    assert pairs.kinds == PAIR_KINDS and pairs.tiers == ("A", "B", "C")
    synthetic = SyntheticConfig.from_dict(AUGMENT["synthetic"])
    assert synthetic.endpoint is None  # base_url null: nothing is asked
    on = SyntheticConfig.from_dict({**AUGMENT["synthetic"], "base_url": "http://127.0.0.1:1/v1"})
    assert on.endpoint is not None and on.endpoint.model == "local"
    with pytest.raises(ValueError, match="unknown"):
        DPOTrainConfig.from_dict({"betta": 0.1})
    with pytest.raises(ValueError, match="max_train_share"):
        SyntheticConfig.from_dict({"max_train_share": 1.0})


@pytest.mark.parametrize("dtype", ["auto", "float32"])  # bfloat16 weights need a GPU
def test_dpo_and_sft_share_the_training_arguments(tmp_path, dtype: str) -> None:
    """DPO runs the same CPU/GPU code path as SFT: for equal settings the two trainers get
    the same schedule, batch, precision (bf16 autocast on a CPU that has it) and checkpoints;
    only the objective's own arguments differ."""
    from halops.model.dpo import dpo_config
    from halops.model.train import TrainConfig, sft_config

    common = dict(
        learning_rate=3e-5, lr_scheduler_type="linear", warmup_ratio=0.1, num_train_epochs=2.0,
        max_steps=7, max_length=256, per_device_train_batch_size=2,
        gradient_accumulation_steps=3, gradient_checkpointing=False, optim="adamw_torch",
        dtype=dtype, logging_steps=2, eval_steps=5, save_steps=5, save_total_limit=1, seed=9,
    )  # fmt: skip
    sft = sft_config(TrainConfig(**common), tmp_path).to_dict()
    dpo = dpo_config(DPOTrainConfig(**common, beta=0.3), tmp_path, has_eval=True).to_dict()
    own = {"loss_type", "max_length", "include_num_input_tokens_seen"}  # the objectives' own
    shared = set(sft) & set(dpo) - own
    different = {k: (sft[k], dpo[k]) for k in shared if sft[k] != dpo[k]}
    assert different == {}
    assert dpo["beta"] == 0.3 and (sft["bf16"], sft["use_cpu"]) == (dpo["bf16"], dpo["use_cpu"])
