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
from gcnprune.experiments.pids import pid_lock
from gcnprune.experiments.profiles import default_profile, get_profile
from gcnprune.experiments.repo import DEFAULT_RESULTS

from ..chapters.runs import BOOK_DATASET, missing_runs_policy
from .errors import BookError, ParameterError
from .execution import execute, hide_parameter_cells, notebook_kernel
from .html import LOCK_FILE, STAGING_PREFIX, clear_stale_staging, jupyter_book_build, replace_dir, write_config
from .parameters import PROVENANCE_PARAMETER, plan
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
) -> BookResult:
    """Execute the book's notebooks (all, or ``only`` these) and build the book; see :mod:`gcnprune.book`.

    ``profile`` None is the dataset's default (:func:`~gcnprune.experiments.profiles.default_profile`). Where the
    dataset's data is not at hand, the chapters read their runs from the cache only and a missing run
    fails the build naming it (:func:`~gcnprune.book.chapters.runs.missing_runs_policy`).
    ``params`` maps parameter names to values for every executed notebook, or is a list of ``--param``
    strings (``NAME=VALUE``, ``NOTEBOOK:NAME=VALUE``). Raises :class:`ParameterError` before running
    anything if a name is not assigned in a notebook's parameters cell, :class:`NotebookFailed` if a
    notebook raises, :class:`BuildFailed` if the strict build fails; :class:`~gcnprune.errors.UserError` if
    another runner is building the same book folder (see :func:`~gcnprune.experiments.pids.pid_lock`).
    """  # fmt: skip

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
            say(
                f"runs: those missing from the cache are trained on the {dataset} data "
                f"at {data_folder(dataset, data_root)}"
            )
        if not cache_only:  # every chapter's missing runs at once; the notebooks then read the cache
            runs, seconds = train_chapters(order, injected, results, int(jobs), say)
            build_info["trained"] = {"runs": runs, "seconds": round(seconds, 1)}
        with notebook_kernel(staging) as kernel_name:
            for nb in order:
                parameters = dict(injected[nb.name])
                if nb.reads_provenance:
                    write_provenance()
                    parameters[PROVENANCE_PARAMETER] = str(provenance_path)
                say(
                    f"executing notebooks/{nb.name}.md "
                    + json.dumps({k: v for k, v in parameters.items() if k != PROVENANCE_PARAMETER})
                )
                begun = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
                seconds = execute(nb, parameters, out / f"{nb.name}.ipynb", kernel_name)
                hide_parameter_cells(out / f"{nb.name}.ipynb")
                effective = shown_parameters({**nb.parameters, **parameters})
                effective.pop(PROVENANCE_PARAMETER, None)
                records[nb.name] = {"notebook": nb.name, "source": f"notebooks/{nb.name}.md", "parameters": effective,
                                    "started": begun, "seconds": round(seconds, 2), **env}  # fmt: skip
                say(f"  done in {seconds:.1f} s")
        write_provenance()

        html = None
        if build:
            config = staging / "_config.yml"
            write_config(book_dir / "_config.yml", config, build_info["banner"])
            built = jupyter_book_build(source, config, say)
            html = book_dir / "_build" / "html"
            replace_dir(built, html)
        replace_dir(out, final_notebooks)
        shutil.rmtree(staging, ignore_errors=True)
        seconds = time.perf_counter() - started
        say(
            f"book ready in {seconds:.0f} s: {html / 'index.html'}"
            if html
            else f"notebooks executed in {seconds:.0f} s"
        )
        return BookResult([nb.name for nb in order], records, html, final_notebooks, seconds, messages)
