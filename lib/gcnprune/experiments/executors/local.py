"""Runs a grid's runs in local processes: the default executor."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gcnprune.errors import UserError

from ..config import RunConfig
from ..runner import preload_training, run
from .base import Executor, schedule

PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies


@dataclass(frozen=True)
class LocalExecutor(Executor):
    """``jobs`` single-threaded local processes (one in-process loop for ``jobs=1``); each run writes
    itself into the cache (:func:`~gcnprune.experiments.runner.run`). Nothing to install.

    One pool serves the whole grid, and a run starts as soon as its parent is cached, not when the
    parents' whole stage is: no process waits for a stage's slowest run. The pool's processes are
    forked from this one after :func:`~gcnprune.experiments.runner.preload_training`, so none of them pays the
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
        workers = min(self.jobs, sum(map(len, stages)))  # never more processes than runs (--jobs 48 on 2 runs: 2)
        with ProcessPoolExecutor(max_workers=workers, initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
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


def die_with_parent(parent: int) -> None:
    """Make a pool worker end when the grid that started it does, even when the grid is killed (``kill -9``
    leaves no chance to shut the pool down): Linux's parent-death signal, else a thread that watches the
    parent's pid once a second."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM) != 0:
            raise OSError(ctypes.get_errno(), "prctl")
    except (OSError, AttributeError):
        threading.Thread(target=_watch, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the grid died before the signal was armed
        os._exit(1)


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def _run_quietly(args: tuple[RunConfig, str, str | None]) -> dict[str, Any]:
    return run(args[0], args[1], args[2], progress=False)
