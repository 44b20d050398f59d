"""A grid of runs: methods × rates × folds × seeds on one dataset under one profile, checked when built."""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from tqdm import tqdm

from gcnprune.errors import UserError
from gcnprune.methods import METHODS, get_method, grid_methods

from .cache import check_results, load_run
from .config import RunConfig, make_config
from .executors.local import LocalExecutor
from .repo import DEFAULT_RESULTS
from .variants import Variant

if TYPE_CHECKING:
    from .executors.base import Executor


@dataclass(frozen=True)
class Grid:
    """Methods × rates × folds × seeds on one dataset under one profile.

    A method that runs only at rate 0 (the dense method) runs once per fold and seed; every other method
    runs at each nonzero rate. ``method_configs`` maps a method name to its hyperparameters. A grid that
    would leave something out silently (a rate outside [0, 1), a method without runs, hyperparameters
    for a method it does not run) raises :class:`~gcnprune.errors.UserError` when built, before anything
    trains.
    """

    dataset: str
    profile: str
    methods: Sequence[str]
    rates: Sequence[float]
    folds: Sequence[int]
    seeds: Sequence[int] = (0,)
    method_configs: dict[str, dict[str, Any]] = field(default_factory=dict)
    device: str = "cpu"  # where its runs train: cpu, cuda or auto (config.resolve_device)

    def __post_init__(self) -> None:
        self._check_methods()
        bad = [r for r in self.rates if not (math.isfinite(r) and 0.0 <= r < 1.0)]
        if bad:
            raise UserError(f"pruning rates (fractions of the prunable weights removed) must lie in [0, 1), "
                            f"got {', '.join(map(str, bad))}")  # fmt: skip
        for name, values in (("folds", self.folds), ("seeds", self.seeds)):
            if not values:
                raise UserError(f"the grid has no {name}: give at least one")
        if min(self.folds) < 0:
            raise UserError(f"fold indices are 0-based and non-negative, got {min(self.folds)}")
        idle = [m for m in self.methods if not self.rates_of(m)]
        if idle:
            raise UserError(
                f"{', '.join(idle)} run(s) only at nonzero rates, and the rates given "
                f"({', '.join(map(str, self.rates)) or 'none'}) include none: add a rate in (0, 1)"
            )

    def _check_methods(self) -> None:
        """Every method is one a grid can run, and every hyperparameter set is for one of them and valid."""
        if not self.methods:
            raise UserError(f"the grid has no methods; choose from {', '.join(grid_methods())}")
        for method in self.methods:
            if method not in METHODS:
                raise UserError(f"unknown pruning method {method!r}; grid methods: {', '.join(grid_methods())}")
            if METHODS[method].internal:
                raise UserError(f"{method} is not a grid method: it trains only as the parent of the runs that "
                                f"start from it, so name those; grid methods: {', '.join(grid_methods())}")  # fmt: skip
        for method, config in self.method_configs.items():
            if method not in METHODS:
                raise UserError(f"hyperparameters are set for {method!r}, which is not a pruning method; "
                                f"grid methods: {', '.join(grid_methods())}")  # fmt: skip
            if method not in self.methods:
                raise UserError(
                    f"hyperparameters are set for {method}, which the grid does not run "
                    f"(its methods: {', '.join(self.methods)}); add it to the methods or drop them"
                )
            get_method(method, config)

    def rates_of(self, method: str) -> list[float]:
        """The rates ``method`` runs at: 0 for a method that runs only there (the dense method), every
        nonzero rate for the others."""
        return [0.0] if METHODS[method].rate_zero_only else [float(r) for r in self.rates if r > 0]

    def configs(self, data_root: str | os.PathLike[str] | None = None) -> list[RunConfig]:
        """Every run of the grid, for the data at ``data_root`` (its fingerprint enters each run)."""
        out = []
        for method in self.methods:
            for rate in self.rates_of(method):
                for fold in self.folds:
                    for seed in self.seeds:
                        out.append(make_config(self.dataset, self.profile, fold, method, float(rate), seed,
                                               self.method_configs.get(method), data_root=data_root,
                                               device=self.device))  # fmt: skip
        return out


