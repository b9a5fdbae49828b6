"""The entry point's small pieces: CLI overrides, SIGTERM handling, settings text."""

from __future__ import annotations

import os
import signal

import pytest
import yaml

from halops.eval.main import (
    EvalInputs,
    comparison,
    model_option,
    overridden,
    parse_args,
    settings_text,
    stop_servers_on_sigterm,
)
from halops.eval.runner import Configuration, EvalSettings, ModelSpec
from tests.conftest import REPO

SCHEMA = REPO / "workflow" / "schemas" / "config.eval.schema.yaml"


def test_cli_overrides_replace_only_what_was_given() -> None:
    section = {"k": 1, "max_cases": None, "models": [], "configurations": []}
    args = parse_args(["--k", "3", "--model", "base=embedded"])
    assert overridden(section, args) == {
        "k": 3,
        "max_cases": None,
        "models": [{"name": "base", "gguf": "embedded"}],
        "configurations": [{"model": "base", "retrieval": False, "grammar": True, "heldout": True}],
    }
    assert overridden(section, parse_args([])) == section
    with pytest.raises(SystemExit, match="NAME=GGUF"):
        model_option("embedded")


def test_section_paths_are_relative_to_the_project_root(tmp_path) -> None:
    section = yaml.safe_load((REPO / "config" / "config.yaml").read_text())["eval"]
    inputs = EvalInputs.from_section(section, tmp_path)
    assert inputs.cases == tmp_path / "config" / "eval" / "cases.jsonl"
    assert inputs.lab_recordings == tmp_path / "results" / "lab" / "recordings.jsonl"


def test_the_shipped_eval_runs_every_case_in_the_four_configurations() -> None:
    section = yaml.safe_load((REPO / "config" / "config.yaml").read_text())["eval"]
    settings = EvalSettings.from_config(section)
    assert settings.max_cases is None and settings.heldout_max_turns == 150
    assert [c.label for c in settings.configurations] == [
        "base",
        "finetuned",
        "finetuned + RAG",
        "finetuned, no grammar",
    ]
    assert comparison(settings) == ("base", "finetuned")


def test_sigterm_becomes_system_exit_so_servers_are_stopped() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(SystemExit, match="stopped by signal"), stop_servers_on_sigterm():
        os.kill(os.getpid(), signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) == before


def test_settings_text_names_models_configurations_and_k() -> None:
    settings = EvalSettings(
        models=(ModelSpec("base", "embedded"),),
        configurations=(Configuration("base"), Configuration("base", retrieval=True)),
        k=3,
    )
    text = settings_text(settings, n_cases=5, n_turns=2)
    assert text.startswith(
        "5 cases × k=3 trials; models: base (`embedded`); configurations: base, base + RAG;"
    )
    assert "simulated lab" in text and "2 held-out turns" in text


def test_schema_fragment_describes_every_key_and_requires_all() -> None:
    section = yaml.safe_load(SCHEMA.read_text(encoding="utf-8"))["eval"]
    assert section["additionalProperties"] is False
    assert set(section["required"]) == set(section["properties"])
    for name, prop in section["properties"].items():
        assert prop.get("description"), name


def test_a_config_section_validates_and_loads() -> None:
    import jsonschema

    from tests.halops.eval.test_eval_real import FRAGMENT

    section = yaml.safe_load(SCHEMA.read_text(encoding="utf-8"))["eval"]
    jsonschema.Draft202012Validator(section).validate(FRAGMENT)
    settings = EvalSettings.from_config(FRAGMENT)
    assert (settings.k, settings.models[0].gguf) == (2, "embedded")
    assert settings.configurations == (Configuration("base"), Configuration("base", grammar=False))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(section).validate({**FRAGMENT, "k": 0})


def test_the_cli_reads_config_yaml_of_the_config_dir(tmp_path, capsys) -> None:
    from halops.eval.main import cli_main

    folder = tmp_path / "config"
    folder.mkdir()
    (folder / "config.yaml").write_text("samplegen: {}\n")
    assert cli_main(["--config-dir", str(folder)]) == 2
    assert capsys.readouterr().err == (
        f"halops eval: {folder / 'config.yaml'} has no `eval:` section\n"
    )


def test_outputs_are_named_files_in_one_folder(tmp_path) -> None:
    from halops.eval.main import EvalOutputs

    outputs = EvalOutputs.under(tmp_path)
    names = [path.relative_to(tmp_path).as_posix() for path in vars(outputs).values()]
    assert names == [
        "scores.parquet", "report.md", "outcomes.png", "categories.png", "heldout.png",
        "summary.txt",
    ]  # fmt: skip
