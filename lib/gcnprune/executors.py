"""Who runs a grid's runs: ``jobs`` local processes (:class:`LocalExecutor`, the default) or a Dask cluster
(:class:`~gcnprune.dask_executor.DaskExecutor`), behind one small protocol, so a grid is written the same
way whatever runs it and gives the same numbers; :func:`grid_executor` picks one from the command line's
options (``--jobs``, ``--scheduler``, ``--cluster``)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from .errors import UserError
from .run_config import RunConfig
from .runner import preload_training, run

SCHEDULER_ENV = (
    "GCNPRUNE_SCHEDULER"  # the Dask scheduler the book's notebooks send their runs to (set by the book runner)
)


class Executor(Protocol):
    """Runs the runs of a grid that are not cached and stores them in the run cache."""

    def describe(self) -> str:
        """Where the runs go, in a few words (with the Dask dashboard's address)."""
        ...

    def run(
        self, stages: Sequence[Sequence[RunConfig]], results: Path, data_root: str | None, done: Callable[[int], Any]
    ) -> None:
        """Compute every configuration of ``stages`` (none cached; a run's parent is cached or in an
        earlier stage) and write each into ``results`` as it finishes, calling ``done(1)``; a run that
        fails leaves the others going and raises :class:`RunsFailed` at the end (the local executor,
        like a plain loop, stops at the first failure instead)."""
        ...


def _run_quietly(args: tuple[RunConfig, str, str | None]) -> dict[str, Any]:
    return run(args[0], args[1], args[2], progress=False)


def schedule(stages: Sequence[Sequence[RunConfig]]) -> tuple[list[RunConfig], dict[str, list[RunConfig]]]:
    """The runs of ``stages`` that need nothing still to run (their parent cached, or none), and the
    children waiting for each run, by its hash. Ready runs come parents first (a run others wait for
    unblocks them), then in the stages' order."""
    todo = [c for stage in stages for c in stage]
    hashes = {c.run_hash() for c in todo}
    children: dict[str, list[RunConfig]] = {}
    ready = []
    for c in todo:
        parent = c.parent()
        if parent is not None and parent.run_hash() in hashes:
            children.setdefault(parent.run_hash(), []).append(c)
        else:
            ready.append(c)
    ready.sort(key=lambda c: c.run_hash() not in children)  # stable: the stages' order within each group
    return ready, children


@dataclass(frozen=True)
class LocalExecutor:
    """``jobs`` single-threaded local processes (one in-process loop for ``jobs=1``); each run writes
    itself into the cache (:func:`~gcnprune.runner.run`). Nothing to install.

    One pool serves the whole grid, and a run starts as soon as its parent is cached, not when the
    parents' whole stage is: no process waits for a stage's slowest run. The pool's processes are
    forked from this one after :func:`~gcnprune.runner.preload_training`, so none of them pays the
    first optimiser step's import again."""

    jobs: int = 1

    def __post_init__(self) -> None:
        if self.jobs < 1:
            raise UserError(f"jobs must be at least 1 (the number of parallel training runs), got {self.jobs}")

    def describe(self) -> str:
        return f"{self.jobs} local process{'es' if self.jobs > 1 else ''}"

    def run(
        self, stages: Sequence[Sequence[RunConfig]], results: Path, data_root: str | None, done: Callable[[int], Any]
    ) -> None:
        if self.jobs == 1 or sum(map(len, stages)) == 1:
            for stage in stages:
                for c in stage:
                    run(c, results, data_root, progress=False)
                    done(1)
            return
        preload_training()
        ready, children = schedule(stages)
        with ProcessPoolExecutor(max_workers=self.jobs) as pool:
            running: dict[Future[dict[str, Any]], RunConfig] = {}
            try:
                while ready or running:
                    while ready and len(running) < self.jobs:  # submit no more than run: later parents go first
                        config = ready.pop(0)
                        running[pool.submit(_run_quietly, (config, str(results), data_root))] = config
                    finished, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in finished:
                        config = running.pop(future)
                        future.result()  # a failed run stops the grid here, as a plain loop would
                        done(1)
                        released = children.pop(config.run_hash(), [])
                        parents = [c for c in released if c.run_hash() in children]
                        ready[:0] = parents
                        ready.extend(c for c in released if c.run_hash() not in children)
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise


@dataclass(frozen=True)
class RunFailure:
    """A run that raised on a worker (``traceback`` is the worker's), or that did not run because its
    parent failed (``traceback`` empty, ``reason`` names the parent)."""

    config: RunConfig
    reason: str
    traceback: str = ""

    def describe(self) -> str:
        c = self.config
        return (
            f"run {c.run_hash()} ({c.method} at rate {c.rate:g}, fold {c.fold + 1}, seed {c.seed}, {c.dataset}): "
            f"{self.reason}"
        )


class RunsFailed(Exception):
    """Runs of a grid failed while the others finished (and are cached): each failed run's configuration
    and its worker's traceback. Rerunning the grid retries only the failed ones."""

    def __init__(self, failures: Sequence[RunFailure], finished: int) -> None:
        self.failures = list(failures)
        lines = [(f"{len(self.failures)} run(s) failed; the {finished} other(s) finished and are cached, so "
                  "rerunning the grid retries only these:")]  # fmt: skip
        for failure in self.failures:
            lines.append("- " + failure.describe())
            lines.extend("    " + line for line in failure.traceback.rstrip().splitlines())
        super().__init__("\n".join(lines))


def require_dask() -> None:
    """Refuse a Dask option where Dask is not installed, naming the extra that installs it."""
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as error:
        raise UserError(f"running on a Dask cluster needs Dask ({error}); install it with "
                        'pip install -e ".[cluster]"') from None  # fmt: skip


@contextmanager
def grid_executor(
    jobs: int = 1, scheduler: str | None = None, cluster: str | None = None, log: Callable[[str], Any] = print
) -> Iterator[Executor]:
    """The executor the options name: ``jobs`` local processes, the Dask scheduler at ``scheduler``
    (``tcp://host:8786``), or a cluster started for the grid (``cluster``, see
    :func:`gcnprune.clusters.parse_cluster`) and stopped after it; ``log`` gets where the runs go."""
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
    from .dask_executor import DaskExecutor

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
