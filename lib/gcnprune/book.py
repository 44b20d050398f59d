"""Execute the book's notebooks with papermill and build the Jupyter Book: ``python -m gcnprune.book``.

The notebooks are MyST markdown files (``notebooks/*.md``, jupytext's ``md:myst``) run in the order of
the book's table of contents. Each has one cell tagged ``parameters``; the runner passes ``dataset``,
``data_root``, ``profile``, ``results`` and ``jobs`` to every notebook that assigns them there, plus
``provenance`` (the path of the execution record) to the notebooks that read it, which run last.
A ``--param`` naming a variable the parameters cell does not assign is an error, not a warning.
Without the dataset's data (the default, SBU with the paper profile, on a fresh clone) the chapters read
the committed runs from the cache only and train nothing; a missing run fails the build in one line
(:mod:`gcnprune.chapters`), as does any error the library raises for the user to fix.

Everything happens in a staging copy of the book under ``book/_build/``: only when every notebook ran
and the strict build (``jupyter-book build -W -n --keep-going``) passed do the executed notebooks move
to ``book/notebooks/`` and the HTML to ``book/_build/html/``. A failure leaves the previous book as it
was, and the staging folder for inspection. One run at a time per book folder: a lock file
(``book/_build/.lock``, holding the runner's pid) refuses a second run while the first one's process lives.
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from . import __version__
from .data.locate import REPO_ROOT
from .errors import UserError
from .pids import owned_by_live_process, pid_lock
from .repo import DEFAULT_RESULTS, git

NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
BOOK_DIR = REPO_ROOT / "book"
BOOK_DATASET = "sbu"  # the dataset a book shows when none is named: the papers' own, from its committed runs
KERNEL_NAME = "gcnprune-book"
COMMON_PARAMETERS = ("dataset", "data_root", "profile", "results", "jobs")
PROVENANCE_PARAMETER = "provenance"
PROVENANCE_FILE = "provenance.json"
LOCK_FILE = ".lock"  # in book/_build/: the pid of the runner building this book
STAGING_PREFIX = ".staging-"  # book/_build/.staging-<pid>: one runner's staging copy
PACKAGES = (
    "gcnprune", "torch", "numpy", "pandas", "matplotlib", "tqdm", "jupyter-book", "papermill", "jupytext",
    "ipykernel", "myst-nb", "sphinx", "sphinx-book-theme", "sphinxcontrib-bibtex", "sphinx-mathjax-offline", "nbclient",
    "nbformat",
)  # fmt: skip
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class BookError(RuntimeError):
    """The book could not be made; the message says which notebook or step, and why."""


class ParameterError(BookError, ValueError):
    """A parameter that a notebook's ``parameters`` cell does not assign, or a malformed ``--param``."""


class NotebookFailed(BookError):
    """A notebook raised while executing; the message names it and holds the failing cell's traceback."""

    def __init__(self, notebook: str, message: str, executed: Path | None = None) -> None:
        super().__init__(message)
        self.notebook = notebook
        self.executed = executed


class BuildFailed(BookError):
    """``jupyter-book build`` failed (in strict mode any warning fails it)."""


@dataclass
class Notebook:
    """A notebook source and the names (with default values) its ``parameters`` cell assigns."""

    name: str
    path: Path
    parameters: dict[str, Any]

    @property
    def reads_provenance(self) -> bool:
        return PROVENANCE_PARAMETER in self.parameters


@dataclass
class BookResult:
    """What :func:`make_book` did: the notebooks it executed, their records, and where the HTML is."""

    executed: list[str]
    records: dict[str, dict[str, Any]]
    html: Path | None
    notebooks_out: Path
    seconds: float
    log: list[str] = field(default_factory=list)


# ----------------------------------------------------------------------------- notebooks and parameters


def toc_files(book_dir: str | os.PathLike[str] = BOOK_DIR) -> list[str]:
    """Every ``file`` entry of the book's ``_toc.yml`` (root first), in reading order."""
    import yaml

    toc = yaml.safe_load((Path(book_dir) / "_toc.yml").read_text())
    out = [toc["root"]] if "root" in toc else []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "file" in node:
                out.append(str(node["file"]))
            for key in ("parts", "chapters", "sections"):
                walk(node.get(key))
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    return out


