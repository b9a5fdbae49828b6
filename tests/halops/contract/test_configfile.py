"""The one config-file loader: file -> YAML -> schema (with its defaults) -> errors naming
file and field. Every config of both halves goes through it."""

from __future__ import annotations

import re
from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from halops.contract.configfile import (
    ConfigFileError,
    load_config,
    read_yaml,
    schema_defaults,
    validated,
)

SCHEMA = """
type: object
additionalProperties: false
required: [name]
properties:
  name: {type: string, description: a name}
  retries: {type: integer, minimum: 0, default: 3, description: how often}
  limits:
    type: object
    description: nested
    properties:
      depth: {type: integer, default: 2, description: how deep}
      tags: {type: array, default: [], description: labels}
"""


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("schema") / "thing.schema.yaml"
    path.write_text(SCHEMA)
    return path


def test_absent_keys_get_the_schema_defaults_nested_too(schema: Path) -> None:
    data = {"name": "x", "limits": {}}
    assert validated(data, schema, "<t>") == {
        "name": "x",
        "retries": 3,
        "limits": {"depth": 2, "tags": []},
    }
    assert data == {"name": "x", "limits": {}}  # the caller's data is not changed


def test_given_values_win_over_defaults_and_defaults_are_not_shared(schema: Path) -> None:
    first = validated({"name": "a", "retries": 0, "limits": {}}, schema, "<t>")
    assert first["retries"] == 0
    first["limits"]["tags"].append("changed")
    assert validated({"name": "b", "limits": {}}, schema, "<t>")["limits"]["tags"] == []
    assert schema_defaults(schema) == {"retries": 3}
    assert schema_defaults(schema, "limits") == {"depth": 2, "tags": []}


def test_every_violation_is_one_line_naming_source_and_field(schema: Path) -> None:
    with pytest.raises(ConfigFileError) as caught:
        validated({"retries": -1, "limits": {"depth": "deep"}, "extra": 1}, schema, "f.yaml")
    lines = str(caught.value).splitlines()
    assert sorted(lines) == [
        "f.yaml: (top level): 'name' is a required property",
        "f.yaml: (top level): Additional properties are not allowed ('extra' was unexpected)",
        "f.yaml: limits/depth: 'deep' is not of type 'integer'",
        "f.yaml: retries: -1 is less than the minimum of 0",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [("name: [unclosed\n", "cannot read thing"), (None, "cannot read thing")],
    ids=["bad yaml", "missing file"],
)
def test_an_unreadable_file_names_itself(tmp_path: Path, schema: Path, text, message) -> None:
    path = tmp_path / "thing.yaml"
    if text is not None:
        path.write_text(text)

    class ThingError(ValueError):
        pass

    with pytest.raises(ThingError, match=rf"^{re.escape(str(path))}: {message}"):
        load_config(path, schema, ThingError, "thing")


def test_a_good_file_loads_with_defaults(tmp_path: Path, schema: Path) -> None:
    path = tmp_path / "thing.yaml"
    path.write_text("name: ok\n")
    assert load_config(path, schema) == {"name": "ok", "retries": 3}
    assert read_yaml(path) == {"name": "ok"}


PLAIN = jsonschema.Draft202012Validator(yaml.safe_load(SCHEMA))


# The machine is shared: no time limit on an example (the brief: no upper limits on time).
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(["name", "retries", "x"]), st.integers() | st.text()))
def test_validation_agrees_with_jsonschema(schema: Path, data) -> None:
    try:
        validated(data, schema, "<t>")
        accepted = True
    except ConfigFileError:
        accepted = False
    assert accepted == PLAIN.is_valid(data)
