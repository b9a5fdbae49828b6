"""The package layers, enforced: a forbidden import fails the build.

`LAYERS` is the picture (the README shows it, and the rules below as `rules_picture()` writes
them; a test keeps both copies equal). The rest of `halops` (the pipeline stages) may import
only `halops` and the contract, never the agent. Every import counts, also ones inside
functions, `TYPE_CHECKING` blocks and lazy `__getattr__` re-exports: a lazy import is still a
dependency.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# Arrows point at what a layer may import; packages side by side do not import each other.
LAYERS = """\
    bot.app                    the one place the bot is assembled
       |
       v
    bot.slack / bot.listeners  halops.eval   (Slack and the eval both drive the agent)
          |                    |
          +---------+----------+
                    v
                bot.agent                    the loop: model -> policy -> approval -> tool
                    |
          +---------+----------+-------------+
          v         v          v             v
    bot.safety  bot.tools  bot.retrieval  bot.serve     (none of them imports another)
          |         |          |             |
          +---------+----------+-------------+-----> bot.database (the bot's SQLite file)
                    v
    halops.contract        tool-call format, prompt layout, tool specs, scrubber, config
                           loader; imports nothing of the project (the pipeline stages,
                           halops.*, import only it and each other)
"""
PACKAGE_ROOTS = {"halops": REPO / "workflow" / "src" / "halops", "bot": REPO / "bot"}


def module_name(path: Path, roots: dict[str, Path]) -> str:
    """Dotted module name of a project file (`bot/agent/loop.py` -> `bot.agent.loop`)."""
    for top, root in roots.items():
        if path.is_relative_to(root):
            parts = [top, *path.relative_to(root).with_suffix("").parts]
            return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
    raise ValueError(path)


def project_imports(path: Path) -> Iterator[str]:
    """Every absolute `bot…`/`halops…` module the file imports, wherever the import sits."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        else:
            continue
        yield from (name for name in names if name.split(".")[0] in PACKAGE_ROOTS)


def all_edges(roots: dict[str, Path] = PACKAGE_ROOTS) -> list[tuple[str, str, str]]:
    """(importer module, imported module, file) for every project import under `roots`."""
    edges = []
    for root in roots.values():
        for path in sorted(root.rglob("*.py")):
            importer = module_name(path, roots)
            for imported in project_imports(path):
                edges.append((importer, imported, str(path.relative_to(root.parent))))
    return edges


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


# (rule, importer package, forbidden imported packages, exceptions allowed to the importer)
RULES = [
    (
        "the contract imports nothing of the project",
        "halops.contract",
        ["halops", "bot"],
        ["halops.contract"],
    ),
    ("bot imports halops only through the contract", "bot", ["halops"], ["halops.contract"]),
    ("pipeline stages never import the agent", "halops", ["bot"], []),
    ("the agent never imports Slack", "bot.agent", ["bot.slack", "bot.listeners", "bot.app"], []),
    ("tools never import safety", "bot.tools", ["bot.safety", "bot.agent"], []),
    ("safety never imports tools", "bot.safety", ["bot.tools", "bot.agent"], []),
    ("retrieval is a leaf", "bot.retrieval", ["bot.agent", "bot.safety", "bot.tools"], []),
    ("listeners never assemble the app", "bot.listeners", ["bot.app"], []),
    ("Slack glue never imports the app", "bot.slack", ["bot.app"], []),
    ("the running bot never imports its dev tools", "bot", ["bot.devtools"], []),
]
# Importers exempt from a rule because they sit above it by design.
EXEMPT = {
    "pipeline stages never import the agent": ["halops.eval", "halops.cli"],
    "the running bot never imports its dev tools": ["bot.devtools"],
}
# Single edges allowed across a rule: augmentation checks its pairs with the real command policy.
PERMITTED = {("halops.augment", "bot.safety")}


def violations(
    rule: str, importer_pkg: str, forbidden: list[str], allowed: list[str], edges=None
) -> list[str]:
    exempt = EXEMPT.get(rule, [])
    found = []
    for importer, imported, where in all_edges() if edges is None else edges:
        if not within(importer, importer_pkg) or any(within(importer, e) for e in exempt):
            continue
        if any(within(imported, a) for a in allowed):
            continue
        if any(within(importer, i) and within(imported, d) for i, d in PERMITTED):
            continue
        if any(within(imported, f) for f in forbidden):
            found.append(f"{where}: {importer} imports {imported}")
    return found


def rules_picture() -> str:
    """One line per rule, as the README lists them under the picture."""
    width = max(len(importer) for _, importer, _, _ in RULES)
    lines = []
    for rule, importer, forbidden, allowed in RULES:
        line = f"{importer:<{width}}  never imports {', '.join(forbidden)}"
        if allowed:
            line += f" (but {', '.join(allowed)})"
        if rule in EXEMPT:
            line += f"; exempt: {', '.join(EXEMPT[rule])}"
        lines.append(line)
    lines += [f"{importer:<{width}}  may import {imported}" for importer, imported in PERMITTED]
    return "\n".join(lines) + "\n"


def test_the_readme_shows_the_layers_and_the_rules():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"```text\n{LAYERS}```" in readme, "README: copy LAYERS from tests/test_architecture.py"
    assert f"```text\n{rules_picture()}```" in readme, (
        "README: paste the output of `python -m tests.test_architecture` under the picture"
    )


# Rules known to fail, kept as strict xfails until their fix lands (none at the moment).
PENDING: set[str] = set()


@pytest.mark.parametrize(
    ("rule", "importer", "forbidden", "allowed"),
    [
        pytest.param(*r, marks=pytest.mark.xfail(strict=True, reason="issue 14.2"))
        if r[0] in PENDING
        else r
        for r in RULES
    ],
    ids=[r[0] for r in RULES],
)
def test_layer_rule_holds(rule, importer, forbidden, allowed):
    assert violations(rule, importer, forbidden, allowed) == []


def test_a_forbidden_import_is_found(tmp_path):
    # The check itself must be able to fail: plant a lazy bot -> halops.curate import.
    fake_bot = tmp_path / "bot"
    (fake_bot / "agent").mkdir(parents=True)
    (fake_bot / "agent" / "x.py").write_text("def f():\n    from halops.curate import common\n")
    (fake_bot / "agent" / "y.py").write_text("from halops.contract.toolcall import ToolCall\n")
    edges = all_edges({"bot": fake_bot})
    rule = RULES[1]
    assert violations(*rule, edges=edges) == ["bot/agent/x.py: bot.agent.x imports halops.curate"]


def test_the_evaluation_reaches_no_transport_library():
    # bot.agent.factories exists so that the eval's env need not install SSH/IPMI libraries.
    from halops.codedeps import third_party_modules

    modules = third_party_modules(REPO / "workflow" / "scripts" / "eval.py")
    assert not {"paramiko", "pyghmi"} & set(modules)


if __name__ == "__main__":
    print(f"```text\n{LAYERS}```\n\n```text\n{rules_picture()}```")