def toc_notebooks(book_dir: str | os.PathLike[str] = BOOK_DIR) -> list[str]:
    """Names of the notebooks the table of contents lists (entries ``notebooks/<name>``), in order."""
    names = []
    for entry in toc_files(book_dir):
        parts = Path(entry).with_suffix("").parts
        if len(parts) == 2 and parts[0] == "notebooks":
            names.append(parts[1])
    return names


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
        raise ParameterError(f"notebook {path.stem} ({path}): expected one code cell tagged 'parameters', found {len(cells)}")
    return Notebook(path.stem, path, parameters_of(cells[0].source, f"notebook {path.stem} ({path})"))


def parse_param(text: str) -> tuple[str | None, str, Any]:
    """``NAME=VALUE`` or ``NOTEBOOK:NAME=VALUE`` → (notebook or None, name, value); VALUE is JSON, else a string."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ParameterError(f"--param {text!r}: expected NAME=VALUE or NOTEBOOK:NAME=VALUE (VALUE in JSON)")
    notebook, _, name = key.strip().rpartition(":")
    if not name.isidentifier():
        raise ParameterError(f"--param {text!r}: {name!r} is not a Python name")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return (notebook or None), name, value


def _check_names(notebook: Notebook, given: Iterable[str]) -> None:
    unknown = [n for n in given if n not in notebook.parameters]
    if unknown:
        valid = ", ".join(notebook.parameters) or "(none)"
        raise ParameterError(
            f"notebook {notebook.name} ({notebook.path}) has no parameter {', '.join(map(repr, unknown))}; "
            f"its parameters cell assigns: {valid}"
        )


def plan(notebooks_dir: Path, book_dir: Path, only: Sequence[str] | None, params: Mapping[str, Any] | Sequence[str],
         common: Mapping[str, Any], build: bool) -> tuple[list[Notebook], list[Notebook], dict[str, dict[str, Any]]]:
    """Check everything before running anything: the TOC and the notebooks agree, every parameter exists.

    Returns all notebooks (TOC order), those to execute (provenance readers last), and each one's injected
    parameters.
    """  # fmt: skip
    names = toc_notebooks(book_dir)
    sources = {p.stem: p for p in sorted(Path(notebooks_dir).glob("*.md"))}
    missing = [n for n in names if n not in sources]
    if missing:
        raise BookError(f"{book_dir / '_toc.yml'} lists notebooks/{missing[0]} but {notebooks_dir / (missing[0] + '.md')} does not exist")
    unlisted = [n for n in sources if n not in names]
    if unlisted:
        raise BookError(
            f"{sources[unlisted[0]]} is not in the book: add '- file: notebooks/{unlisted[0]}' to {book_dir / '_toc.yml'}"
        )
    notebooks = [read_notebook(sources[n]) for n in names]
    by_name = {nb.name: nb for nb in notebooks}
    chosen = list(names)
    if only:
        bad = [n for n in only if n not in by_name]
        if bad:
            raise BookError(f"--only {bad[0]}: no such notebook in the book; notebooks: {', '.join(names)}")
        chosen = [n for n in names if n in only]
    # user parameters: NAME=VALUE goes to every chosen notebook, NOTEBOOK:NAME=VALUE to that one
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
        _check_names(by_name[n], given)
    if only and build:  # the pages that summarise the others are refreshed too
        chosen += [n for n in names if by_name[n].reads_provenance and n not in chosen]
    order = [by_name[n] for n in chosen if not by_name[n].reads_provenance]
    order += [by_name[n] for n in chosen if by_name[n].reads_provenance]
    injected = {}
    for nb in order:
        values = {k: v for k, v in common.items() if k in nb.parameters}
        values.update(targeted[nb.name])
        injected[nb.name] = values
    return notebooks, order, injected


# ----------------------------------------------------------------------------- provenance


def _processor() -> str:
    name = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return name or platform.machine()


def environment() -> dict[str, Any]:
    """Library version, git commit, package versions and machine, as recorded for every notebook."""
    packages = {}
    for name in PACKAGES:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = None
    commit = git("rev-parse", "HEAD") or "unknown"
    dirty = bool(git("status", "--porcelain", "--untracked-files=no")) if commit != "unknown" else None
    return {
        "version": __version__,
        "git_commit": commit,
        "git_dirty": dirty,
        "python": platform.python_version(),
        "executable": shown_path(sys.executable),
        "packages": packages,
        "machine": {
            "platform": platform.platform(),
            "machine": platform.machine(),
            "processor": _processor(),
            "cpu_count": os.cpu_count(),
        },
    }


def banner(dataset: str, profile: str, data_root: str | None = None, cache_only: bool = False) -> str:
    """The announcement shown on every page: which data and budget the numbers come from, and whether
    they were read from the run cache alone (no data on the build machine)."""
    if dataset == "synthetic":
        what = (f"This build uses the synthetic dataset and the {profile} profile: its numbers come from "
                f"generated skeletons and are not the papers' numbers.")  # fmt: skip
    else:
        where = f" ({data_root})" if data_root else ""
        what = (f"This build uses the {dataset.upper()} dataset{where} and the {profile} profile. Our methods are "
                f"reconstructions from the papers' abstracts; compare with the papers' numbers with care.")  # fmt: skip
    if cache_only:
        what += (f" Its numbers are the committed runs, read from the run cache: the {dataset.upper()} files were "
                 f"not on the build machine, so nothing was trained and its sequences are not drawn.")  # fmt: skip
    if profile == "smoke":
        what += " The smoke profile trains for a few epochs only: its accuracies are meaningless."
    return what


# ----------------------------------------------------------------------------- execution


@contextmanager
def _kernel(staging: Path):
    """A kernelspec named :data:`KERNEL_NAME` that runs this interpreter, found first on JUPYTER_PATH."""
    spec = staging / "jupyter" / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True, exist_ok=True)
    # tqdm.auto warns on import when ipywidgets is missing; the kernel is local, so its TCP notice is noise
    warnings = ",".join(filter(None, [os.environ.get("PYTHONWARNINGS"), "ignore:IProgress not found"]))
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}", "--IPKernelApp.log_level=ERROR"],
        "display_name": f"Python {platform.python_version()} (gcnprune)",
        "language": "python",
        "env": {"PYTHONWARNINGS": warnings},
        "metadata": {"debugger": False},
    }, indent=1))  # fmt: skip
    old = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = os.pathsep.join([str(staging / "jupyter"), *([old] if old else [])])
    try:
        yield KERNEL_NAME
    finally:
        if old is None:
            os.environ.pop("JUPYTER_PATH", None)
        else:
            os.environ["JUPYTER_PATH"] = old


def _user_error_names() -> set[str]:
    """The class names of the library's errors that a user can fix (:class:`~gcnprune.errors.UserError`
    and its subclasses, among the modules imported)."""
    names, todo = set(), [UserError]
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo += cls.__subclasses__()
    return names


def _failure(name: str, error: BaseException, executed: Path) -> NotebookFailed:
    """The error for a notebook that raised: a user error raised by the library (missing runs, missing
    data, a damaged cache entry) as its one-line message, anything else (a bug) with its traceback."""
    from papermill.exceptions import PapermillExecutionError

    if isinstance(error, PapermillExecutionError) and error.ename in _user_error_names() and any(
            "gcnprune" in line for line in error.traceback):  # fmt: skip
        return NotebookFailed(name, f"notebook {name}: {error.evalue}", executed)
    if isinstance(error, PapermillExecutionError):
        trace = _ANSI.sub("", "\n".join(error.traceback))
        source = "\n".join("    " + line for line in str(error.source).splitlines())
        message = (f"notebook {name} failed in cell {error.cell_index} (In [{error.exec_count}]):\n{source}\n\n"
                   f"{trace}\n\n{error.ename}: {error.evalue}\n(executed notebook: {executed})")  # fmt: skip
    else:
        message = f"notebook {name} failed: {type(error).__name__}: {_ANSI.sub('', str(error))}\n(executed notebook: {executed})"
    return NotebookFailed(name, message, executed)


def execute(notebook: Notebook, parameters: Mapping[str, Any], output: Path, kernel_name: str) -> float:
    """Run one notebook with papermill into ``output``; return the seconds it took."""
    import papermill

    start = time.perf_counter()
    try:
        papermill.execute_notebook(
            load_notebook(notebook.path), str(output), parameters=dict(parameters), kernel_name=kernel_name,
            cwd=str(notebook.path.parent), progress_bar=False, log_output=False, language="python",
        )  # fmt: skip
    except Exception as error:  # noqa: BLE001  (any failure is reported with the notebook's name)
        raise _failure(notebook.name, error, output) from error
    return time.perf_counter() - start


def _hide_parameter_cells(path: Path) -> None:
    """Tag an executed notebook's ``parameters`` cell and papermill's ``injected-parameters`` cell
    ``remove-cell``: they hold the build machine's paths and defaults that the runner overrode, so the book
    leaves them out (the reproducibility page shows the values each notebook ran with)."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        tags = cell.setdefault("metadata", {}).setdefault("tags", [])
        if {"parameters", "injected-parameters"} & set(tags) and "remove-cell" not in tags:
            tags.append("remove-cell")
    nbformat.write(nb, path)


