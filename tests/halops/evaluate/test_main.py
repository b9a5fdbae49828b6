"""The entry point's small pieces: CLI overrides, SIGTERM handling, settings text."""

from __future__ import annotations

import os
import signal

import pytest
import yaml

from halops.evaluate.main import (
    model_option,
    overridden,
    parse_args,
    settings_text,
    stop_servers_on_sigterm,
)
from halops.evaluate.runner import EvalSettings
from tests.conftest import REPO

SCHEMA = REPO / "workflow" / "schemas" / "config.eval.schema.yaml"


def test_cli_overrides_replace_only_what_was_given() -> None:
    section = {"k": 1, "max_cases": None, "models": [], "retrieval": [False, True]}
    args = parse_args(["--k", "3", "--model", "base=embedded", "--retrieval", "on"])
    assert overridden(section, args) == {
        "k": 3,
        "max_cases": None,
        "models": [{"name": "base", "gguf": "embedded"}],
        "retrieval": [True],
    }
    with pytest.raises(SystemExit, match="NAME=GGUF"):
        model_option("embedded")


def test_sigterm_becomes_system_exit_so_servers_are_stopped() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(SystemExit, match="stopped by signal"), stop_servers_on_sigterm():
        os.kill(os.getpid(), signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) == before


def test_settings_text_names_models_modes_and_k() -> None:
    text = settings_text(EvalSettings(k=3, retrieval=(False, True)), n_cases=5, n_turns=2)
    assert text.startswith("5 cases × k=3 trials; models: base (`embedded`); without retrieval")
    assert "with retrieval" in text


def test_schema_fragment_describes_every_key_and_requires_all() -> None:
    section = yaml.safe_load(SCHEMA.read_text(encoding="utf-8"))["eval"]
    assert section["additionalProperties"] is False
    assert set(section["required"]) == set(section["properties"])
    for name, prop in section["properties"].items():
        assert prop.get("description"), name


def test_a_config_section_validates_and_loads() -> None:
    import jsonschema

    from tests.halops.evaluate.test_eval_real import FRAGMENT

    section = yaml.safe_load(SCHEMA.read_text(encoding="utf-8"))["eval"]
    jsonschema.Draft202012Validator(section).validate(FRAGMENT)
    settings = EvalSettings.from_config(FRAGMENT)
    assert (settings.k, settings.retrieval, settings.models[0].gguf) == (2, (False,), "embedded")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(section).validate({**FRAGMENT, "k": 0})
