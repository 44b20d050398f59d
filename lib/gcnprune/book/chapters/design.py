"""The design grid of the lightweight-GCN chapter (notebooks/designing-a-lightweight-gcn.md): the dense
network as the profile builds it, and variants that each change one input feature or one width.

A design point changes :class:`~gcnprune.graphs.FeatureConfig` and :class:`~gcnprune.model.ModelConfig`
fields of the profile's run configuration: a boolean sets the field, a number scales the profile's value
(rounded, at least 1), so that one grid reads the same on every profile. Each point is an ordinary run
configuration, so its run is cached under its hash like any other; the point that changes nothing is the
profile's own dense run.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from gcnprune.data import DatasetInfo
from gcnprune.experiments.config import RunConfig
from gcnprune.experiments.grid import Grid
from gcnprune.graphs import normalised_adjacency
from gcnprune.model import GCN

from ..report.layer_costs import layer_costs

# The paper profile trains the dense network for 900 epochs: the design grid's eight networks on five SBU
# folds would take about two CPU-hours more, so under the paper profile the chapter runs on the papers' split
# alone (fold 5, 0-based 4), the split every chapter's papers' split table reads.
DESIGN_FOLDS = {"paper": (4,)}


def design_folds(profile: str, folds: list[int]) -> list[int]:
    """The folds the design chapter's grids run on in a book of ``profile`` on ``folds`` (:data:`DESIGN_FOLDS`)."""
    return list(DESIGN_FOLDS.get(profile, folds))


def _changed(config: Any, changes: Mapping[str, float | bool]) -> Any:
    values = {}
    for name, change in changes.items():
        if not hasattr(config, name):
            raise ValueError(f"{type(config).__name__} has no field {name!r}")
        if isinstance(change, bool):
            values[name] = change
        else:
            values[name] = max(1, round(getattr(config, name) * change))
    return replace(config, **values)


@dataclass(frozen=True)
class DesignPoint:
    """One network design: ``features`` and ``model`` map FeatureConfig and ModelConfig fields to a new
    boolean value or to a factor on the profile's value."""

    name: str
    features: Mapping[str, float | bool] = field(default_factory=dict)
    model: Mapping[str, float | bool] = field(default_factory=dict)

    def apply(self, config: RunConfig) -> RunConfig:
        """``config`` with this design's features and widths."""
        return replace(
            config, features=_changed(config.features, self.features), model=_changed(config.model, self.model)
        )


DESIGN_POINTS = (
    DesignPoint("as the profile"),
    DesignPoint("chunks ÷ 4", features={"chunks": 0.25}),
    DesignPoint("chunks ÷ 2", features={"chunks": 0.5}),
    DesignPoint("+ velocities", features={"velocities": True}),
    DesignPoint("no relative positions", features={"relative": False}),
    DesignPoint("heads ÷ 4", model={"heads": 0.25}),
    DesignPoint("graph channels ÷ 4", model={"graph_channels": 0.25}),
    DesignPoint("hidden units ÷ 4", model={"hidden": 0.25}),
)


@dataclass(frozen=True)
class DesignGrid(Grid):
    """The dense network at every design point, on each fold and seed (``methods`` is ``("dense",)``)."""

    points: tuple[DesignPoint, ...] = DESIGN_POINTS

    def configs(self, data_root: str | os.PathLike[str] | None = None) -> list[RunConfig]:
        base = super().configs(data_root)
        return [point.apply(config) for point in self.points for config in base]

    def point_of(self, data_root: str | os.PathLike[str] | None = None) -> dict[str, str]:
        """Each run's hash → the name of its design point."""
        base = super().configs(data_root)
        return {point.apply(config).run_hash(): point.name for point in self.points for config in base}


def design_grid(dataset: str, profile: str, folds: list[int], seeds: list[int]) -> DesignGrid:
    """The design grid of a book on ``dataset`` under ``profile`` (on :func:`design_folds`)."""
    return DesignGrid(dataset, profile, ("dense",), (0.0,), tuple(design_folds(profile, folds)), tuple(seeds))


def build_model(config: RunConfig, info: DatasetInfo) -> GCN:
    """The network of ``config`` on the dataset of ``info``, at initialisation (the seed as it is)."""
    return GCN(info.num_joints, config.features.signal_size(), info.num_classes, normalised_adjacency(info.adjacency()),
               config.model)  # fmt: skip


def grid_runs(grid: Grid, runs: pd.DataFrame, data_root: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """The rows of ``runs`` that belong to ``grid`` (by run hash)."""
    return runs[runs["run"].isin({config.run_hash() for config in grid.configs(data_root)})]


def design_costs(config: RunConfig, info: DatasetInfo) -> pd.Series:
    """Input size, parameters, prunable weights and multiply-adds per sequence of ``config``'s network."""
    model = build_model(config, info)
    costs = layer_costs(model)
    return pd.Series({"input features": config.features.signal_size(), "parameters": int(costs["parameters"].sum()),
                      "prunable weights": sum(layer.weight.numel() for layer in model.prunable_layers().values()),
                      "multiply-adds": int(costs["multiply-adds"].sum())})  # fmt: skip


def design_summary(
    grid: DesignGrid, runs: pd.DataFrame, info: DatasetInfo, data_root: str | os.PathLike[str] | None = None
) -> pd.DataFrame:
    """One row per design point, in the grid's order: its costs (:func:`design_costs`), test accuracy (%)
    mean and std over the folds and seeds of ``runs`` (the grid's runs), how many runs it has, and its
    "relative size" (its parameters over the first point's, the profile's network) and "Δ accuracy (points)"
    (its accuracy less the first point's)."""
    points = grid.point_of(data_root)
    found = runs[runs["run"].isin(points)].assign(point=lambda t: t["run"].map(points))
    configs = {points[c.run_hash()]: c for c in grid.configs(data_root)}
    rows = []
    for point in grid.points:
        accuracy = 100 * found.loc[found["point"] == point.name, "accuracy"]
        rows.append({"design": point.name, **design_costs(configs[point.name], info),
                     "accuracy": accuracy.mean(), "std": accuracy.std(ddof=0), "runs": len(accuracy)})  # fmt: skip
    table = pd.DataFrame(rows).set_index("design")
    table["relative size"] = table["parameters"] / table["parameters"].iloc[0]
    table["Δ accuracy (points)"] = table["accuracy"] - table["accuracy"].iloc[0]
    return table
