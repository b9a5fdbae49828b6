"""Command-line overrides typed by the schema; errors that name the key and the range."""

from __future__ import annotations

import copy

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from halops.workflow_config import ConfigError, check_config
from tests.conftest import REPO

SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"
CONFIG = yaml.safe_load((REPO / "config" / "config.yaml").read_text())


def config(**overrides: dict) -> dict:
    """The shipped config with sections updated as Snakemake's --config merges them."""
    cfg = copy.deepcopy(CONFIG)
    for section, values in overrides.items():
        cfg[section] |= values
    return cfg


def test_the_shipped_config_needs_no_retyping() -> None:
    assert check_config(config(), SCHEMA) == []


@settings(deadline=None, max_examples=25)  # a whole-config validation per example
@given(st.integers(min_value=1024, max_value=10**12))
def test_integer_strings_become_integers(value: int) -> None:
    cfg = config(extract={"max_line_bytes": str(value)})
    assert check_config(cfg, SCHEMA) == [f"extract.max_line_bytes: '{value}' -> {value}"]
    assert cfg["extract"]["max_line_bytes"] == value


@pytest.mark.parametrize(
    ("section", "values", "expected"),
    [
        ("eval", {"max_cases": "2"}, 2),
        ("eval", {"max_cases": "null"}, None),
        ("eval", {"temperature": "0.5"}, 0.5),
        ("curate", {"include_thinking": "true"}, True),
        ("validate", {"near_dup_threshold": "0.9"}, 0.9),
    ],
)
def test_every_scalar_type(section: str, values: dict, expected: object) -> None:
    cfg = config(**{section: values})
    check_config(cfg, SCHEMA)
    [key] = values
    assert cfg[section][key] == expected and type(cfg[section][key]) is type(expected)


def test_a_string_the_schema_wants_stays_a_string() -> None:
    cfg = config(model={"base_model": "123"}, rag={"collection": "true-docs"})
    assert check_config(cfg, SCHEMA) == []
    assert cfg["model"]["base_model"] == "123"


def test_range_errors_say_the_range() -> None:
    with pytest.raises(ConfigError) as caught:
        check_config(config(extract={"max_line_bytes": "10", "shards": "5000"}), SCHEMA)
    assert str(caught.value).splitlines() == [
        "config does not match workflow/schemas/config.schema.yaml:",
        "  - extract.max_line_bytes = 10 is out of range: must be >= 1024",
        "  - extract.shards = 5000 is out of range: must be >= 1 and <= 4096",
    ]


def test_a_value_of_the_wrong_type_names_key_and_type() -> None:
    with pytest.raises(ConfigError, match=r"extract.shards = 'many' is not of type integer"):
        check_config(config(extract={"shards": "many"}), SCHEMA)


def test_unknown_keys_are_named() -> None:
    with pytest.raises(ConfigError, match=r"extract: Additional properties .*'shard' was"):
        check_config(config(extract={"shard": 3}), SCHEMA)
