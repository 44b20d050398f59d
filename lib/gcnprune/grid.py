"""A grid of runs: methods × rates × folds × seeds on one dataset under one profile, checked when built."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from .errors import UserError
from .methods import METHODS, get_method, grid_methods
from .repo import DEFAULT_RESULTS
from .run_config import RunConfig, make_config
from .runner import run_configs

if TYPE_CHECKING:
    from .executors import Executor


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
                                               self.method_configs.get(method), data_root=data_root))  # fmt: skip
        return out


def run_grid(
    grid: Grid,
    results: str | os.PathLike[str] = DEFAULT_RESULTS,
    data_root: str | None = None,
    jobs: int = 1,
    progress: bool = True,
    executor: Executor | None = None,
) -> pd.DataFrame:
    """Run (or read from the cache) every run of ``grid``: :func:`~gcnprune.runner.run_configs`, in ``jobs``
    local processes or by ``executor`` (:mod:`gcnprune.executors`, e.g. a Dask cluster)."""
    return run_configs(grid.configs(data_root), results, data_root, jobs, progress, executor)
