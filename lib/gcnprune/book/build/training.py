"""Train the runs of every chapter the book executes before its notebooks do, all in one pool.

Each chapter notebook trains what its grids miss (:func:`gcnprune.book.chapters.runs.chapter_runs`), one chapter
after the other; here the runs of all of them go to one pool at once, so that no process waits for the
slowest run of a chapter (or of a stage within it) and the notebooks then read the cache. The numbers are
the same: every run trains alone, single-threaded, from its configuration (and its parent's weights).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from gcnprune.experiments.cache import load_run
from gcnprune.experiments.config import RunConfig
from gcnprune.experiments.executors import book_executor
from gcnprune.experiments.grid import run_configs

from ..chapters.grids import ORDER
from ..chapters.runs import chapter_configs
from .parameters import Notebook


def notebook_configs(notebook: Notebook, values: Mapping[str, Any]) -> list[RunConfig]:
    """The runs that ``notebook`` asks :func:`~gcnprune.book.chapters.runs.chapter_runs` for, executed with the
    parameter ``values`` (all of them: its parameters cell's defaults updated by what the runner
    injects); none for a notebook that is not a chapter of :mod:`gcnprune.book.chapters.grids` (each chapter's
    notebook is named after it)."""

    if notebook.name not in ORDER:
        return []
    v = values
    return chapter_configs(notebook.name, v["dataset"], v["data_root"], v["profile"], v["folds"], v["rates"],
                           v["seeds"], v.get("device", "cpu")).configs  # fmt: skip


def train_chapters(
    notebooks: Sequence[Notebook],
    injected: Mapping[str, Mapping[str, Any]],
    results: str,
    jobs: int,
    say: Callable[[str], None],
) -> tuple[int, float]:
    """Train the runs of ``notebooks`` missing from ``results`` (``jobs`` local processes, or the Dask
    scheduler the book runner named, :func:`~gcnprune.experiments.executors.book_executor`); how many of the chapters'
    runs were missing (their parents, trained first where missing too, aside) and the seconds it took."""

    by_data: dict[str | None, dict[str, RunConfig]] = {}
    chapters = []
    for nb in notebooks:
        values = {**nb.parameters, **injected[nb.name]}
        configs = notebook_configs(nb, values)
        if configs:
            chapters.append(nb.name)
            by_data.setdefault(values["data_root"], {}).update((c.run_hash(), c) for c in configs)
    missing = sum(load_run(c, results) is None for group in by_data.values() for c in group.values())
    if not missing:
        return 0, 0.0
    say(f"training the {missing} run(s) that {len(chapters)} chapter(s) miss, in one pool, before the notebooks")
    started = time.perf_counter()
    with book_executor(jobs) as executor:
        for data_root, configs in by_data.items():
            run_configs(configs.values(), results, data_root, progress=True, executor=executor)
    seconds = time.perf_counter() - started
    say(f"  trained in {seconds:.1f} s")
    return missing, seconds
