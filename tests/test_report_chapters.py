"""gcnprune.book.report's chapter modules: facts and tables from hand-made summaries and runs."""

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch

from gcnprune.book.report import facts as build
from gcnprune.book.report import magnitude, multi_rate, phase_field, probabilistic, results, topological
from gcnprune.book.report.facts import MP, MP_LAYER
from gcnprune.book.report.tables import results_table
from gcnprune.experiments.config import RunConfig


def summary(rows, columns=("method", "rate", "mean", "std", "dangling_fraction")):
    return pd.DataFrame(rows, columns=list(columns))


def test_magnitude_dangling_text():
    s = summary(
        [
            ("dense", 0.0, 90, 0, 0.0),
            (MP, 0.5, 88, 0, 0.0),
            (MP, 0.9, 80, 0, 0.0005),
            (MP, 0.98, 50, 0, 0.25),
            (MP, 0.99, 40, 0, 0.125),
            (MP_LAYER, 0.9, 81, 0, 0.0),
        ]
    )
    assert magnitude.dangling_text(s, MP) == "from rate 0.98 on, at most 25.0 % of the kept weights (at rate 0.98)"
    assert magnitude.dangling_text(s, MP_LAYER) == "at none of this build's rates"
    assert magnitude.dangling_text(s, "absent") == "at none of this build's rates"


def test_magnitude_emptied_text():
    assert (
        magnitude.emptied_text({0.9: {"hidden": 0.1, "attention.query": 0.5}}) == "at these rates it empties no layer"
    )
    kept = {
        0.9: {"hidden": 0.1, "attention.query": 0.5},
        0.98: {"hidden": 0.0, "attention.query": 0.0},
        0.99: {"hidden": 0.0, "attention.query": 0.0},
    }
    assert magnitude.emptied_text(kept) == "at rate 0.98 it already empties the hidden and query layers"
    one = {0.99: {"hidden": 0.0, "graph_conv.linear": 0.2}}
    assert magnitude.emptied_text(one) == "at rate 0.99 it already empties the hidden layer"


def test_magnitude_layer_table_and_facts():
    initial = {"attention.query": torch.full((2, 4), 0.5), "hidden": torch.full((3, 16), -0.25)}
    weights = magnitude.LayerWeights(initial, None, "computed at initialisation (no trained dense network)")
    kept = {0.9: {"attention.query": 1.0, "hidden": 0.0}}
    table = magnitude.layer_table(weights, kept)
    assert list(table.columns) == ["query", "hidden"]
    assert table["hidden"].tolist() == ["3 × 16", "16", "0.250", "85.7", "0.2500", "0.0"]
    assert "mean |w|, trained" not in table.index and table.loc["kept at 0.9 (%)", "query"] == "100.0"
    facts = magnitude.layer_facts(weights, kept)
    assert facts["mp_fanin_in"] == "4" and facts["mp_fanin_hidden"] == "16" and facts["mp_scale_ratio"] == "2.0"
    assert facts["mp_hidden_share"] == "86 %"
    assert facts["mp_emptied"] == "at rate 0.9 it already empties the hidden layer"
    assert facts["mp_weights_source"].startswith("computed at initialisation")
    source = "computed on the trained dense network of fold 3"
    trained = magnitude.LayerWeights(initial, {n: 2 * w for n, w in initial.items()}, source)
    assert magnitude.layer_table(trained, kept).loc["mean |w|, trained", "hidden"] == "0.5000"
    assert magnitude.layer_facts(trained, kept)["mp_weights_source"] == source


def test_magnitude_table_rates_and_facts():
    s = summary(
        [("dense", 0.0, 90, 1, 0.0), (MP, 0.9, 85.04, 1, 0.0), (MP, 0.99, 60, 2, 0.0), (MP_LAYER, 0.99, 65, 1, 0.0)]
    )
    assert magnitude.table_rates(s) == [0.9, 0.99]
    assert magnitude.table_rates(s[s["rate"] != 0.9].assign(rate=[0.0, 0.5, 0.7])) == [0.5, 0.7]
    runs = pd.DataFrame({"method": ["dense", MP, MP, MP], "rate": [0.0, 0.9, 0.99, 0.99], "seed": [0, 0, 0, 1]})
    chapter = SimpleNamespace(runs=runs, folds=[0], seeds=[0])
    facts = magnitude.facts(chapter, s, "synthetic")
    assert facts["mp_rates"] == "2" and facts["mp_top"] == "0.99" and facts["mp_runs"] == "4"
    assert facts["mp_seeds"] == "1" and facts["mp_seeds_text"] == "1 seed, 2 at 0.99"  # seed 1 ran at 0.99 only
    assert build.seeds_text(runs[runs["seed"] == 0], [0]) == "1 seed"
    assert build.seeds_text(runs, [0, 1]) == "2 seeds"
    assert facts["mp_dense"] == "90.0 % ± 1.0"
    assert facts["mp_gap_90"] == "5.0 points below the dense network"
    assert facts["mp_99"] == "60.0 % ± 2.0" and facts["mp_top_layer"] == "65.0 % ± 1.0"
    assert facts["mp_top_gap"] == "5.0 points above global MP"


