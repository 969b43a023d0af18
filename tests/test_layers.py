"""The layers hold: imports point down, other packages are used through their public API,
and no package has an import cycle between its modules.

Layers, top to bottom (STYLE.md): serving > labeling > router > classifier > policies
(``classifier`` and ``policies`` are both at the bottom; classifier raises policies'
errors). ``bench/`` may import any layer, but only public names. Every import counts:
module level, inside a function (lazy) and under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RANK = {"policies": 0, "classifier": 1, "router": 2, "labeling": 3, "serving": 4}
CODE = (*RANK, "bench")
# Packages whose modules must not import each other in a cycle.
ACYCLIC = ("policies", "classifier", "router", "labeling", "serving")
PENDING: dict[str, str] = {}  # private reaches still to remove, with the reason


@dataclass(frozen=True)
class Import:
    file: Path
    line: int
    module: str  # the absolute module named by the import statement
    names: tuple[str, ...]  # for ``from M import a, b``; empty for ``import M``

    def where(self) -> str:
        return f"{self.file.relative_to(ROOT)}:{self.line}"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def source_files(top: str) -> list[Path]:
    return sorted(p for p in (ROOT / top).rglob("*.py") if "_model" not in p.parts)


def imports(path: Path) -> Iterator[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else None
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(path, node.lineno, alias.name, ())
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:  # relative: resolve against this module's package
                base = (package if package is not None else module_name(path)).split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, module] if module else base)
            yield Import(path, node.lineno, module, tuple(a.name for a in node.names))


def private_target(imp: Import) -> str | None:
    """The ``_private`` module or name ``imp`` reaches into, or None."""
    parts = imp.module.split(".")
    if any(p.startswith("_") for p in parts[1:]):
        return imp.module
    private = [n for n in imp.names if n.startswith("_")]
    return f"{imp.module}.{private[0]}" if private else None


def test_no_import_of_another_package_private_module() -> None:
    bad = []
    for top in CODE:
        for path in source_files(top):
            for imp in imports(path):
                target = imp.module.split(".")[0]
                if target == top or target not in RANK:
                    continue
                if (reached := private_target(imp)) is not None:
                    bad.append(f"{imp.file.relative_to(ROOT)}: {reached}")
    assert sorted(set(bad) - PENDING.keys()) == [], "imports of another package's privates"
    assert sorted(PENDING.keys() - set(bad)) == [], "stale PENDING entries: remove them"


def test_tests_reach_only_their_own_package_privates() -> None:
    """``tests/<package>/`` may test its package's private modules, not another package's
    (shared test code goes through public names or tests/fakes.py)."""
    bad = []
    for top in RANK:
        for path in sorted((ROOT / "tests" / top).rglob("*.py")):
            for imp in imports(path):
                target = imp.module.split(".")[0]
                if target != top and target in RANK and private_target(imp) is not None:
                    bad.append(f"{imp.file.relative_to(ROOT)}:{imp.line}: {imp.module}")
    assert bad == [], "tests importing another package's private modules"


def test_imports_point_down() -> None:
    bad = []
    for top in RANK:
        for path in source_files(top):
            for imp in imports(path):
                target = imp.module.split(".")[0]
                if target in RANK and RANK[target] > RANK[top]:
                    bad.append(f"{imp.where()}: {top} imports {imp.module} (a higher layer)")
    assert bad == [], "\n".join(bad)


def import_graph(top: str) -> dict[str, set[str]]:
    """Module -> the modules of the same package it imports (a ``from P import name``
    of a submodule counts as importing that submodule)."""
    modules = {module_name(p): p for p in source_files(top)}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        for imp in imports(path):
            if imp.module.split(".")[0] != top:
                continue
            targets = {f"{imp.module}.{n}" for n in imp.names} & modules.keys()
            if not targets or len(targets) < len(imp.names):
                targets.add(imp.module)
            graph[name] |= {t for t in targets if t in modules and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


@pytest.mark.parametrize("top", ACYCLIC)
def test_no_import_cycles(top: str) -> None:
    assert cycles(import_graph(top)) == []


def test_the_checks_see_violations(tmp_path: Path) -> None:
    """The checkers flag what they should (guards the tests above against passing vacuously)."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    probe = ROOT / "labeling" / "__init__.py"
    found = list(imports(probe))
    assert any(i.module.startswith("labeling.") for i in found)
    assert private_target(Import(probe, 1, "classifier.training._run", ("x",))) is not None
    assert private_target(Import(probe, 1, "router", ("_verdicts",))) == "router._verdicts"
    assert private_target(Import(probe, 1, "classifier.registry", ("ModelRegistry",))) is None
