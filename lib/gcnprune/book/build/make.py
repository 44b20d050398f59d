"""The book's runner: check the options, execute the notebooks in a staging copy of the book, record their
provenance, build the HTML, and only then put the executed notebooks and the HTML in place."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gcnprune.data import DATASETS, data_folder
from gcnprune.experiments.cache import check_results
from gcnprune.experiments.config import resolve_device
from gcnprune.experiments.options import data_option
from gcnprune.experiments.pids import pid_lock
from gcnprune.experiments.profiles import default_profile, get_profile
from gcnprune.experiments.repo import DEFAULT_RESULTS

from ..chapters.runs import BOOK_DATASET, missing_runs_policy
from .errors import BookError, ParameterError
from .execution import execute, hide_parameter_cells, notebook_kernel
from .html import LOCK_FILE, STAGING_PREFIX, clear_stale_staging, jupyter_book_build, replace_dir, write_config
from .parameters import PROVENANCE_PARAMETER, Notebook, plan
from .provenance import PROVENANCE_FILE, banner, environment, shown_parameters, shown_path
from .toc import BOOK_DIR, NOTEBOOKS_DIR
from .training import train_chapters


@dataclass
class BookResult:
    """What :func:`make_book` did: the notebooks it executed, their records, and where the HTML is."""

    executed: list[str]
    records: dict[str, dict[str, Any]]
    html: Path | None
    notebooks_out: Path
    seconds: float
    log: list[str] = field(default_factory=list)


def check_options(dataset: str, profile: str | None, jobs: int, results: str | os.PathLike[str]) -> None:
    """Refuse, before any notebook runs, an unknown dataset or profile, ``jobs`` below 1, or a results
    path that is not a writable folder (each would otherwise fail inside a notebook, or after training)."""

    if dataset not in DATASETS:
        raise ParameterError(f"--dataset {dataset!r}: unknown dataset; choose one of {', '.join(DATASETS)}")
    if profile is not None:  # None: the dataset's default
        get_profile(profile)  # an unknown profile fails here, naming the valid ones
    if jobs < 1:
        raise ParameterError(f"--jobs must be at least 1 (parallel training runs), got {jobs}")
    check_results(results)


@dataclass
class _Book:
    """One build's checked options and plan, which every stage of :func:`make_book` reads: the resolved
    paths, whether runs come from the cache only, the notebooks (TOC order), those to execute and their
    injected parameters."""

    dataset: str
    data_root: str | None
    profile: str
    jobs: int
    results: str
    cache_only: bool
    build: bool
    only: list[str]
    book_dir: Path
    notebooks: list[Notebook]
    order: list[Notebook]
    injected: dict[str, dict[str, Any]]


def _prepare(
    dataset: str,
    data_root: str | os.PathLike[str] | None,
    profile: str | None,
    jobs: int,
    only: Sequence[str] | str | None,
    params: Mapping[str, Any] | Sequence[str],
    results: str | os.PathLike[str],
    build: bool,
    notebooks_dir: str | os.PathLike[str],
    book_dir: str | os.PathLike[str],
    device: str = "cpu",
) -> _Book:
    """Check the options, resolve the paths, find whether the data is at hand and plan the notebooks, so
    that a bad option, data folder, parameter or notebook fails before anything runs."""
    check_options(dataset, profile, int(jobs), results)
    profile = profile or default_profile(dataset)
    notebooks_dir, book_dir = Path(notebooks_dir).resolve(), Path(book_dir).resolve()
    only = [only] if isinstance(only, str) else list(only or [])
    results = str(Path(results).resolve())
    data_root = None if data_root in (None, "") else str(Path(data_root).resolve())
    data_option(dataset, data_root)
    cache_only = missing_runs_policy(dataset, data_root) == "require"  # a DATA folder that does not exist fails here
    common = {"dataset": dataset, "data_root": data_root, "profile": profile, "results": results, "jobs": int(jobs),
              "device": resolve_device(device)}  # fmt: skip
    notebooks, order, injected = plan(notebooks_dir, book_dir, only, params, common, build)
    return _Book(dataset, data_root, profile, jobs, results, cache_only, build, only, book_dir, notebooks, order,
                 injected)  # fmt: skip


def _stage(book_dir: Path) -> tuple[Path, Path, Path]:
    """A fresh staging copy of the book (without its build and executed notebooks), so that nothing in place
    changes until the build succeeds: (the staging folder, the book's copy, its empty notebooks folder)."""
    staging = book_dir / "_build" / f"{STAGING_PREFIX}{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    clear_stale_staging(book_dir / "_build")
    source = staging / "book"
    shutil.copytree(book_dir, source, ignore=shutil.ignore_patterns("_build", "notebooks", ".*"))
    out = source / "notebooks"
    out.mkdir()
    return staging, source, out


def _keep_previous(book: _Book, final_notebooks: Path, out: Path) -> dict[str, dict[str, Any]]:
    """With ``--only``: copy the other notebooks' previous executions into the staging copy and return their
    provenance records, so that the book keeps them; one never executed stops a build that needs it."""
    executed_names = {nb.name for nb in book.order}
    for nb in book.notebooks:
        previous = final_notebooks / f"{nb.name}.ipynb"
        if nb.name in executed_names:
            continue
        if previous.is_file():
            shutil.copy2(previous, out / previous.name)
        elif book.build:
            raise BookError(f"notebook {nb.name} has not been executed yet, so the book cannot be built with "
                            f"--only; run without --only first (or pass --no-build)")  # fmt: skip
    if (final_notebooks / PROVENANCE_FILE).is_file():
        old = json.loads((final_notebooks / PROVENANCE_FILE).read_text())
        return {k: v for k, v in old.get("notebooks", {}).items() if k not in executed_names}
    return {}


def _build_info(book: _Book) -> dict[str, Any]:
    """The provenance file's ``build`` entry: the build's settings as a reader may see them (paths shown
    without the user's home) and the banner that every page shows."""
    shown_data = None if book.data_root is None else shown_path(book.data_root)
    return {"dataset": book.dataset, "data_root": shown_data, "profile": book.profile, "jobs": int(book.jobs),
            "results": shown_path(book.results), "cache_only": book.cache_only,
            "setting": (setting := banner(book.dataset, book.profile, shown_data, book.cache_only)),
            "banner": setting}  # fmt: skip


def _kept_pages_note(setting: str, kept: Mapping[str, Mapping[str, Any]]) -> str:
    """With ``--only``, what the banner adds where pages kept from earlier builds (their provenance ``kept``) were
    executed under another setting than this build's (the banner's first part, as each record holds it): those
    settings, so that no page reads as this build's when it is not; nothing where they all agree."""
    earlier = list(dict.fromkeys(r["setting"] for r in kept.values() if r.get("setting", setting) != setting))
    if not earlier:
        return ""
    return " Only some pages were executed in this build; others keep an earlier execution, which said: " + " / ".join(
        earlier
    )


def _write_provenance(
    path: Path, build_info: dict[str, Any], notebooks: list[Notebook], records: dict[str, dict[str, Any]]
) -> None:
    """Write the provenance file: the build's settings and the executed notebooks' records in TOC order."""
    ordered = {nb.name: records[nb.name] for nb in notebooks if nb.name in records}
    path.write_text(json.dumps({"build": build_info, "notebooks": ordered}, indent=2) + "\n")


def _announce(book: _Book, say: Callable[[str], None]) -> None:
    """Say what the build uses, and where its runs come from: the cache only, or training on which data."""
    say(f"book: dataset={book.dataset} profile={book.profile} jobs={book.jobs} results={book.results}"
        + (f" data={book.data_root}" if book.data_root else ""))  # fmt: skip
    if book.cache_only:
        say(f"runs: read from the cache only, nothing is trained (no {book.dataset} data found); a run missing from "
            f"the cache stops the build with a message that names it and the command that trains it")  # fmt: skip
    elif book.dataset != "synthetic":
        say(
            f"runs: those missing from the cache are trained on the {book.dataset} data "
            f"at {data_folder(book.dataset, book.data_root)}"
        )


def _execute_notebook(
    nb: Notebook,
    parameters: dict[str, Any],
    out: Path,
    kernel_name: str,
    env: dict[str, Any],
    say: Callable[[str], None],
) -> dict[str, Any]:
    """Execute one notebook into ``out`` with these parameters, hide its parameters cell, and return its
    provenance record (effective parameters, start, duration and environment)."""
    say(
        f"executing notebooks/{nb.name}.md "
        + json.dumps({k: v for k, v in parameters.items() if k != PROVENANCE_PARAMETER})
    )
    begun = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    seconds = execute(nb, parameters, out / f"{nb.name}.ipynb", kernel_name)
    hide_parameter_cells(out / f"{nb.name}.ipynb")
    effective = shown_parameters({**nb.parameters, **parameters})
    effective.pop(PROVENANCE_PARAMETER, None)
    say(f"  done in {seconds:.1f} s")
    return {"notebook": nb.name, "source": f"notebooks/{nb.name}.md", "parameters": effective, "started": begun,
            "seconds": round(seconds, 2), **env}  # fmt: skip


def _execute_notebooks(
    book: _Book,
    staging: Path,
    out: Path,
    records: dict[str, dict[str, Any]],
    build_info: dict[str, Any],
    env: dict[str, Any],
    say: Callable[[str], None],
) -> None:
    """Execute the planned notebooks in order on one kernel, adding each one's record to ``records``; a
    notebook that reads the provenance first gets the file as it stands, with the records so far."""
    provenance_path = out / PROVENANCE_FILE
    with notebook_kernel(staging) as kernel_name:
        for nb in book.order:
            parameters = dict(book.injected[nb.name])
            if nb.reads_provenance:
                _write_provenance(provenance_path, build_info, book.notebooks, records)
                parameters[PROVENANCE_PARAMETER] = str(provenance_path)
            records[nb.name] = {**_execute_notebook(nb, parameters, out, kernel_name, env, say),
                                "setting": build_info["setting"]}  # fmt: skip
    _write_provenance(provenance_path, build_info, book.notebooks, records)


def _build_html(book: _Book, staging: Path, source: Path, banner_text: str, say: Callable[[str], None]) -> Path:
    """Build the staged book's HTML strictly (its config showing the banner) and put it in place; returns
    where it is."""
    config = staging / "_config.yml"
    write_config(book.book_dir / "_config.yml", config, banner_text)
    built = jupyter_book_build(source, config, say)
    html = book.book_dir / "_build" / "html"
    replace_dir(built, html)
    return html


def make_book(
    dataset: str = BOOK_DATASET,
    data_root: str | os.PathLike[str] | None = None,
    profile: str | None = None,
    jobs: int = 2,
    only: Sequence[str] | str | None = None,
    params: Mapping[str, Any] | Sequence[str] = (),
    results: str | os.PathLike[str] = DEFAULT_RESULTS,
    build: bool = True,
    notebooks_dir: str | os.PathLike[str] = NOTEBOOKS_DIR,
    book_dir: str | os.PathLike[str] = BOOK_DIR,
    log: Callable[[str], None] = print,
    device: str = "cpu",
) -> BookResult:
    """Execute the book's notebooks (all, or ``only`` these) and build the book; see :mod:`gcnprune.book`.

    ``profile`` None is the dataset's default (:func:`~gcnprune.experiments.profiles.default_profile`). Where the
    dataset's data is not at hand, the chapters read their runs from the cache only and a missing run
    fails the build naming it (:func:`~gcnprune.book.chapters.runs.missing_runs_policy`).
    ``params`` maps parameter names to values for every executed notebook, or is a list of ``--param``
    strings (``NAME=VALUE``, ``NOTEBOOK:NAME=VALUE``). Runs missing from the cache train on ``device`` (``cpu``,
    ``cuda`` or ``auto``; a CUDA run has its own hash, so a CUDA build reads no CPU run). Raises
    :class:`ParameterError` before running anything if a name is not assigned in a notebook's parameters cell,
    :class:`NotebookFailed` if a notebook raises, :class:`BuildFailed` if the strict build fails;
    :class:`~gcnprune.errors.UserError` if another runner is building the same book folder (see
    :func:`~gcnprune.experiments.pids.pid_lock`).
    """  # fmt: skip

    started = time.perf_counter()
    book = _prepare(dataset, data_root, profile, jobs, only, params, results, build, notebooks_dir, book_dir, device)
    with pid_lock(book.book_dir / "_build" / LOCK_FILE, f"the book folder {book.book_dir}"):
        final_notebooks = book.book_dir / "notebooks"
        staging, source, out = _stage(book.book_dir)
        records = _keep_previous(book, final_notebooks, out) if book.only else {}  # the other notebooks' records
        env = environment()
        build_info = _build_info(book)
        build_info["banner"] += _kept_pages_note(build_info["setting"], records)
        messages: list[str] = []

        def say(text: str) -> None:
            messages.append(text)
            log(text)

        _announce(book, say)
        if not book.cache_only:  # every chapter's missing runs at once; the notebooks then read the cache
            runs, seconds = train_chapters(book.order, book.injected, book.results, int(book.jobs), say)
            build_info["trained"] = {"runs": runs, "seconds": round(seconds, 1)}
        _execute_notebooks(book, staging, out, records, build_info, env, say)
        html = _build_html(book, staging, source, build_info["banner"], say) if book.build else None
        replace_dir(out, final_notebooks)
        shutil.rmtree(staging, ignore_errors=True)
        seconds = time.perf_counter() - started
        say(f"book ready in {seconds:.0f} s: {html / 'index.html'}" if html
            else f"notebooks executed in {seconds:.0f} s")  # fmt: skip
        return BookResult([nb.name for nb in book.order], records, html, final_notebooks, seconds, messages)
