"""Validate a config file's data against its JSON Schema, naming the file and the field."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml


@cache
def load_schema(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def check_against_schema(
    data: Any, schema_path: Path, source: str, error: type[Exception] = ValueError
) -> None:
    """Raise `error("<source>: <field/path>: <message>")` on the first violation."""
    try:
        jsonschema.validate(data, load_schema(schema_path))
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(top level)"
        raise error(f"{source}: {where}: {exc.message}") from exc