def test_topological_dangling_table_and_facts():
    s = summary(
        [
            ("dense", 0.0, 90, 1, 0.0),
            (MP, 0.9, 80, 1, 0.05),
            (MP, 0.98, 50, 2, 0.4),
            (MP_LAYER, 0.98, 55, float("nan"), 0.1),
            (topological.TC, 0.98, 70, 1, 0.0),
        ]
    )
    runs = pd.DataFrame(
        {"method": [topological.TC] * 2, "rate": [0.98, 0.98], "magnitude_dangling_fraction": [0.1, 0.2]}
    )
    table = topological.dangling_table(s, runs)
    assert table.index.tolist() == ["0.9", "0.98"] and table.index.name == "target rate"
    assert table.loc["0.98", ("accuracy (%)", "MP (per layer)")] == "55.0"  # one run: no spread to show
    assert table.loc["0.9", ("accuracy (%)", "TC")] == ""
    assert table.loc["0.98", ("dangling kept weights (%)", "MP (global)")] == "40.0"
    assert table.loc["0.98", ("dangling kept weights (%)", "MP (global) on TC's weights")] == "15.0"
    facts = topological.dangling_facts(s)
    assert facts == {"tc_mp_dangling": "40.0 % of its kept weights at rate 0.98", "tc_tc_dangling": "0.0 %"}
    assert topological.dangling_facts(s[s["method"] == "dense"])["tc_mp_dangling"] == "not run in this build"


def test_phase_field_histograms():
    hist = {0.5: np.array([1, 2]), 1.0: np.array([3, 4])}
    runs = pd.DataFrame(
        {
            "method": [phase_field.PFM, phase_field.PFM, "budget", phase_field.PFM],
            "rate": [0.98, 0.98, 0.98, 0.99],
            "mask_histograms": [hist, hist, hist, hist],
        }
    )
    assert phase_field.histogram_rate(runs) == 0.98
    assert phase_field.histogram_rate(runs.assign(rate=[0.95, 0.95, 0.95, 0.99])) == 0.95
    assert phase_field.histogram_rate(runs[runs["method"] != "budget"]) is None
    summed = phase_field.summed_histograms(runs, 0.98)
    assert summed[phase_field.PFM][1.0].tolist() == [6, 8] and summed["budget"][0.5].tolist() == [1, 2]


def test_phase_field_staple_check():
    s = summary(
        [
            (phase_field.PFM, 0.9, 80, 1, 0),
            ("budget", 0.9, 82, 1, 0),
            (phase_field.PFM, 0.98, 70, 1, 0),
            ("budget_l1", 0.98, 60, 1, 0),
        ]
    )
    check = phase_field.staple_check(s)
    assert check["diff"].tolist() == pytest.approx([-2.0, 10.0])


def test_probabilistic_histogram_rate_and_panels():
    pmp, ablation = probabilistic.PMP, probabilistic.ABLATION
    runs = pd.DataFrame(
        {
            "method": [pmp, pmp, ablation, pmp],
            "rate": [0.98, 0.98, 0.98, 0.99],
            "fold": [1, 0, 2, 0],
            "seed": [0, 0, 0, 0],
            "latent_histogram_start": ["s1", "s0", "a", "x"],
            "latent_histogram_end": ["e1", "e0", "b", "y"],
        }
    )
    assert probabilistic.histogram_rate(runs) == 0.98
    assert probabilistic.histogram_rate(runs[runs["method"] == pmp]) == 0.99
    assert probabilistic.histogram_rate(runs[runs["method"] == ablation]) is None
    config = {"alignment": "quantile", "alignment_weight": 0.5}
    panels = probabilistic.latent_panels(runs, config, 0.98)
    assert panels == {
        "with the quantile alignment (η = 0.5), fold 1": ("s0", "e0"),
        "without it (η = 0), fold 3": ("a", "b"),
    }
    assert probabilistic.cut_labels(config)[pmp] == "PMP (quantile alignment, η = 0.5)"
    assert probabilistic.cut_rows(runs.assign(rate=[0.0, 0.98, 0.98, 0.99])).index.tolist() == [1, 2, 3]


def test_multi_rate_accuracy_table_and_mean_gap():
    mrmp, srmp = multi_rate.MRMP, multi_rate.SRMP
    s = summary(
        [
            (mrmp, 0.9, 80, 1, 0),
            (srmp, 0.9, 78, 1, 0),
            (mrmp, 0.95, 70, 1, 0),
            (srmp, 0.95, 74, 1, 0),
            (MP, 0.98, 50, 1, 0),
        ]
    )
    table = multi_rate.accuracy_table(s, [0.9])
    assert table["MRMP trained for it"].tolist() == ["yes", "no", "no"]
    assert (
        table.loc["0.95", "SRMP (one model per rate)"] == "74.0 ± 1.0" and table.loc["0.98", "MRMP (one model)"] == ""
    )
    assert multi_rate.mean_gap(s, [0.9, 0.95]) == "-1.0 points on average over 2 rate(s)"
    assert multi_rate.mean_gap(s, [0.98]) == "not comparable in this build"


