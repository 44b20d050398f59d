"""Who runs a grid's runs: local processes (:mod:`.local`) or a Dask cluster (:mod:`.dask`), behind one base
class (:mod:`.base`); :func:`grid_executor` picks one from the command line's options."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from gcnprune.errors import UserError

from .base import SCHEDULER_ENV, Executor
from .local import LocalExecutor

__all__ = ["Executor", "LocalExecutor", "book_executor", "grid_executor"]


@contextmanager
def grid_executor(
    jobs: int = 1, scheduler: str | None = None, cluster: str | None = None, log: Callable[[str], Any] = print
) -> Iterator[Executor]:
    """The executor the options name: ``jobs`` local processes, the Dask scheduler at ``scheduler``
    (``tcp://host:8786``), or a cluster started for the grid (``cluster``, see
    :func:`gcnprune.experiments.executors.clusters.parse_cluster`) and stopped after it; ``log`` gets where the runs
    go."""
    if scheduler is not None and cluster is not None:
        raise UserError("--scheduler and --cluster both name where the runs go; give one")
    if scheduler is None and cluster is None:
        yield LocalExecutor(jobs)
        return
    if jobs != 1:
        raise UserError(
            f"--jobs {jobs} counts local processes, but the runs go to the Dask cluster "
            f"({'--scheduler' if scheduler else '--cluster'}), whose workers run them; drop --jobs"
        )
    from .clusters import dask_client, parse_cluster
    from .dask import DaskExecutor

    spec = None if cluster is None else parse_cluster(cluster)  # a bad spec is refused before Dask starts
    with dask_client(scheduler, spec) as client:
        executor = DaskExecutor(client, log)
        log(f"runs go to {executor.describe()}")
        yield executor


@contextmanager
def book_executor(jobs: int) -> Iterator[Executor]:
    """The executor of a book's notebooks: the Dask scheduler that ``$GCNPRUNE_SCHEDULER`` names (the book
    runner's ``--scheduler``/``--cluster`` set it), else ``jobs`` local processes."""
    address = os.environ.get(SCHEDULER_ENV) or None
    with grid_executor(1 if address else jobs, address, log=lambda _: None) as executor:
        yield executor