def shown_path(path: str | os.PathLike[str]) -> str:
    """A path of the build machine as the book and its provenance record show it: relative to the
    repository where it lies in the repository or beside it (``results``, ``../shared/data/sbu``), else
    ``.../<its name>``, since the absolute path of a temporary or private folder tells a reader nothing
    (a folder in the system's temporary directory is never shown relative, even beside a clone there)."""
    path = Path(os.path.abspath(path))  # not resolved: .venv/bin/python stays itself, not the interpreter it links to
    relative = Path(os.path.relpath(path, REPO_ROOT))
    temporary = Path(os.path.abspath(tempfile.gettempdir()))
    inside_repository = not relative.parts or relative.parts[0] != ".."
    beside = relative.parts[:2].count("..") < 2 and temporary not in path.parents
    if inside_repository or beside:
        return relative.as_posix()
    return f".../{path.name}"


def _shown_parameters(parameters: Mapping[str, Any]) -> dict[str, Any]:
    """``parameters`` with every absolute path among their values shown by :func:`shown_path`."""
    return {k: shown_path(v) if isinstance(v, str) and os.path.isabs(v) else v for k, v in parameters.items()}


def _replace_dir(source: Path, target: Path) -> None:
    """Move ``source`` to ``target``, replacing it (the old one is moved aside first, then deleted)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    if target.exists():
        target.rename(old)
    shutil.move(str(source), str(target))
    shutil.rmtree(old, ignore_errors=True)


def jupyter_book_build(source: Path, config: Path, log: Callable[[str], None]) -> Path:
    """Strict ``jupyter-book build`` of ``source`` with ``config``; returns the HTML folder."""
    command = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()", "build", "-W", "-n",
               "--keep-going", "--config", str(config), str(source)]  # fmt: skip
    log("building the book: jupyter-book build -W -n --keep-going")
    env = {**os.environ, "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    output = _ANSI.sub("", done.stdout + done.stderr)
    html = source / "_build" / "html"
    if done.returncode != 0 or not (html / "index.html").is_file():
        problems = [line for line in output.splitlines() if "WARNING" in line or "ERROR" in line or "rror:" in line]
        tail = "\n".join(output.splitlines()[-30:])
        raise BuildFailed(
            f"jupyter-book build failed (exit {done.returncode}); strict mode turns every warning into a failure.\n"
            + ("Warnings and errors:\n" + "\n".join(problems[:50]) + "\n\n" if problems else "")
            + f"Last lines of its output:\n{tail}"
        )
    return html


def clear_stale_staging(build_dir: Path) -> list[Path]:
    """Remove the staging folders under ``build_dir`` whose runner is gone (a failed run leaves its own
    for inspection); a live runner's staging folder stays. Returns the folders removed."""
    removed = [p for p in sorted(build_dir.glob(STAGING_PREFIX + "*")) if not owned_by_live_process(p.name)]
    for folder in removed:
        shutil.rmtree(folder, ignore_errors=True)
    return removed