def test_multi_rate_cost_table():
    srmp = multi_rate.SRMP
    runs = pd.DataFrame(
        {
            "method": [srmp] * 3 + [MP],
            "fold": [0, 0, 0, 0],
            "seed": [0] * 4,
            "rate": [0.9, 0.95, 0.97, 0.9],
            "train_seconds": [2.0, 3.0, 100.0, 50.0],
        }
    )
    models = {(0, 0): (None, {"train_seconds": 4.0}), (1, 0): (None, None)}
    cost = multi_rate.cost_table(runs, models, [0.9, 0.95])
    assert cost.to_dict("records") == [
        {
            "split": 1,
            "seed": 0,
            "MRMP (one model) s": 4.0,
            "SRMP (one model per training rate) s": 5.0,
            "SRMP models": 2,
            "SRMP / MRMP": 1.25,
            "MRMP / one SRMP run": 1.6,
        }
    ]
    shown = multi_rate.cost_display(cost)
    assert shown.index.tolist() == [(1, 0), ("mean", "")] and shown.loc[("mean", ""), "SRMP / MRMP"] == 1.25
    # a seed whose SRMP ran at one training rate only counts towards the ratio to one run, not the SRMP sum
    partial = multi_rate.cost_table(runs.assign(seed=1)[runs["rate"] != 0.95], {(0, 1): (None, {"train_seconds": 6.0})},
                                    [0.9, 0.95])  # fmt: skip
    facts = multi_rate.cost_facts(pd.concat([cost, partial]), [0.9, 0.95])
    assert facts["mr_cost_mrmp"] == "5.0 s" and facts["mr_cost_one"] == "2.30"  # (1.6 + 6 / 2) / 2
    assert facts["mr_cost_srmp"] == "5.0 s" and facts["mr_cost_ratio"] == "1.25" and facts["mr_cost_complete"] == "1"
    assert multi_rate.cost_facts(partial, [0.9, 0.95])["mr_cost_srmp"] == "(no run)"


def test_results_facts():
    s = pd.DataFrame(
        {
            "method": ["dense", MP, MP],
            "rate": [0.0, 0.9, 0.98],
            "mean": [90.0, 80.0, 70.0],
            "std": [float("nan"), 1.0, 1.0],
            "runs": [1, 2, 3],
        }
    )
    runs = pd.DataFrame({"method": ["dense", MP, MP, MP], "rate": [0.0, 0.9, 0.98, 0.98], "seed": [0, 0, 0, 1],
                         "achieved_rate": [0.0, 0.9, 0.9802, 0.98]})  # fmt: skip
    # the grids ask for 2 splits × 1 seed, and a second seed at 0.98: 4 runs in that cell
    cells = (("dense", 0.0, [0]), (MP, 0.9, [0]), (MP, 0.98, [0, 1]))
    configs = [RunConfig("synthetic", f, m, r, seed) for f in (0, 1) for m, r, seeds in cells for seed in seeds]
    gathered = SimpleNamespace(runs=runs, folds=[0, 1], seeds=[0], missing=[object()], configs=configs)
    assert results.expected_runs(gathered) == {("dense", 0.0): 2, (MP, 0.9): 2, (MP, 0.98): 4}
    facts = results.facts(gathered, s)
    assert facts == {
        "res_dense": "90.0 % (1/2 runs)",
        "res_folds": "2",
        "res_seeds": "1 seed, 2 at 0.98",
        "res_rate_gap": "0.0002",
        "res_incomplete": "2",  # the dense cell (1 of 2) and 0.98 (3 of 4), not 0.9
        "res_missing": "1",
    }
    table = results_table(s, results.expected_runs(gathered), [MP])
    row = table.loc["MP (global)"]  # readable names
    assert row["0.9"] == "80.0\u202f±\u202f1.0" and row["0.98"].endswith("(3/4)")
    empty = SimpleNamespace(runs=runs.iloc[:0], folds=[0], seeds=[0], missing=[], configs=[])
    assert results.facts(empty, None)["res_dense"] == "(not run yet)"
    assert results.rate_bands(runs) == ([0.98], [0.9])
    assert results.figure_methods(runs) == [MP]


def test_the_layer_table_of_the_sbu_book_is_computed_on_a_trained_network():
    """Without any model.pt (as in a clone), the SBU paper book's layer analyses use the trained dense network
    committed as the benchmark's compact model, never the network at initialisation."""
    from types import SimpleNamespace

    from gcnprune.book.report.committed_models import dense_run
    from gcnprune.data import dataset_info
    from gcnprune.experiments.config import make_config

    dense = make_config("sbu", "paper", 0, "dense", 0.0)
    chapter = SimpleNamespace(info=dataset_info("sbu"), configs=[dense], results=Path("/nonexistent"))
    weights = magnitude.layer_weights(chapter, "paper", 0)
    run, row = dense_run()
    assert weights.trained is not None and "trained dense network" in weights.source
    assert f"seed {int(row['seed'])}" in weights.source
    assert any(not torch.equal(weights.trained[n], weights.initial[n]) for n in weights.initial)
