"""Config files, one way for both halves: read the file, parse the YAML, validate it against its
JSON Schema, fill in the schema's `default`s, and fail with an error naming the file and the
field.

The schema is the one place a key's type, range, description and default are written: the
dataclasses built from the result do not repeat defaults (use `schema_defaults` where code
needs one outside a file). Schemas may `$ref` other schema files next to them (the pipeline's
config schema does), resolved the way Snakemake resolves them.
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from urllib.request import url2pathname

import jsonschema
import yaml
from referencing import Registry, Resource


class ConfigFileError(ValueError):
    """A config file is unreadable or does not match its schema."""


def read_yaml(path: str | Path, error: type[Exception] = ConfigFileError, what: str = "config"):
    """The parsed YAML of `path`; an unreadable file or bad YAML raises `error` naming it."""
    try:
        return yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise error(f"{path}: cannot read {what}: {exc}") from exc


def load_config(
    path: str | Path,
    schema_path: Path,
    error: type[Exception] = ConfigFileError,
    what: str = "config",
) -> Any:
    """`read_yaml` then `validated`: the file's data, checked, with the schema's defaults."""
    return validated(read_yaml(path, error, what), schema_path, str(path), error)


def validated(
    data: Any, schema_path: Path, source: str, error: type[Exception] = ConfigFileError
) -> Any:
    """A copy of `data` with the schema's defaults filled in; raises `error` with one line per
    violation, `<source>: <field/path>: <message>`."""
    found = problems(data, schema_path)
    if found:
        raise error("\n".join(f"{source}: {problem}" for problem in found))
    return with_defaults(copy.deepcopy(data), schema_validator(schema_path).schema)


def problems(data: Any, schema_path: Path) -> list[str]:
    """Every violation of the schema as `<field/path>: <message>`, in path order."""
    errors = schema_validator(schema_path).iter_errors(data)
    return [
        f"{field_path(e)}: {e.message}"
        for e in sorted(errors, key=lambda e: list(map(str, e.absolute_path)))
    ]


def field_path(error: jsonschema.ValidationError) -> str:
    return "/".join(str(part) for part in error.absolute_path) or "(top level)"


def schema_defaults(schema_path: Path, *section: str) -> dict[str, Any]:
    """The `default`s of a schema's keys (of the object at `section`, a path of keys), for code
    that builds a config itself rather than from a file."""
    schema = schema_validator(schema_path).schema
    for key in section:
        schema = schema["properties"][key]
    properties = schema.get("properties", {})
    return {k: copy.deepcopy(p["default"]) for k, p in properties.items() if "default" in p}


def with_defaults(data: Any, schema: dict[str, Any]) -> Any:
    """Fill the `default` of every absent property, in nested objects too. jsonschema only
    validates; its documented way to fill defaults (extending the `properties` validator)
    fills them while validating, also inside `anyOf` branches that then fail, so this runs on
    valid data afterwards instead."""
    if not isinstance(data, dict):
        return data
    for key, sub in schema.get("properties", {}).items():
        if key not in data and "default" in sub:
            data[key] = copy.deepcopy(sub["default"])
        if key in data:
            with_defaults(data[key], sub)
    return data


@cache
def schema_validator(schema_path: Path) -> Any:
    """A Draft 2020-12 validator whose relative `$ref`s resolve next to the schema file."""
    schema_path = Path(schema_path).resolve()
    schema = _read_schema(schema_path)
    schema["$id"] = schema_path.as_uri()

    def retrieve(uri: str) -> Resource:
        return Resource.from_contents(_read_schema(Path(url2pathname(urlparse(uri).path))))

    registry: Registry = Registry(retrieve=retrieve)  # type: ignore[call-arg]
    return jsonschema.Draft202012Validator(schema, registry=registry)


# Our own schema files, read at every DAG build (~20 of them): libyaml's parser where PyYAML
# has it (the same safe constructor, a fifth of the time), else the pure-Python one.
_SCHEMA_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_schema(path: Path) -> dict[str, Any]:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_SCHEMA_LOADER)
