"""The pipeline config as the schema says it is: typed command-line overrides, readable errors.

Snakemake parses a nested `--config 'extract={max_line_bytes: 100000}'` with YAML's BaseLoader,
which leaves every nested value a string, so schema validation then fails with
`'100000' is not of type 'integer'`. `check_config` first gives such strings the type the
schema asks for at their place (only there, and only when the YAML reading of the string has
that type: `'100000'` becomes 100000 where an integer is wanted and stays a string where a
string is), then reports what is still wrong as one line per problem: the key's dotted path,
the value, and for a range error the range.

Validation itself is jsonschema's, through the one schema loader of the project
(`halops.contract.configfile`), with the same file-relative `$ref`s Snakemake resolves.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping, Sequence
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from halops.contract.configfile import schema_validator

# Rounds of fixing: a fixed string can reveal an error below it (a string that becomes a mapping).
MAX_ROUNDS = 10
BOUND_KEYWORDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")


class ConfigError(ValueError):
    """The config does not match its schema; one line per problem."""


def check_config(config: MutableMapping[str, Any], schema_path: Path) -> list[str]:
    """Type the string overrides in place, then raise ConfigError if anything is still wrong.

    Returns what was retyped ("extract.max_line_bytes: '100000' -> 100000"), for the log.
    """
    validator = schema_validator(Path(schema_path).resolve())
    retyped = type_overrides(config, validator)
    problems = [describe(error) for error in _errors(config, validator)]
    if problems:
        raise ConfigError(
            "config does not match workflow/schemas/config.schema.yaml:\n  - "
            + "\n  - ".join(problems)
        )
    return retyped


def type_overrides(config: MutableMapping[str, Any], validator: Any) -> list[str]:
    """Replace strings the schema wants as another type by their YAML reading; report each."""
    retyped: list[str] = []
    for _ in range(MAX_ROUNDS):
        fixes = [fix for error in _errors(config, validator) if (fix := _fix(error, validator))]
        if not fixes:
            break
        for path, old, new in fixes:
            _set(config, path, new)
            retyped.append(f"{_dotted(path)}: {old!r} -> {new!r}")
    return retyped


def describe(error: jsonschema.ValidationError) -> str:
    """One line: where, what value, what the schema wants (the range, for a range error)."""
    where = _dotted(error.absolute_path) or "(top level)"
    value = error.instance
    if error.validator in BOUND_KEYWORDS:
        return f"{where} = {value!r} is out of range: {_range(error.schema)}"
    if error.validator == "type":
        wanted = error.validator_value
        wanted = " or ".join(wanted) if isinstance(wanted, list) else wanted
        return f"{where} = {value!r} is not of type {wanted}"
    if error.validator == "enum":
        return f"{where} = {value!r} is not one of {error.validator_value}"
    return f"{where}: {error.message}"


def _range(schema: dict[str, Any]) -> str:
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    low_sign = ">" if "exclusiveMinimum" in schema else ">="
    high_sign = "<" if "exclusiveMaximum" in schema else "<="
    if low is not None and high is not None:
        return f"must be {low_sign} {low} and {high_sign} {high}"
    if low is not None:
        return f"must be {low_sign} {low}"
    return f"must be {high_sign} {high}"


def _fix(error: jsonschema.ValidationError, validator: Any) -> tuple[Any, str, Any] | None:
    """(path, old, new) when the error is a string whose YAML reading the schema accepts here."""
    if not isinstance(error.instance, str) or error.validator not in ("type", "anyOf", "oneOf"):
        return None
    try:
        candidate = yaml.safe_load(error.instance)
    except yaml.YAMLError:
        return None
    if isinstance(candidate, str):
        return None
    if error.validator == "type":
        wanted = error.validator_value
        wanted = wanted if isinstance(wanted, list) else [wanted]
        fits = any(validator.is_type(candidate, t) for t in wanted)
    else:
        fits = any(
            validator.evolve(schema=sub).is_valid(candidate) for sub in error.validator_value
        )
    return (list(error.absolute_path), error.instance, candidate) if fits else None


def _errors(config: Any, validator: Any) -> Iterator[jsonschema.ValidationError]:
    return iter(
        sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    )


def _set(config: MutableMapping[str, Any], path: Sequence[Any], value: Any) -> None:
    target: Any = config
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


def _dotted(path: Sequence[Any]) -> str:
    return ".".join(str(part) for part in path)
