"""Every rule declares a conda env that lists what the rule's code really imports.

Conda is out of reach on the reference machine, so nothing else would notice a missing entry:
this test follows each rule's script through the `halops` modules it imports and checks that
every third-party top-level module maps to a dependency named in the env file.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO

RULES_DIR = REPO / "workflow" / "rules"
SRC = REPO / "workflow" / "src"
SCRIPTS = REPO / "workflow" / "scripts"
FIRST_PARTY = {"halops", "bot", "_halops_path"}
# import name -> names a conda or pip env may list it under
ALIASES = {
    "yaml": {"pyyaml"},
    "torch": {"pytorch", "torch"},
    "sklearn": {"scikit-learn"},
    "detect_secrets": {"detect-secrets"},
    "matplotlib": {"matplotlib", "matplotlib-base"},
    "llama_cpp": {"llama-cpp-python"},
    "sentence_transformers": {"sentence-transformers"},
    "snakemake": {"snakemake", "snakemake-minimal"},
    "tensorboard": {"tensorboard"},
    "google": {"protobuf"},
}
RULE_RE = re.compile(r"^rule (\w+):(.*?)(?=^rule |\Z)", re.S | re.M)


def rules_with_scripts() -> list[tuple[str, Path, Path]]:
    found = []
    for smk in sorted(RULES_DIR.glob("*.smk")):
        for name, body in RULE_RE.findall(smk.read_text()):
            env = re.search(r'conda:\s*\n\s*"([^"]+)"', body)
            script = re.search(r'script:\s*\n\s*"([^"]+)"', body)
            assert env, f"{smk.name}: rule {name} has no conda env"
            if script:
                found.append(
                    (name, (RULES_DIR / env.group(1)).resolve(), RULES_DIR / script.group(1))
                )
    return found


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def module_file(dotted: str) -> Path | None:
    base = SRC.joinpath(*dotted.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def third_party_imports(script: Path) -> set[str]:
    """Top-level third-party modules imported by a script, following halops modules."""
    seen: set[Path] = set()
    todo, found = [script], set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in imports_of(path):
            top = name.split(".")[0]
            if top in FIRST_PARTY:
                parts = name.split(".")
                for i in range(len(parts), 0, -1):
                    if (file := module_file(".".join(parts[:i]))) is not None:
                        todo.append(file)
                        break
            elif top not in STDLIB:
                found.add(top)
    return found


def env_dependencies(env_file: Path) -> set[str]:
    spec = yaml.safe_load(env_file.read_text())
    names: set[str] = set()
    for dep in spec.get("dependencies", []):
        entries = dep["pip"] if isinstance(dep, dict) else [dep]
        for entry in entries:
            names.add(re.split(r"[<>=!\[ ]", entry.strip())[0].lower())
    return names


STDLIB = set(__import__("sys").stdlib_module_names)


@pytest.mark.parametrize(("rule", "env_file", "script"), rules_with_scripts(), ids=lambda v: str(v))
def test_env_lists_every_import(rule: str, env_file: Path, script: Path) -> None:
    assert env_file.exists(), f"rule {rule}: {env_file} missing"
    declared = env_dependencies(env_file)
    missing = {
        module
        for module in third_party_imports(script)
        if not (ALIASES.get(module, {module.replace("_", "-")}) | {module}) & declared
    }
    assert not missing, f"rule {rule}: {env_file.name} lacks {sorted(missing)}"


def test_every_rule_has_log_and_conda() -> None:
    for smk in sorted(RULES_DIR.glob("*.smk")):
        for name, body in RULE_RE.findall(smk.read_text()):
            assert "log:" in body, f"{smk.name}: rule {name} has no log"
            assert "conda:" in body, f"{smk.name}: rule {name} has no conda env"
