"""The design grid: each point changes only what it names, the profile's own point is the profile's dense
run (same hash), the teaching chapters' grids, and the per-point summary of runs."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from gcnprune.book.chapters.design import (
    DESIGN_POINTS,
    DesignPoint,
    design_folds,
    design_grid,
    design_summary,
    grid_runs,
)
from gcnprune.book.chapters.grids import CHAPTERS, ORDER, TEACHING, TUTORIAL_RATES, chapter_grids
from gcnprune.data import dataset_info
from gcnprune.experiments import make_config
from gcnprune.experiments.profiles import get_profile


def test_the_profiles_point_is_the_profiles_dense_run():
    grid = design_grid("synthetic", "smoke", [0], [0])
    first = grid.configs()[0]
    assert DESIGN_POINTS[0].features == {} and DESIGN_POINTS[0].model == {}
    assert first.run_hash() == make_config("synthetic", "smoke", 0, "dense", 0.0).run_hash()
    assert len(grid.configs()) == len(DESIGN_POINTS) == len(set(grid.point_of().values()))
    assert len({c.run_hash() for c in grid.configs()}) == len(DESIGN_POINTS)


@pytest.mark.parametrize("point", DESIGN_POINTS[1:], ids=lambda p: p.name)
def test_each_point_changes_only_the_fields_it_names(point):
    base = make_config("synthetic", "quick", 0, "dense", 0.0)
    changed = point.apply(base)
    for part, changes in (("features", point.features), ("model", point.model)):
        before, after = dataclasses.asdict(getattr(base, part)), dataclasses.asdict(getattr(changed, part))
        assert {k for k in before if before[k] != after[k]} == set(changes), point.name
    assert dataclasses.replace(changed, features=base.features, model=base.model) == base


def test_numbers_scale_the_profiles_value_and_booleans_set_it():
    base = make_config("synthetic", "smoke", 0, "dense", 0.0)  # chunks 4, heads 2, hidden 32
    point = DesignPoint("x", features={"chunks": 0.5, "velocities": True}, model={"heads": 0.25, "hidden": 2})
    out = point.apply(base)
    assert (out.features.chunks, out.features.velocities, out.model.heads, out.model.hidden) == (2, True, 1, 64)
    with pytest.raises(ValueError, match="no field 'width'"):
        DesignPoint("bad", model={"width": 0.5}).apply(base)


def test_the_design_grid_runs_the_papers_split_in_a_paper_book_and_the_books_folds_otherwise():
    assert design_folds("paper", [0, 1, 2]) == [4] and design_folds("smoke", [0, 1]) == [0, 1]
    grids = chapter_grids("designing-a-lightweight-gcn", "sbu", "paper", [0, 1, 2, 3, 4], [0])
    assert {g.profile for g in grids} == {"paper"} and {g.folds for g in grids} == {(4,)}
    assert all(c.train.epochs == get_profile("paper").train.epochs for g in grids for c in g.configs())
    assert tuple(grids[1].methods) == ("dense", "magnitude") and tuple(grids[1].rates) == TUTORIAL_RATES


def test_teaching_chapters_run_last_and_are_not_method_chapters():
    assert ORDER[-len(TEACHING) :] == tuple(TEACHING) and not set(TEACHING) & set(CHAPTERS)
    (grid,) = chapter_grids("write-your-own-method", "synthetic", "smoke", [0], [0])
    assert set(grid.methods) == {"dense", "magnitude", "random", "snip"} and tuple(grid.rates) == TUTORIAL_RATES
    (grid,) = chapter_grids("write-your-own-method", "synthetic", "smoke", [0], [0], rates=[0.7])
    assert tuple(grid.rates) == (0.7,)


def test_design_summary_groups_runs_by_point_with_their_costs():
    grid = design_grid("synthetic", "smoke", [0, 1], [0])
    points = grid.point_of()
    runs = pd.DataFrame({"run": list(points), "accuracy": [0.5 + 0.01 * k for k in range(len(points))]})
    info = dataset_info("synthetic", **get_profile("smoke").dataset_options("synthetic"))
    table = design_summary(grid, runs.iloc[1:], info)  # the first point's first fold is missing
    assert list(table.index) == [p.name for p in DESIGN_POINTS]
    assert table["runs"].tolist() == [1] + [2] * (len(DESIGN_POINTS) - 1)
    assert table.loc["as the profile", "accuracy"] == pytest.approx(100 * runs["accuracy"].iloc[1])
    assert table.loc["hidden units ÷ 4", "parameters"] < table.loc["as the profile", "parameters"]
    assert table.loc["+ velocities", "input features"] > table.loc["as the profile", "input features"]
    assert table.loc["chunks ÷ 4", "multiply-adds"] < table.loc["as the profile", "multiply-adds"]
    assert table["relative size"].iloc[0] == 1 and table["Δ accuracy (points)"].iloc[0] == 0
    hidden = table.loc["hidden units ÷ 4"]
    assert hidden["relative size"] == pytest.approx(hidden["parameters"] / table["parameters"].iloc[0])
    other = pd.DataFrame({"run": ["0123456789abcdef"], "accuracy": [0.1]})  # a run of no point of the grid
    assert len(grid_runs(grid, pd.concat([runs, other]))) == len(runs)


def test_the_size_figure_draws_every_design_and_every_pruned_rate():
    from gcnprune.book.plots import accuracy_vs_size

    design = pd.DataFrame({"parameters": [1000, 250], "accuracy": [80.0, 75.0], "std": [1.0, float("nan")]},
                          index=["as the profile", "hidden units ÷ 4"])  # fmt: skip
    pruned = pd.DataFrame({"rate": [0.5, 0.5, 0.9], "accuracy": [0.8, 0.7, 0.6], "params_nonzero": [500, 500, 100]})
    ax = accuracy_vs_size(design, pruned).axes[0]
    assert [line.get_label() for line in ax.containers] == ["as the profile", "hidden units ÷ 4",
                                                            "the profile's network, global MP"]  # fmt: skip
    x, y = ax.containers[-1].lines[0].get_data()
    assert list(x) == [500, 100] and list(y) == pytest.approx([75.0, 60.0])
