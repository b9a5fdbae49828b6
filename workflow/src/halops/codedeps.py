"""The project's own source files a rule script imports, followed transitively.

Snakemake reruns a rule when its `script:` changes, but not when a library module behind it
does. The rules list these files as inputs (`common.smk: code_inputs`) so that a change to,
say, `halops/contract/scrub/rules.py` reruns validate_split and what follows. The env-file test
walks the same imports to check that every third-party module is declared.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

WORKFLOW = Path(__file__).resolve().parents[2]
REPO = WORKFLOW.parent
# top-level package -> folder that holds it
PACKAGE_ROOTS = {"halops": WORKFLOW / "src", "bot": REPO}


def _is_lazy(node: ast.AST) -> bool:
    """Blocks whose imports do not run when the module is used: `if TYPE_CHECKING:` and a
    module `__getattr__` (lazy re-exports, which name what they load elsewhere anyway)."""
    if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
        return True
    return isinstance(node, ast.FunctionDef) and node.name == "__getattr__"


# Where statements nest (functions, classes, if/for/while/with/try/match bodies). An import is a
# statement, so only these are walked, not the expressions: ~10x fewer nodes for the DAG build.
_STATEMENT_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")


def _walk(node: ast.AST) -> Iterator[ast.AST]:
    """The statements under `node` (outside lazy blocks), depth first."""
    for name in _STATEMENT_FIELDS:
        for child in getattr(node, name, None) or ():
            if isinstance(child, ast.AST) and not _is_lazy(child):
                yield child
                yield from _walk(child)


def imported_names(path: Path) -> tuple[str, ...]:
    """Absolute module names imported by a file (`from a.b import c` yields a.b and a.b.c).
    Cached: every rule's `code_inputs` walks the shared modules again, and parsing them all
    once per rule cost the DAG build seconds."""
    return _imported_names(Path(path).resolve())


@cache
def _imported_names(path: Path) -> tuple[str, ...]:
    return tuple(_names_in(path))


def _names_in(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in _walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(path, node.module, node.level)
            if module is None:
                continue
            yield module
            yield from (f"{module}.{alias.name}" for alias in node.names)


def _absolute(path: Path, module: str | None, level: int) -> str | None:
    """The absolute name of `from <dots><module> import …` in `path` (`from .corpus import x`
    in halops/samplegen/__init__.py is halops.samplegen.corpus); None outside the project."""
    if level == 0:
        return module
    package = _package_of(path)
    if package is None or level > len(package):
        return None
    base = package[: len(package) - (level - 1)]
    return ".".join([*base, *([module] if module else [])])


def _package_of(path: Path) -> list[str] | None:
    """The dotted package a project file belongs to, as parts."""
    for root in PACKAGE_ROOTS.values():
        if path.is_relative_to(root):
            return list(path.relative_to(root).parent.parts)
    return None


def module_file(name: str) -> Path | None:
    """The project file of a dotted module name, or None for third-party and stdlib."""
    root = PACKAGE_ROOTS.get(name.split(".")[0])
    if root is None:
        return None
    base = root.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


@cache
def project_sources(script: Path) -> tuple[Path, ...]:
    """`script` and every project module it reaches through imports, sorted."""
    seen: set[Path] = set()
    todo = [script.resolve()]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in imported_names(path):
            parts = name.split(".")
            # Package __init__ files run on import too, so they count.
            for depth in range(1, len(parts) + 1):
                found = module_file(".".join(parts[:depth]))
                if found is not None and found not in seen:
                    todo.append(found)
    return tuple(sorted(seen))


def third_party_modules(script: Path) -> set[str]:
    """Top-level modules outside the project and the stdlib that the script's code imports."""
    import sys

    found = set()
    for path in project_sources(script):
        for name in imported_names(path):
            top = name.split(".")[0]
            if top not in PACKAGE_ROOTS and top not in sys.stdlib_module_names:
                found.add(top)
    return found - {"_halops_path"}
