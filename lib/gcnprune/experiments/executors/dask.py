"""Runs on a Dask cluster: each uncached run is a task that trains it on a worker from its configuration
(and its parent's weights) and returns its metrics (and weights, for a run others start from); the
client writes the run cache, atomically, as runs finish, so workers need no shared filesystem and a
client killed mid-grid loses no finished run. A child is submitted with its parent's task as a
dependency, so it starts as soon as its parent is done. A worker lost mid-run has Dask run the run
again elsewhere (counted in the log); a run that raises is reported with its configuration and the
worker's traceback while the others go on (:class:`~gcnprune.experiments.executors.base.RunsFailed` at the end).

Imports Dask (``pip install -e ".[cluster]"``); nothing else in the library imports this module unless a
Dask option is used."""

from __future__ import annotations

import threading
import traceback
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from distributed import Client, Future, as_completed
from distributed.scheduler import KilledWorker

from .. import runner
from ..cache import saved_weights
from ..config import RunConfig
from .base import Executor, RunFailure, RunsFailed

State = dict[str, torch.Tensor]
_ONE_RUN = threading.Lock()  # one run at a time per worker process: runs seed torch's global generator


class RunError(Exception):
    """A run that raised on a worker: its hash, the error in a line and the worker's traceback (plain
    strings, so that it unpickles on any client)."""

    def __init__(self, run: str, message: str, worker_traceback: str) -> None:
        super().__init__(run, message, worker_traceback)
        self.run, self.message, self.worker_traceback = run, message, worker_traceback


def _given(state: State) -> tuple[None, State]:
    """A cached parent's weights as a task (not scattered data), so that Dask recomputes it if its worker is lost."""
    return None, state


def compute_task(
    config: RunConfig, parent: tuple[Any, State | None] | None, data_root: str | None
) -> tuple[dict[str, Any], State | None]:
    """What a worker runs: :func:`~gcnprune.experiments.runner.compute_run` from the parent task's weights; an error
    becomes a :class:`RunError` carrying the worker's traceback."""
    with _ONE_RUN:
        try:
            return runner.compute_run(config, None if parent is None else parent[1], data_root)
        except Exception as error:  # noqa: BLE001 -- any error of a run is reported with its traceback
            raise RunError(config.run_hash(), f"{type(error).__name__}: {error}", traceback.format_exc()) from None


@dataclass(frozen=True)
class Job:
    """One task: a run to compute, the run whose weights it starts from (None: from scratch), and whether
    only its weights are wanted (a cached parent whose ``model.pt`` git did not keep)."""

    config: RunConfig
    parent: str | None
    weights_only: bool = False


def plan(stages: Sequence[Sequence[RunConfig]], results: Path) -> tuple[dict[str, State], list[Job]]:
    """The weights of cached parents (read here, so a damaged one is refused before anything trains)
    and the jobs, each after the job it starts from."""
    given: dict[str, State] = {}
    jobs: dict[str, Job] = {}

    def source(parent: RunConfig) -> str:
        key = parent.run_hash()
        if key not in jobs and key not in given:
            state = saved_weights(parent, results)
            if state is not None:
                given[key] = state
            else:
                add(parent, weights_only=True)
        return key

    def add(config: RunConfig, weights_only: bool) -> None:
        parent = config.parent()
        jobs[config.run_hash()] = Job(config, None if parent is None else source(parent), weights_only)

    for stage in stages:
        for config in stage:
            add(config, weights_only=False)
    return given, list(jobs.values())


def _failure(job: Job, key: str, future: Future) -> RunFailure:
    """Why ``future`` (the task of ``job``) failed, naming the parent when the failure was its parent's."""
    if future.status == "cancelled":
        return RunFailure(job.config, "cancelled (the connection to the scheduler was lost)")
    error = future.exception()
    if isinstance(error, RunError):
        if error.run != job.config.run_hash():
            return RunFailure(job.config, f"not run: its parent run {error.run} failed")
        return RunFailure(job.config, error.message, error.worker_traceback)
    if isinstance(error, KilledWorker):
        if error.task != key:
            return RunFailure(job.config, f"not run: the workers running its parent died ({error.task})")
        return RunFailure(job.config, f"the workers running it died {error.allowed_failures + 1} times (killed, or "
                          "out of memory); Dask gave up on it")  # fmt: skip
    return RunFailure(job.config, f"{type(error).__name__}: {error}", "".join(traceback.format_exception(error)))


class DaskExecutor(Executor):
    """Sends a grid's runs to the Dask cluster of ``client``; ``log`` gets the runs that ran again after
    their worker was lost. ``retried`` maps each run hash to that count after :meth:`run`."""

    def __init__(self, client: Client, log: Callable[[str], Any] = print) -> None:
        self.client = client
        self.log = log
        self.retried: dict[str, int] = {}

    def describe(self) -> str:
        workers = len(self.client.scheduler_info().get("workers", {}))
        return (
            f"the Dask scheduler {self.client.scheduler.address} "
            f"({workers} workers; dashboard {self.client.dashboard_link})"
        )

    def run(
        self, stages: Sequence[Sequence[RunConfig]], results: Path, data_root: str | None, done: Callable[[int], Any]
    ) -> None:
        given, jobs = plan(stages, results)
        token = uuid.uuid4().hex[:8]
        futures: dict[str, Future] = {h: self.client.submit(_given, state, key=f"gcnprune-weights-{h}-{token}")
                                      for h, state in given.items()}  # fmt: skip
        tasks: dict[Future, Job] = {}
        for job in jobs:
            key = f"gcnprune-run-{job.config.run_hash()}-{token}"
            parent = None if job.parent is None else futures[job.parent]
            futures[job.config.run_hash()] = future = self.client.submit(
                compute_task, job.config, parent, data_root, key=key
            )
            tasks[future] = job
        keys = {future.key: h for h, future in futures.items()}
        del futures, given  # the scheduler keeps what pending tasks still need
        failures: list[RunFailure] = []
        finished = 0
        for future in as_completed(list(tasks)):
            job = tasks.pop(future)
            if future.status == "finished":
                metrics, state = future.result()
                if job.weights_only:
                    runner.store_weights(job.config, state, results)
                else:
                    runner.store_run(job.config, metrics, state, results)
                    finished += 1
            else:
                failures.append(_failure(job, future.key, future))
            if not job.weights_only:
                done(1)
            del future
        self.retried = self._retried(keys)
        if self.retried:
            self.log(f"{sum(self.retried.values())} time(s) a worker was lost while it ran or held runs; Dask ran "
                     f"them again elsewhere: " + ", ".join(f"{h} ×{n}" for h, n in self.retried.items()))  # fmt: skip
        if failures:
            raise RunsFailed(failures, finished)

    def _retried(self, keys: dict[str, str]) -> dict[str, int]:
        """How many times each run's task was lost with its worker (running it, or holding its result),
        from the scheduler's log of removed workers."""
        counts: Counter[str] = Counter()
        for _, event in self.client.get_events("all"):
            if isinstance(event, dict) and event.get("action") == "remove-worker" and not event.get("expected"):
                for key in (*event.get("processing-tasks", ()), *event.get("lost-computed-tasks", ())):
                    if key in keys:
                        counts[keys[key]] += 1
        return dict(counts)
