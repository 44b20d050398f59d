"""The experiments layer: what a run is (:mod:`.config`, :mod:`.profiles`, :mod:`.variants`), the run cache
that owns every run folder and file name (:mod:`.cache`, its locks in :mod:`.pids`), one run trained or read
(:mod:`.runner`), many runs and their summaries (:mod:`.grid`), and who runs them (:mod:`.executors`: local
processes or Dask). It imports the core and nothing above it; the names below are its public surface."""

from __future__ import annotations

from .cache import RUN_FOLDER, TMP_PREFIX, CacheFinding, audit_cache, check_results, load_run, saved_weights, stale_runs
from .config import DERIVED, RunConfig, make_config
from .grid import Grid, accuracy_table, cached_runs, run_configs, summarise
from .repo import DEFAULT_RESULTS
from .runner import build, git_commit, parent_weights, prepare, run, train_run
from .variants import Variant, label

__all__ = [
    "DEFAULT_RESULTS", "DERIVED", "RUN_FOLDER", "TMP_PREFIX", "CacheFinding", "Grid", "RunConfig", "Variant",
    "build", "accuracy_table", "audit_cache", "cached_runs", "check_results", "git_commit", "label",
    "load_run", "make_config", "parent_weights", "prepare", "run", "run_configs", "saved_weights",
    "stale_runs", "summarise", "train_run",
]  # fmt: skip