def lineage_stages(configs: Sequence[RunConfig]) -> list[list[RunConfig]]:
    """``configs`` and their ancestors in stages, parents before the runs that start from them (grandparents
    first), each run once, in the earliest stage that has it (a grid's dense runs are parents too)."""
    stages: list[list[RunConfig]] = [list(configs)]
    while parents := {p.run_hash(): p for p in (c.parent() for c in stages[0]) if p is not None}:
        stages.insert(0, list(parents.values()))
    seen: set[str] = set()
    out = []
    for stage in stages:
        out.append([c for c in stage if c.run_hash() not in seen])
        seen.update(c.run_hash() for c in stage)
    return out


def run_configs(
    configs: Iterable[RunConfig],
    results: str | os.PathLike[str] = DEFAULT_RESULTS,
    data_root: str | None = None,
    jobs: int = 1,
    progress: bool = True,
    executor: Executor | None = None,
) -> pd.DataFrame:
    """Run (or read from the cache) every configuration; one row per run with its configuration and metrics.

    Parent runs go first (grandparents before parents), so runs that start from them find their
    weights. ``executor`` runs them (:mod:`gcnprune.experiments.executors.base`): by default ``jobs`` local processes,
    each single-threaded; a :class:`~gcnprune.experiments.executors.dask.DaskExecutor` sends them to a Dask cluster
    (``jobs`` must then stay 1). Before anything trains, a bad ``jobs``, a results path that is not a
    writable folder, or a damaged cache entry raises :class:`~gcnprune.errors.UserError`.
    """

    if executor is None:
        executor = LocalExecutor(jobs)
    elif jobs != 1:
        raise UserError(f"jobs={jobs} counts local processes, but the runs go to {executor.describe()}; drop jobs")
    configs = list(configs)
    results = str(results)
    todo = [[c for c in stage if load_run(c, results) is None] for stage in lineage_stages(configs)]
    total = sum(map(len, todo))
    check_results(results, writing=total > 0)
    with tqdm(total=total, desc="runs", disable=not progress or not total) as bar:
        if total:
            executor.run([stage for stage in todo if stage], Path(results), data_root, bar.update)
    table, missing = cached_runs(configs, results)
    assert not missing
    return table


def cached_runs(
    configs: Iterable[RunConfig], results: str | os.PathLike[str] = DEFAULT_RESULTS
) -> tuple[pd.DataFrame, list[RunConfig]]:
    """The runs of ``configs`` already cached, one row each (configuration and metrics), and the
    configurations not run yet; trains nothing (for pages that gather other chapters' runs). ``method``
    is the variant's label (:attr:`~gcnprune.experiments.variants.Variant.label`), ``variant`` the variant itself."""
    rows: dict[str, dict[str, Any]] = {}
    missing = []
    for c in configs:
        metrics = load_run(c, results)
        if metrics is None:
            missing.append(c)
        else:
            variant = Variant.of(c.method, c.method_config)
            rows[c.run_hash()] = {"run": c.run_hash(), "dataset": c.dataset, "method": variant.label, "rate": c.rate,
                                  "fold": c.fold, "seed": c.seed, "variant": variant, **metrics}  # fmt: skip
    columns = None if rows else ["run", "dataset", "method", "rate", "fold", "seed", "variant"]
    return pd.DataFrame(list(rows.values()), columns=columns), missing


def summarise(runs: pd.DataFrame, value: str = "accuracy", scale: float = 100.0) -> pd.DataFrame:
    """Mean and std of ``value`` over folds and seeds for each method and target rate, with run counts."""
    grouped = runs.groupby(["method", "rate"])[value]
    table = pd.DataFrame({"mean": grouped.mean() * scale, "std": grouped.std(ddof=0) * scale, "runs": grouped.size()})
    for column in ("achieved_rate", "dangling_fraction", "prunable_nonzero", "prunable_dense", "train_seconds"):
        if column in runs:
            table[column] = runs.groupby(["method", "rate"])[column].mean()
    return table.reset_index()


def accuracy_table(runs: pd.DataFrame, value: str = "accuracy", scale: float = 100.0, digits: int = 1) -> pd.DataFrame:
    """Methods as rows (in registration order, a method's variants by label), target rates as columns,
    cells "mean ± std" over folds and seeds; ``runs`` as :func:`~gcnprune.experiments.grid.cached_runs` gives them,
    with each row's ``variant``."""
    s = summarise(runs, value, scale)
    s["cell"] = [f"{m:.{digits}f} ± {d:.{digits}f}" for m, d in zip(s["mean"], s["std"])]
    table = s.pivot(index="method", columns="rate", values="cell").fillna("")
    variants = dict(zip(runs["method"], runs["variant"]))
    return table.loc[sorted(table.index, key=lambda m: variants[m].order())]
