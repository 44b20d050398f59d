"""Runs and their cache, under the names notebooks, scripts and tests have always imported: what a run is
(:mod:`.run_config`), the run cache (:mod:`.cache`), running runs (:mod:`.runner`), grids (:mod:`.grid`),
variants (:mod:`.variants`) and tables (:mod:`.tables`). The library itself imports those modules."""

from __future__ import annotations

from .cache import RUN_FOLDER, TMP_PREFIX, CacheFinding, audit_cache, check_results, load_run, saved_weights, stale_runs
from .config import DERIVED, RunConfig, make_config
from .grid import Grid, accuracy_table, cached_runs, run_configs, run_grid, summarise
from .repo import DEFAULT_RESULTS
from .runner import _prepare, _train, git_commit, parent_weights, prepare, run, train_run
from .variants import Variant, label

__all__ = [
    "DEFAULT_RESULTS", "DERIVED", "RUN_FOLDER", "TMP_PREFIX", "CacheFinding", "Grid", "RunConfig", "Variant",
    "_prepare", "_train", "accuracy_table", "audit_cache", "cached_runs", "check_results", "git_commit", "label",
    "load_run", "make_config", "parent_weights", "prepare", "run", "run_configs", "run_grid", "saved_weights",
    "stale_runs", "summarise", "train_run",
]  # fmt: skip
