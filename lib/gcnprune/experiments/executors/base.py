"""What every executor is: one abstract class (:class:`Executor`) that local processes (:mod:`.local`) and a
Dask cluster (:mod:`.dask`) implement, so a grid is written the same way whatever runs it and gives the same
numbers; the schedule of a grid's lineage and the failures an executor reports."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gcnprune.errors import UserError

from ..config import RunConfig

SCHEDULER_ENV = (
    "GCNPRUNE_SCHEDULER"  # the Dask scheduler the book's notebooks send their runs to (set by the book runner)
)


class Executor(ABC):
    """Runs the runs of a grid that are not cached and stores them in the run cache."""

    @abstractmethod
    def describe(self) -> str:
        """Where the runs go, in a few words (with the Dask dashboard's address)."""

    @abstractmethod
    def run(
        self, stages: Sequence[Sequence[RunConfig]], results: Path, data_root: str | None, done: Callable[[int], Any]
    ) -> None:
        """Compute every configuration of ``stages`` (none cached; a run's parent is cached or in an
        earlier stage) and write each into ``results`` as it finishes, calling ``done(1)``; a run that
        fails leaves the others going and raises :class:`RunsFailed` at the end (the local executor,
        like a plain loop, stops at the first failure instead)."""


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
