"""llama.cpp's HF -> GGUF converter, fetched once at setup, found by the `gguf` step.

`convert_hf_to_gguf.py` is not in the `gguf` package; it is in the llama-cpp-python sdist of the
*installed* version (`vendor/llama.cpp/`), so the GGUF it writes matches the llama.cpp that
quantizes and serves it. `bash .ci/setup.sh` runs `halops fetch-converter`, which downloads that
sdist with pip into a per-user cache (outside the repository, beside setup's llama.cpp wheels)
and extracts only the converter's files. The pipeline never downloads at run time: a missing
converter stops the `gguf` step with the command that fetches it.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tarfile
import tempfile
from importlib.metadata import version as installed_version
from pathlib import Path

log = logging.getLogger(__name__)

DISTRIBUTION = "llama-cpp-python"
SCRIPT = "convert_hf_to_gguf.py"
# What the converter needs from the sdist's vendor/llama.cpp: the script, its model classes
# (`conversion/`) and the `gguf-py` it inserts into sys.path itself.
CONVERTER_PARTS = (SCRIPT, "conversion/", "gguf-py/")
FETCH_COMMAND = "bash .ci/setup.sh (or: .venv/bin/halops fetch-converter)"


class ConverterMissingError(FileNotFoundError):
    """The converter of the installed llama-cpp-python was never fetched into the cache."""


def llama_cpp_version() -> str:
    return installed_version(DISTRIBUTION)


def default_cache_dir() -> Path:
    """The per-user cache setup.sh also keeps its llama.cpp wheels in (XDG layout)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "halops" / "llama-cpp-sdist"


def cache_dir_from_config(value: str | None) -> Path:
    """`model.converter_cache` of config.yaml: null means the per-user cache."""
    return Path(value).expanduser() if value else default_cache_dir()


def converter_dir(cache_dir: Path, version: str | None = None) -> Path:
    return cache_dir / f"llama.cpp-{version or llama_cpp_version()}"


def find_converter(cache_dir: Path, version: str | None = None) -> Path:
    """The fetched `vendor/llama.cpp` folder for `version` (default: the installed one)."""
    target = converter_dir(cache_dir, version)
    if not (target / SCRIPT).is_file():
        raise ConverterMissingError(
            f"{target / SCRIPT}: llama.cpp's converter for {DISTRIBUTION} "
            f"{version or llama_cpp_version()} was not fetched; run {FETCH_COMMAND} "
            "(pipeline steps never download)"
        )
    return target


def fetch_converter(cache_dir: Path, version: str | None = None) -> Path:
    """Download the sdist for `version` (default: the installed one) unless cached; extract
    the converter's files; return their folder."""
    version = version or llama_cpp_version()
    target = converter_dir(cache_dir, version)
    if (target / SCRIPT).is_file():
        return target
    sdist = _download_sdist(cache_dir, version)
    _extract_converter(sdist, target)
    return target


def _download_sdist(cache_dir: Path, version: str) -> Path:
    cache_dir.mkdir(parents=True, exist_ok=True)
    name = f"llama_cpp_python-{version}.tar.gz"
    if not (cache_dir / name).is_file():
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]
        command += [f"{DISTRIBUTION}=={version}", "-d", str(cache_dir)]
        log.info("fetching the llama.cpp converter: %s", " ".join(command))
        subprocess.run(command, check=True, capture_output=True, text=True)
    return cache_dir / name


def _extract_converter(sdist: Path, target: Path) -> None:
    with tarfile.open(sdist) as archive:
        prefix = f"{archive.getmembers()[0].name.split('/')[0]}/vendor/llama.cpp/"
        wanted = [
            member
            for member in archive.getmembers()
            if member.isfile()
            and member.name.startswith(prefix)
            and member.name[len(prefix) :].startswith(CONVERTER_PARTS)
        ]
        if not wanted:
            raise RuntimeError(f"{sdist}: no vendor/llama.cpp/{SCRIPT} inside")
        staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=".extract-"))
        for member in wanted:
            member.name = member.name[len(prefix) :]
            archive.extract(member, staging, filter="data")
    staging.rename(target)  # atomic: a half-extracted folder is never mistaken for a cache hit


def configured_cache_dir(config_dir: Path) -> Path:
    """The cache `model.converter_cache` of `config_dir/config.yaml` names, if that exists."""
    import yaml  # only the setup command reads config.yaml; the rules' envs need no PyYAML

    config = config_dir / "config.yaml"
    model = yaml.safe_load(config.read_text()).get("model", {}) if config.is_file() else {}
    return cache_dir_from_config(model.get("converter_cache"))


def cli_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="halops fetch-converter",
        description="Fetch llama.cpp's convert_hf_to_gguf.py for the installed llama-cpp-python "
        "(setup.sh runs this; the gguf pipeline step only reads the cache).",
    )
    parser.add_argument("--cache", type=Path, help="cache folder (default: config's cache)")
    parser.add_argument(
        "--config-dir", type=Path, default=Path("config"), help="folder of config.yaml"
    )
    args = parser.parse_args(argv)
    cache = args.cache or configured_cache_dir(args.config_dir)
    print(f"llama.cpp converter: {fetch_converter(cache) / SCRIPT}")
    return 0
