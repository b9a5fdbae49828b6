"""llama.cpp's converter: fetched at setup into a cache, only read by the gguf step."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from halops.model.converter import (
    SCRIPT,
    ConverterMissingError,
    cache_dir_from_config,
    configured_cache_dir,
    default_cache_dir,
    fetch_converter,
    find_converter,
)
from halops.model.gguf import export_gguf


def write_sdist(cache: Path, version: str, members: dict[str, bytes]) -> Path:
    """An sdist tarball laid out like llama-cpp-python's (one top folder), built by hand."""
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"llama_cpp_python-{version}.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(f"llama_cpp_python-{version}/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_a_cached_sdist_yields_only_the_converter_parts(tmp_path: Path) -> None:
    write_sdist(
        tmp_path,
        "9.9.9",
        {
            f"vendor/llama.cpp/{SCRIPT}": b"print('convert')\n",
            "vendor/llama.cpp/conversion/llama.py": b"",
            "vendor/llama.cpp/gguf-py/gguf/__init__.py": b"",
            "vendor/llama.cpp/src/llama.cpp": b"// not needed",
            "llama_cpp/__init__.py": b"",
        },
    )
    folder = fetch_converter(tmp_path, "9.9.9")  # the tarball is there: no pip download
    assert folder == tmp_path / "llama.cpp-9.9.9" == find_converter(tmp_path, "9.9.9")
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert files == sorted([SCRIPT, "conversion/llama.py", "gguf-py/gguf/__init__.py"])
    assert not list(tmp_path.glob(".extract-*"))


def test_an_sdist_without_the_converter_is_refused_and_not_cached(tmp_path: Path) -> None:
    write_sdist(tmp_path, "9.9.9", {"README.md": b"nothing here"})
    with pytest.raises(RuntimeError, match=f"no vendor/llama.cpp/{SCRIPT} inside"):
        fetch_converter(tmp_path, "9.9.9")
    with pytest.raises(ConverterMissingError):
        find_converter(tmp_path, "9.9.9")


def test_a_missing_converter_names_the_setup_command(tmp_path: Path) -> None:
    with pytest.raises(ConverterMissingError) as error:
        find_converter(tmp_path / "empty", "9.9.9")
    message = str(error.value)
    assert str(tmp_path / "empty" / "llama.cpp-9.9.9" / SCRIPT) in message
    assert "bash .ci/setup.sh" in message and "halops fetch-converter" in message


def test_the_gguf_step_never_downloads(tmp_path: Path) -> None:
    # A merged folder that does not even exist: the missing converter must stop it first.
    with pytest.raises(ConverterMissingError, match="halops fetch-converter"):
        export_gguf(tmp_path / "merged", tmp_path / "out", ["Q4_K_M"], tmp_path / "cache")
    assert not (tmp_path / "cache").exists() and not (tmp_path / "out").exists()


def test_the_default_cache_is_per_user_outside_the_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "halops" / "llama-cpp-sdist"
    assert cache_dir_from_config(None) == default_cache_dir()
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "halops" / "llama-cpp-sdist"
    assert cache_dir_from_config("~/conv") == tmp_path / "home" / "conv"


def test_fetch_reads_the_cache_from_config(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("model:\n  converter_cache: /opt/conv\n")
    assert configured_cache_dir(tmp_path) == Path("/opt/conv")
    (tmp_path / "config.yaml").write_text("model:\n  converter_cache: null\n")
    assert configured_cache_dir(tmp_path) == default_cache_dir()
    assert configured_cache_dir(tmp_path / "no-config") == default_cache_dir()
