"""The notebooks' parameters: what each notebook's ``parameters`` cell assigns, the ``--param`` values, and
the plan of a run that checks them all before anything executes."""

from __future__ import annotations

import ast
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gcnprune.experiments.options import json_or_text

from ..chapters.parameters import parameter_type, type_problem
from .errors import BookError, ParameterError
from .toc import toc_notebooks

COMMON_PARAMETERS = ("dataset", "data_root", "profile", "results", "jobs", "device")
PROVENANCE_PARAMETER = "provenance"


@dataclass
class Notebook:
    """A notebook source and the names (with default values) its ``parameters`` cell assigns."""

    name: str
    path: Path
    parameters: dict[str, Any]
    annotations: dict[str, str] = field(default_factory=dict)  # name -> the annotation's source

    @property
    def reads_provenance(self) -> bool:
        return PROVENANCE_PARAMETER in self.parameters


def parameters_of(source: str, where: str) -> dict[str, Any]:
    """Names assigned by a parameters cell's source, with their values where they are literals."""
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise ParameterError(f"{where}: the parameters cell is not valid Python ({error})") from None
    found: dict[str, Any] = {}
    for stmt in tree.body:
        targets: list[ast.expr] = []
        if isinstance(stmt, ast.Assign):
            targets, value = stmt.targets, stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            targets, value = [stmt.target], stmt.value
        for target in targets:
            if isinstance(target, ast.Name):
                try:
                    found[target.id] = ast.literal_eval(value)
                except ValueError:
                    found[target.id] = ast.get_source_segment(source, value)
    return found


def annotations_of(source: str) -> dict[str, str]:
    """The annotations of a parameters cell's names, as source text (``rates: list[float] | None = None``)."""
    tree = ast.parse(source)
    return {stmt.target.id: ast.get_source_segment(source, stmt.annotation) or ""
            for stmt in tree.body if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)}  # fmt: skip


def check_types(notebook: Notebook, values: Mapping[str, Any]) -> None:
    """Refuse, in one line naming the notebook, a value whose type its parameters cell's annotation refuses."""
    for name, value in values.items():
        if name in notebook.annotations:
            problem = type_problem(name, value, parameter_type(notebook.annotations[name]))
            if problem:
                raise ParameterError(f"notebook {notebook.name}: {problem}")


def load_notebook(path: str | os.PathLike[str]) -> Any:
    """Read a MyST markdown notebook into an nbformat notebook."""
    import jupytext

    return jupytext.read(str(path), fmt="md:myst")


def read_notebook(path: str | os.PathLike[str]) -> Notebook:
    """A notebook source with its parameters; it must have exactly one cell tagged ``parameters``."""
    path = Path(path)
    nb = load_notebook(path)
    cells = [c for c in nb.cells if c.cell_type == "code" and "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise ParameterError(
            f"notebook {path.stem} ({path}): expected one code cell tagged 'parameters', found {len(cells)}"
        )
    where = f"notebook {path.stem} ({path})"
    return Notebook(path.stem, path, parameters_of(cells[0].source, where), annotations_of(cells[0].source))