def check_options(dataset: str, profile: str | None, jobs: int, results: str | os.PathLike[str]) -> None:
    """Refuse, before any notebook runs, an unknown dataset or profile, ``jobs`` below 1, or a results
    path that is not a writable folder (each would otherwise fail inside a notebook, or after training)."""
    from .data import DATASETS
    from .cache import check_results
    from .profiles import get_profile

    if dataset not in DATASETS:
        raise ParameterError(f"--dataset {dataset!r}: unknown dataset; choose one of {', '.join(DATASETS)}")
    if profile is not None:  # None: the dataset's default
        get_profile(profile)  # an unknown profile fails here, naming the valid ones
    if jobs < 1:
        raise ParameterError(f"--jobs must be at least 1 (parallel training runs), got {jobs}")
    check_results(results)


def make_book(dataset: str = BOOK_DATASET, data_root: str | os.PathLike[str] | None = None, profile: str | None = None,
              jobs: int = 2, only: Sequence[str] | str | None = None,
              params: Mapping[str, Any] | Sequence[str] = (), results: str | os.PathLike[str] = DEFAULT_RESULTS,
              build: bool = True, notebooks_dir: str | os.PathLike[str] = NOTEBOOKS_DIR,
              book_dir: str | os.PathLike[str] = BOOK_DIR, log: Callable[[str], None] = print) -> BookResult:
    """Execute the book's notebooks (all, or ``only`` these) and build the book; see the module docstring.

    ``profile`` None is the dataset's default (:func:`~gcnprune.profiles.default_profile`). Where the
    dataset's data is not at hand, the chapters read their runs from the cache only and a missing run
    fails the build naming it (:func:`~gcnprune.chapters.missing_runs_policy`).
    ``params`` maps parameter names to values for every executed notebook, or is a list of ``--param``
    strings (``NAME=VALUE``, ``NOTEBOOK:NAME=VALUE``). Raises :class:`ParameterError` before running
    anything if a name is not assigned in a notebook's parameters cell, :class:`NotebookFailed` if a
    notebook raises, :class:`BuildFailed` if the strict build fails; :class:`~gcnprune.errors.UserError` if
    another runner is building the same book folder (see :func:`~gcnprune.pids.pid_lock`).
    """  # fmt: skip
    from .chapters import missing_runs_policy
    from .data import data_folder
    from .profiles import default_profile

    started = time.perf_counter()
    check_options(dataset, profile, int(jobs), results)
    profile = profile or default_profile(dataset)
    notebooks_dir, book_dir = Path(notebooks_dir).resolve(), Path(book_dir).resolve()
    only = [only] if isinstance(only, str) else list(only or [])
    results = str(Path(results).resolve())
    data_root = None if data_root in (None, "") else str(Path(data_root).resolve())
    cache_only = missing_runs_policy(dataset, data_root) == "require"  # a DATA folder that does not exist fails here
    common = {"dataset": dataset, "data_root": data_root, "profile": profile, "results": results, "jobs": int(jobs)}
    notebooks, order, injected = plan(notebooks_dir, book_dir, only, params, common, build)

    with pid_lock(book_dir / "_build" / LOCK_FILE, f"the book folder {book_dir}"):
        final_notebooks = book_dir / "notebooks"
        staging = book_dir / "_build" / f"{STAGING_PREFIX}{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        clear_stale_staging(book_dir / "_build")
        source = staging / "book"
        shutil.copytree(book_dir, source, ignore=shutil.ignore_patterns("_build", "notebooks", ".*"))
        out = source / "notebooks"
        out.mkdir()
        provenance_path = out / PROVENANCE_FILE
        records: dict[str, dict[str, Any]] = {}
        if only:  # keep the other notebooks' previous executions and records
            executed_names = {nb.name for nb in order}
            for nb in notebooks:
                previous = final_notebooks / f"{nb.name}.ipynb"
                if nb.name in executed_names:
                    continue
                if previous.is_file():
                    shutil.copy2(previous, out / previous.name)
                elif build:
                    raise BookError(f"notebook {nb.name} has not been executed yet, so the book cannot be built with "
                                    f"--only; run without --only first (or pass --no-build)")  # fmt: skip
            if (final_notebooks / PROVENANCE_FILE).is_file():
                old = json.loads((final_notebooks / PROVENANCE_FILE).read_text())
                records = {k: v for k, v in old.get("notebooks", {}).items() if k not in executed_names}
        env = environment()
        shown_data = None if data_root is None else shown_path(data_root)
        build_info = {"dataset": dataset, "data_root": shown_data, "profile": profile, "jobs": int(jobs),
                      "results": shown_path(results), "cache_only": cache_only,
                      "banner": banner(dataset, profile, shown_data, cache_only)}  # fmt: skip

        def write_provenance() -> None:
            ordered = {nb.name: records[nb.name] for nb in notebooks if nb.name in records}
            provenance_path.write_text(json.dumps({"build": build_info, "notebooks": ordered}, indent=2) + "\n")

        messages: list[str] = []

        def say(text: str) -> None:
            messages.append(text)
            log(text)

        say(f"book: dataset={dataset} profile={profile} jobs={jobs} results={results}"
            + (f" data={data_root}" if data_root else ""))  # fmt: skip
        if cache_only:
            say(f"runs: read from the cache only, nothing is trained (no {dataset} data found); a run missing from "
                f"the cache stops the build with a message that names it and the command that trains it")  # fmt: skip
        elif dataset != "synthetic":
            say(f"runs: those missing from the cache are trained on the {dataset} data at {data_folder(dataset, data_root)}")
        with _kernel(staging) as kernel_name:
            for nb in order:
                parameters = dict(injected[nb.name])
                if nb.reads_provenance:
                    write_provenance()
                    parameters[PROVENANCE_PARAMETER] = str(provenance_path)
                say(f"executing notebooks/{nb.name}.md " + json.dumps({k: v for k, v in parameters.items() if k != PROVENANCE_PARAMETER}))
                begun = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
                seconds = execute(nb, parameters, out / f"{nb.name}.ipynb", kernel_name)
                _hide_parameter_cells(out / f"{nb.name}.ipynb")
                effective = _shown_parameters({**nb.parameters, **parameters})
                effective.pop(PROVENANCE_PARAMETER, None)
                records[nb.name] = {"notebook": nb.name, "source": f"notebooks/{nb.name}.md", "parameters": effective,
                                    "started": begun, "seconds": round(seconds, 2), **env}  # fmt: skip
                say(f"  done in {seconds:.1f} s")
        write_provenance()

        html = None
        if build:
            config = staging / "_config.yml"
            _write_config(book_dir / "_config.yml", config, build_info["banner"])
            built = jupyter_book_build(source, config, say)
            html = book_dir / "_build" / "html"
            _replace_dir(built, html)
        _replace_dir(out, final_notebooks)
        shutil.rmtree(staging, ignore_errors=True)
        seconds = time.perf_counter() - started
        say(f"book ready in {seconds:.0f} s: {html / 'index.html'}" if html else f"notebooks executed in {seconds:.0f} s")
        return BookResult([nb.name for nb in order], records, html, final_notebooks, seconds, messages)


