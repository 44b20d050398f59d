"""The lightweight-design chapter's facts, on hand-made cost, pattern and design tables."""

from __future__ import annotations

import pandas as pd

from gcnprune.book.report.lightweight import cost_facts, design_facts, pattern_facts
from gcnprune.experiments.profiles import get_profile


def test_cost_facts_name_the_heaviest_layers():
    costs = pd.DataFrame(
        {"parameters": [100, 900], "multiply-adds": [3000, 900], "parameters (%)": [10.0, 90.0],
         "multiply-adds (%)": [76.9, 23.1], "prunable": [True, False]},
        index=["query", "hidden"],
    )  # fmt: skip
    facts = cost_facts(costs)
    assert facts["lw_params"] == "1,000" and facts["lw_macs"] == "3,900"
    assert facts["lw_top_params"] == "hidden (90 %)" and facts["lw_top_macs"] == "query (77 %)"
    assert facts["lw_where"].startswith(": parameters and computation sit in different places")
    assert facts["lw_prunable_macs"] == "77 %"
    costs.loc["hidden", "multiply-adds"] = 5000
    assert cost_facts(costs)["lw_where"] == ", the same layer"


def test_pattern_facts_count_the_hidden_units_left():
    columns = pd.MultiIndex.from_tuples(
        [("", "output units"), ("MP, global", "output units left"), ("MP, layer", "output units left")]
    )
    patterns = pd.DataFrame([[256, 0, 251]], index=["hidden"], columns=columns)
    assert pattern_facts(patterns, 0.98) == {"lw_rate": "0.98", "lw_global_hidden": "0 of 256",
                                             "lw_layer_hidden": "251 of 256"}  # fmt: skip


def test_design_facts_compare_the_smallest_design_with_mp_at_the_highest_rate():
    summary = pd.DataFrame(
        {"parameters": [600_000, 150_000], "relative size": [1.0, 0.25], "accuracy": [90.0, 87.55],
         "Δ accuracy (points)": [0.0, -2.45]},
        index=["profile's network", "hidden ÷4"],
    )  # fmt: skip
    pruned = pd.DataFrame({"rate": [0.9, 0.98, 0.98], "params_nonzero": [60_000, 12_000, 12_002],
                           "accuracy": [0.9, 0.8, 0.85]})  # fmt: skip
    facts = design_facts(summary, pruned, "quick", 8, (0, 1, 2, 3, 4), (0.5, 0.9, 0.98))
    assert facts["lw_small"] == "hidden ÷4" and facts["lw_small_ratio"] == "4.0"
    assert facts["lw_small_delta"] == "2.5 points below" and facts["lw_small_size"] == "150,000"
    assert facts["lw_mp_size"] == "12,001" and facts["lw_mp_acc"] == "82.5 %" and facts["lw_small_acc"] == "87.5 %"
    assert (
        facts["lw_mp_rates"] == "0.5, 0.9, 0.98"
        and facts["lw_points"] == "8"
        and facts["lw_design_where"] == "5 splits"
    )
    assert facts["lw_epochs"] == str(get_profile("quick").train.epochs)
    assert design_facts(summary, pruned, "paper", 8, (4,), (0.98,))["lw_design_where"] == "fold 5 alone"
    summary.loc["hidden ÷4", "Δ accuracy (points)"] = 0.01
    assert design_facts(summary, pruned, "quick", 8, (0,), (0.98,))["lw_small_delta"] == "level with"