def parse_param(text: str) -> tuple[str | None, str, Any]:
    """``NAME=VALUE`` or ``NOTEBOOK:NAME=VALUE`` → (notebook or None, name, value); VALUE is JSON, else a string."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ParameterError(f"--param {text!r}: expected NAME=VALUE or NOTEBOOK:NAME=VALUE (VALUE in JSON)")
    notebook, _, name = key.strip().rpartition(":")
    if not name.isidentifier():
        raise ParameterError(f"--param {text!r}: {name!r} is not a Python name")
    return (notebook or None), name, json_or_text(raw)


def check_names(notebook: Notebook, given: Iterable[str]) -> None:
    """Refuse, in one line naming the notebook and the names it has, a name its parameters cell does not assign."""
    unknown = [n for n in given if n not in notebook.parameters]
    if unknown:
        valid = ", ".join(notebook.parameters) or "(none)"
        raise ParameterError(
            f"notebook {notebook.name} ({notebook.path}) has no parameter {', '.join(map(repr, unknown))}; "
            f"its parameters cell assigns: {valid}"
        )


def _toc_sources(notebooks_dir: Path, book_dir: Path) -> tuple[list[str], dict[str, Path]]:
    """The notebooks the TOC lists (in order) and the notebook sources by name, once checked to agree: every
    listed notebook has a source and every source is listed (a book that differs would build wrongly)."""
    names = toc_notebooks(book_dir)
    sources = {p.stem: p for p in sorted(Path(notebooks_dir).glob("*.md"))}
    missing = [n for n in names if n not in sources]
    if missing:
        raise BookError(
            f"{book_dir / '_toc.yml'} lists notebooks/{missing[0]} "
            f"but {notebooks_dir / (missing[0] + '.md')} does not exist"
        )
    unlisted = [n for n in sources if n not in names]
    if unlisted:
        raise BookError(
            f"{sources[unlisted[0]]} is not in the book: "
            f"add '- file: notebooks/{unlisted[0]}' to {book_dir / '_toc.yml'}"
        )
    return names, sources


def _user_parameters(
    params: Mapping[str, Any] | Sequence[str], names: list[str], chosen: list[str], by_name: Mapping[str, Notebook]
) -> dict[str, dict[str, Any]]:
    """Each notebook's user parameters: NAME=VALUE goes to every chosen notebook, NOTEBOOK:NAME=VALUE to that
    one. Refuses an unknown notebook, one that is not being executed, and a name its parameters cell lacks."""
    if isinstance(params, Mapping):
        items = [(None, k, v) for k, v in params.items()]
    else:
        items = [parse_param(p) for p in params]
    targeted: dict[str, dict[str, Any]] = {n: {} for n in names}
    for notebook, name, value in items:
        if notebook is not None and notebook not in by_name:
            raise ParameterError(f"--param {notebook}:{name}: no notebook {notebook!r}; notebooks: {', '.join(names)}")
        for target in [notebook] if notebook else chosen:
            targeted[target][name] = value
    for n, given in targeted.items():
        if given and n not in chosen:
            raise ParameterError(f"--param {n}:{next(iter(given))}: notebook {n} is not being executed (see --only)")
        check_names(by_name[n], given)
    return targeted


def plan(
    notebooks_dir: Path,
    book_dir: Path,
    only: Sequence[str] | None,
    params: Mapping[str, Any] | Sequence[str],
    common: Mapping[str, Any],
    build: bool,
) -> tuple[list[Notebook], list[Notebook], dict[str, dict[str, Any]]]:
    """Check everything before running anything: the TOC and the notebooks agree, every parameter exists.

    Returns all notebooks (TOC order), those to execute (provenance readers last), and each one's injected
    parameters.
    """  # fmt: skip
    names, sources = _toc_sources(notebooks_dir, book_dir)
    notebooks = [read_notebook(sources[n]) for n in names]
    by_name = {nb.name: nb for nb in notebooks}
    chosen = list(names)
    if only:
        bad = [n for n in only if n not in by_name]
        if bad:
            raise BookError(f"--only {bad[0]}: no such notebook in the book; notebooks: {', '.join(names)}")
        chosen = [n for n in names if n in only]
    targeted = _user_parameters(params, names, chosen, by_name)
    if only and build:  # the pages that summarise the others are refreshed too
        chosen += [n for n in names if by_name[n].reads_provenance and n not in chosen]
    order = [by_name[n] for n in chosen if not by_name[n].reads_provenance]
    order += [by_name[n] for n in chosen if by_name[n].reads_provenance]
    injected = {}
    for nb in order:
        values = {k: v for k, v in common.items() if k in nb.parameters}
        values.update(targeted[nb.name])
        check_types(nb, values)
        injected[nb.name] = values
    return notebooks, order, injected
