"""The package's four layers (the README's layout): the core (datasets, graphs, the GCN, masks, training, the
methods) imports nothing above it; experiments import the core; deploy and the book import both. No import
cycle between modules, counting imports inside functions and under ``TYPE_CHECKING``; imports inside functions
only for optional extras; nothing imports another module's underscored names; importing the core loads
neither pandas, matplotlib, Dask nor papermill. Read with ``ast`` from the source, no third-party tool."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import gcnprune

PACKAGE = Path(gcnprune.__file__).parent
REPO = PACKAGE.parents[1]
ALLOWED = {  # a layer may import from these layers
    "core": {"core"},
    "experiments": {"core", "experiments"},
    "deploy": {"core", "experiments", "deploy"},
    "book": {"core", "experiments", "deploy", "book"},
    "top": {"core", "experiments", "deploy", "book", "top"},
}
# modules that import an optional extra (pip install -e ".[cluster]") at their top: imported inside functions
OPTIONAL = {"gcnprune.experiments.executors.dask", "gcnprune.experiments.executors.clusters"}
OPTIONAL_PACKAGES = {"dask", "distributed", "dask_jobqueue", "papermill", "jupytext", "nbformat", "nbclient",
                     "onnx", "onnxruntime", "playwright", "torch._dynamo"}  # fmt: skip
HEAVY = ("pandas", "matplotlib", "dask", "distributed", "papermill")


@dataclass(frozen=True)
class Import:
    importer: str
    line: int
    module: str  # the gcnprune module (or package) imported, or a third-party name
    names: tuple[str, ...]
    in_function: bool


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "core"  # the root package: a docstring, the version and lazy names of the core
    if parts[1] in ("experiments", "deploy", "book"):
        return parts[1]
    return "top" if parts[1] in ("cli", "__main__") else "core"


def _functions(tree: ast.AST) -> set[int]:
    """Ids of the import nodes that sit inside a function body."""
    inside = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            inside.update(id(n) for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom)))
    return inside


def imports_of(module: str, path: Path) -> Iterator[Import]:
    tree = ast.parse(path.read_text())
    inside = _functions(tree)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, node.lineno, alias.name, (), id(node) in inside)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = tuple(a.name for a in node.names)
            submodules = [n for n in names if f"{target}.{n}" in MODULES]
            for name in submodules:
                yield Import(module, node.lineno, f"{target}.{name}", (), id(node) in inside)
            rest = tuple(n for n in names if n not in submodules)
            if rest or not submodules:
                yield Import(module, node.lineno, target, rest, id(node) in inside)


IMPORTS = [i for module, path in MODULES.items() for i in imports_of(module, path)]
INTERNAL = [i for i in IMPORTS if i.module == "gcnprune" or i.module.startswith("gcnprune.")]


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), or a module importing itself."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in edges.get(v, ()):
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_the_import_graph_is_read_from_every_module():
    assert len(MODULES) > 60 and len(INTERNAL) > 200
    assert {"gcnprune.model", "gcnprune.experiments.cache", "gcnprune.deploy.export"} <= set(MODULES)


def test_no_import_cycle_between_modules_even_inside_functions():
    edges: dict[str, set[str]] = {}
    for i in INTERNAL:
        edges.setdefault(i.importer, set()).add(i.module)
    assert cycles(edges) == []


def test_a_constructed_cycle_is_found():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_each_layer_imports_only_the_layers_below_it():
    wrong = [f"{i.importer}:{i.line} imports {i.module}" for i in INTERNAL
             if layer(i.module) not in ALLOWED[layer(i.importer)]]  # fmt: skip
    assert wrong == []


def test_imports_inside_functions_are_only_for_optional_extras():
    lazy = [f"{i.importer}:{i.line} imports {i.module}" for i in IMPORTS if i.in_function
            and i.module not in OPTIONAL and i.module.split(".")[0] not in OPTIONAL_PACKAGES
            and i.module not in OPTIONAL_PACKAGES]  # fmt: skip
    assert lazy == []


def _underscored(sources: dict[str, str]) -> list[str]:
    found = []
    for where, text in sources.items():
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("gcnprune")):
                found += [f"{where}:{node.lineno} imports {a.name}" for a in node.names
                          if a.name.startswith("_") and not a.name.startswith("__")]  # fmt: skip
    return found


def test_nothing_imports_another_modules_underscored_names():
    sources = {str(p.relative_to(REPO)): p.read_text() for p in MODULES.values()}
    sources |= {str(p.relative_to(REPO)): p.read_text() for p in (REPO / "scripts").glob("*.py")}
    sources |= {str(p.relative_to(REPO)): p.read_text() for p in (REPO / "tests").glob("*.py")}
    assert _underscored(sources) == []
    assert _underscored({"constructed.py": "from gcnprune.experiments.runner import _fit\n"}) != []


@pytest.mark.parametrize("module", sorted(m for m in MODULES if layer(m) == "core" and not m.endswith("__main__")))
def test_importing_the_core_loads_no_heavy_dependency(module):
    code = f"import sys, {module}; print(' '.join(sorted(sys.modules)))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert [m for m in loaded if m.split(".")[0] in HEAVY] == []


BOOK_HALVES = sorted(m for m in MODULES if m.startswith(("gcnprune.book.report", "gcnprune.book.chapters")))


def test_each_chapter_and_report_module_imports_first_in_a_fresh_process():
    """Packages initialise on first import, so a cycle through a package's ``__init__`` (chapters re-exporting
    a module that imports report, whose module imports chapters) fails only for some import orders; the
    module-level graph above cannot see it. One process per module, each imported first."""
    code = "import importlib, sys; importlib.import_module(sys.argv[1])"
    failed = [m for m in BOOK_HALVES
              if subprocess.run([sys.executable, "-c", code, m], capture_output=True).returncode != 0]  # fmt: skip
    assert len(BOOK_HALVES) > 20 and failed == []
