"""The records package's layers import one way: types -> storage -> trail -> access -> facade.

Every module under ``workbench/records`` is parsed with ``ast`` (imports at
module level and inside functions alike: a function-level import is still a
dependency, it only runs later). Each import is mapped to the sub-package it
lands in; an import from a lower layer to a higher one fails, naming both
modules, and so does any cycle between sub-packages. The order and why are
written in each sub-package's docstring.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import workbench.records

PACKAGE = "workbench.records"
ROOT = Path(workbench.records.__file__).parent
#: Lowest first. "facade" is the package's own top-level modules (store, export, odm, demo, __init__);
#: "migrations" the alembic scripts, loaded by path by storage.migrate and imported by nothing.
ORDER = ("types", "storage", "trail", "access", "facade", "migrations")
SUBPACKAGES = ("types", "storage", "trail", "access")


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([PACKAGE, *parts])


def layer_of(module: str) -> str | None:
    """The layer of a module of the records package; None for modules outside it."""
    if module != PACKAGE and not module.startswith(PACKAGE + "."):
        return None
    rest = module[len(PACKAGE) + 1:].split(".")
    if rest[:2] == ["storage", "migrations"]:
        return "migrations"
    return rest[0] if rest[0] in SUBPACKAGES else "facade"


def imported_modules(path: Path, module: str) -> list[tuple[str, int]]:
    """(absolute module, line) of every import in the file, at any depth."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((target, node.lineno))
            # ``from . import rows`` imports the module ``rows``: its layer is the one that counts.
            found += [(f"{target}.{alias.name}", node.lineno) for alias in node.names]
    return found


def layer_edges(root: Path = ROOT) -> list[tuple[str, str, str, str, int]]:
    """(from layer, to layer, importing module, imported module, line) for imports across layers."""
    edges = []
    for path in sorted(root.rglob("*.py")):
        module = module_name(path, root)
        source = layer_of(module)
        for target, line in imported_modules(path, module):
            dest = layer_of(target)
            if dest is not None and dest != source and _is_module(target, root):
                edges.append((source, dest, module, target, line))
    return edges


def _is_module(dotted: str, root: Path) -> bool:
    """Whether ``dotted`` names a module or package (not a name imported from one)."""
    rel = Path(*dotted.split(".")[2:])
    return (root / rel).with_suffix(".py").exists() or (root / rel / "__init__.py").exists()


def cycles(edges) -> list[list[str]]:
    """Strongly connected groups of more than one layer (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for a, b, *_ in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def describe(edges) -> str:
    return "\n".join(f"  {src} ({a}) imports {dst} ({b}) at line {line}" for a, b, src, dst, line in edges)


def test_every_module_is_in_a_layer():
    names = {module_name(p) for p in ROOT.rglob("*.py")}
    assert {layer_of(n) for n in names} <= set(ORDER)
    assert {n for n in names if layer_of(n) == "facade"} == {
        PACKAGE, f"{PACKAGE}.store", f"{PACKAGE}.export", f"{PACKAGE}.odm", f"{PACKAGE}.demo"}


def test_no_cycle_between_subpackages():
    edges = layer_edges()
    detail = []
    for group in cycles(edges):
        inside = [e for e in edges if e[0] in group and e[1] in group]
        # The imports against the order close the cycle; the others are the expected direction.
        up = [e for e in inside if ORDER.index(e[0]) < ORDER.index(e[1])]
        detail.append(f"{' <-> '.join(group)}, closed by:\n{describe(up)}\n"
                      f"  (and {len(inside) - len(up)} imports the documented way)")
    assert not detail, "import cycle between records sub-packages: " + "\n".join(detail)


def test_imports_follow_the_documented_order():
    against = [e for e in layer_edges() if ORDER.index(e[0]) < ORDER.index(e[1])]
    assert not against, f"imports against the order {' -> '.join(ORDER)}:\n" + describe(against)


@pytest.mark.parametrize("name", SUBPACKAGES)
def test_each_subpackage_documents_the_order(name):
    doc = ast.get_docstring(ast.parse((ROOT / name / "__init__.py").read_text(encoding="utf-8"))) or ""
    assert "types -> storage -> trail -> access" in doc, f"{name}/__init__.py: say where it sits and why"


def test_checker_names_a_cycle_and_an_upward_import(tmp_path):
    """The checks themselves catch what they are for (a planted package, not the real one)."""
    pkg = tmp_path / "records"
    for name, body in {
        "__init__.py": "",
        "types/__init__.py": "",
        "types/base.py": "from ..storage.tables import TABLES\n",
        "storage/__init__.py": "",
        "storage/tables.py": "def f():\n    from ..types import base\n",
    }.items():
        (pkg / name).parent.mkdir(parents=True, exist_ok=True)
        (pkg / name).write_text(body)
    edges = layer_edges(pkg)
    assert cycles(edges) == [["storage", "types"]]
    up = [e for e in edges if ORDER.index(e[0]) < ORDER.index(e[1])]
    assert [(e[2], e[3]) for e in up] == [(f"{PACKAGE}.types.base", f"{PACKAGE}.storage.tables")]
