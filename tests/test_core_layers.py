"""The seams between methods and runs: methods know nothing of runs (their parent runs are data that
:meth:`RunConfig.parent` reads), grids ask a method's attributes rather than its name, and variants carry
their method and hyperparameters so that nothing parses a label."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from smoke_runs import smoke

from gcnprune.book.chapters.grids import ORDER, chapter_grids
from gcnprune.book.plots import METHOD_STYLES
from gcnprune.experiments import Grid, Variant, accuracy_table, label
from gcnprune.methods import METHODS, PruningMethod, register
from gcnprune.methods.budget import BudgetConfig
from gcnprune.methods.magnitude import MagnitudeConfig
from gcnprune.methods.phase_field import PhaseFieldConfig
from gcnprune.methods.topological import TopologicalConfig


@pytest.fixture
def toy_methods():
    """Register methods for one test and remove them after it."""
    added: list[str] = []

    def add(cls: type[PruningMethod]) -> type[PruningMethod]:
        register(cls)
        added.append(cls.name)
        return cls

    yield add
    for name in added:
        METHODS.pop(name, None)


class _Fits(PruningMethod):
    name = "_fits"

    def fit(self, model, trainer, rate):
        return {}


def test_run_config_builds_the_parent_a_method_declares(toy_methods):
    @toy_methods
    class Sharing(_Fits):
        name = "toy_sharing"
        Config = MagnitudeConfig
        parent_method = "magnitude"
        parent_shares_config = True

    @toy_methods
    class Own(_Fits):
        name = "toy_own"
        Config = MagnitudeConfig
        parent_method = "magnitude"

    child = smoke("toy_sharing", 0.9, {"scope": "layer"}, fold=2)
    assert child.parent() == smoke("magnitude", 0.0, {"scope": "layer"}, fold=2)
    assert child.parent().parent() == smoke("dense", 0.0, fold=2) and child.parent().parent().parent() is None
    own = smoke("toy_own", 0.9, {"scope": "layer"})
    assert own.parent() == smoke("magnitude", 0.0)  # the parent's defaults, not the child's scope
    assert child.resolved()["parent"] == child.parent().run_hash() != own.resolved()["parent"]


def test_a_parent_must_be_registered_before_its_children(toy_methods):
    class Orphan(_Fits):
        name = "toy_orphan"
        parent_method = "toy_unregistered"

    with pytest.raises(ValueError, match="toy_unregistered.*not registered"):
        toy_methods(Orphan)
    assert "toy_orphan" not in METHODS


def test_methods_that_run_only_at_rate_zero_run_there_once_per_fold_and_seed(toy_methods):
    @toy_methods
    class Reference(_Fits):
        name = "toy_reference"
        rate_zero_only = True

    grid = Grid("synthetic", "smoke", ["toy_reference", "magnitude"], [0.5, 0.9], folds=[0, 1], seeds=[0, 3])
    rates = {(c.method, c.rate) for c in grid.configs()}
    assert rates == {("toy_reference", 0.0), ("magnitude", 0.5), ("magnitude", 0.9)}
    assert len(grid.configs()) == 4 + 8
    for name, cls in METHODS.items():
        assert (Grid("synthetic", "smoke", ["magnitude"], [0.5], [0]).rates_of(name) == [0.0]) == cls.rate_zero_only


def test_a_variant_names_what_differs_from_the_defaults():
    assert Variant.of("magnitude").label == "magnitude" == Variant.of("magnitude", {"scope": "global"}).label
    layer = Variant.of("magnitude", {"scope": "layer"})
    assert layer == Variant("magnitude", (("scope", "layer"),)) and layer.label == "magnitude (scope=layer)"
    ablation = Variant.of("probabilistic", {"alignment_weight": 0.0, "family": "laplace"})  # the family is the default
    assert ablation.label == "probabilistic (alignment_weight=0.0)"
    config = smoke("probabilistic", 0.9, {"threshold": "empirical"})
    assert (
        label(config) == Variant.of(config.method, config.method_config).label == "probabilistic (threshold=empirical)"
    )


def test_every_variant_the_book_runs_has_its_fixed_figure_style():
    grids = [g for chapter in ORDER for g in chapter_grids(chapter, "synthetic", "smoke", [0])]
    labels = {label(c) for g in grids for c in g.configs()}
    assert sorted(labels - set(METHOD_STYLES)) == ["dense"]  # the dense network is drawn as a band, not a line


def test_accuracy_table_orders_methods_as_registered_not_by_label():
    variants = [Variant.of(m) for m in ("budget", "phase_field", "multi_rate", "probabilistic")]
    variants.append(Variant.of("probabilistic", {"threshold": "empirical"}))
    runs = pd.DataFrame({"method": [v.label for v in variants], "rate": 0.9, "accuracy": 0.5, "variant": variants})
    table = accuracy_table(runs)
    expected = [v.label for v in sorted(variants, key=lambda v: (list(METHODS).index(v.method), v.label))]
    assert list(table.index) == expected != sorted(expected)


def test_pfm_and_tc_share_the_budget_options_declared_once():
    shared = [(f.name, f.type) for f in dataclasses.fields(BudgetConfig)]
    for config, own, added in ((PhaseFieldConfig, "potential_weight", []),
                               (TopologicalConfig, "kappa", [("head_share", "float")])):  # fmt: skip
        fields = [(f.name, f.type) for f in dataclasses.fields(config)]
        assert fields == [*shared, (own, "float"), *added]
        bad_values = (({"rate_ramp": 0.0}, "ramp"), ({"rate_ramp": 1.5}, "ramp"), ({"threshold": "unit"}, "threshold"),
                      ({"budget_weight": -1.0}, "budget_weight"), ({own: -1.0}, own))  # fmt: skip
        for bad, named in bad_values:
            with pytest.raises(ValueError, match=named):
                config(**bad)
    assert (PhaseFieldConfig().temperature_end, TopologicalConfig().temperature_end) == (200.0, 1000.0)
