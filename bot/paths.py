"""Where every `halops` command finds `config/` and `results/`: the working directory, or
`--config-dir`; never the folder the package was installed from.

Relative paths inside a config file resolve against the folder above the config folder (the
project root), so `results/...` in `config/agent.yaml` lands next to `config/`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

CONFIG_DIR_NAME = "config"


def config_dir(option: Path | None = None) -> Path:
    """`--config-dir` when given, else `./config` of the working directory (absolute)."""
    return (option if option is not None else Path.cwd() / CONFIG_DIR_NAME).resolve()


def project_root(config_folder: Path) -> Path:
    """The folder that holds `config/` and `results/`."""
    return config_folder.resolve().parent


def add_config_dir_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config-dir",
        type=Path,
        metavar="DIR",
        help="folder with the config files (default: ./config); results/ is next to it",
    )