def _write_config(base: Path, target: Path, announcement: str) -> None:
    """The book's ``_config.yml`` with this build's announcement banner (the source config stays untouched)."""
    import yaml

    config = yaml.safe_load(base.read_text()) or {}
    config.setdefault("html", {})["announcement"] = announcement
    target.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))


# ----------------------------------------------------------------------------- command line


def main(argv: Sequence[str] | None = None) -> int:
    from .clusters import scheduler_environment
    from .profiles import DEFAULT_PROFILES, PROFILES

    parser = argparse.ArgumentParser(
        prog="python -m gcnprune.book",
        description="Execute the book's notebooks with papermill and build the Jupyter Book strictly.",
    )
    parser.add_argument("--dataset", default=BOOK_DATASET, help=f"synthetic, sbu or fpha (default: {BOOK_DATASET})")
    parser.add_argument("--data", default=None, help="the dataset's folder (default: $GCNPRUNE_DATA/<name>, else "
                        "data/<name>; without one, the runs are read from the cache only and nothing trains)")
    parser.add_argument("--profile", default=None, choices=sorted(PROFILES),
                        help="training budget (default: " + ", ".join(f"{p} for {d}" for d, p in DEFAULT_PROFILES.items()) + ")")
    parser.add_argument("--jobs", type=int, default=2, help="parallel training runs (default: 2)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS", help="train on this Dask scheduler's workers")
    parser.add_argument("--cluster", default=None, metavar="SPEC", help="train on a Dask cluster started for the build: "
                        "local:N or slurm[:KEY=VALUE,...], as gcnprune grid --cluster")
    parser.add_argument("--only", action="append", metavar="NOTEBOOK",
                        help="execute only this notebook (repeatable); the others keep their last execution")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="set a notebook parameter (VALUE in JSON; repeatable); NOTEBOOK:NAME=VALUE targets one notebook")
    parser.add_argument("--results", default=str(DEFAULT_RESULTS), help="the run cache (default: results/)")
    parser.add_argument("--no-build", action="store_true", help="execute the notebooks but do not build the HTML")
    parser.add_argument("--notebooks", default=str(NOTEBOOKS_DIR), help="the notebook sources (default: notebooks/)")
    parser.add_argument("--book", default=str(BOOK_DIR), help="the book's folder, with _config.yml and _toc.yml (default: book/)")
    args = parser.parse_args(argv)
    try:
        with scheduler_environment(args.scheduler, args.cluster):  # sets $GCNPRUNE_SCHEDULER for the notebooks
            make_book(args.dataset, args.data, args.profile, args.jobs, args.only, args.param, args.results,
                      not args.no_build, args.notebooks, args.book)  # fmt: skip
    except (BookError, UserError) as error:  # a failing notebook's message holds its traceback on purpose
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
