"""Paired verdicts (``gcnprune.book.report.paired``): differences pair runs by split and seed, the t interval
matches its closed form, and the verdict needs the interval to exclude zero and the mean to reach the margin."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from gcnprune.book.report.paired import PairedGain, ladder, paired_differences, paired_gain

T_975_4 = 2.7764451051977987  # Student's t quantile 0.975 with 4 degrees of freedom (tables)


def table(rows: list[tuple[str, float, int, int, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["method", "rate", "fold", "seed", "accuracy"])


def test_differences_pair_by_split_and_seed_and_skip_unpaired_runs():
    runs = table([("a", 0.9, 0, 0, 0.80), ("a", 0.9, 1, 0, 0.70), ("a", 0.9, 2, 0, 0.60),
                  ("b", 0.9, 1, 0, 0.75), ("b", 0.9, 0, 0, 0.70), ("b", 0.99, 2, 0, 0.10)])  # fmt: skip
    d = paired_differences(runs, "a", "b", 0.9)
    assert list(d.index) == [(0, 0), (1, 0)] and d.round(6).tolist() == [10.0, -5.0]


def test_the_interval_is_the_t_interval_of_the_differences():
    d = [4.0, 6.0, 5.0, 7.0, 3.0]  # mean 5, sample std sqrt(2.5)
    gain = paired_gain(d)
    half = T_975_4 * math.sqrt(2.5) / math.sqrt(5)
    assert gain.pairs == 5 and gain.mean == pytest.approx(5.0)
    assert (gain.low, gain.high) == pytest.approx((5.0 - half, 5.0 + half), abs=1e-9)
    assert gain.verdict() == "wide gain" and gain.text() == "+5.0 [+3.0, +7.0] (n = 5)"


@pytest.mark.parametrize(("differences", "expected"), [
    ([1.0, 2.0, 1.5, 2.5, 1.0], "gain"),  # above zero, below the margin
    ([8.0, -6.0, 9.0, -4.0, 10.0], "no difference shown"),  # a large mean whose interval crosses zero
    ([-3.0, -2.0, -4.0, -3.5, -2.5], "loss"),
    ([9.0], "too few pairs"),
])  # fmt: skip
def test_the_verdict_needs_the_interval_to_exclude_zero(differences, expected):
    assert paired_gain(differences).verdict() == expected


def test_identical_differences_have_a_zero_width_interval():
    assert paired_gain([2.0, 2.0, 2.0]) == PairedGain(2.0, 2.0, 2.0, 3)


def test_the_ladder_reads_each_rungs_gain_over_the_rung_below():
    rows = []
    for fold in range(5):
        rows += [("magnitude", 0.98, fold, 0, 0.70 + 0.01 * fold), ("budget", 0.98, fold, 0, 0.80 + 0.01 * fold),
                 ("phase_field", 0.98, fold, 0, 0.80 + 0.01 * fold + (0.001 if fold % 2 else -0.001))]  # fmt: skip
    out = ladder(table(rows), [("MP", "magnitude"), ("budget alone", "budget"), ("PFM", "phase_field")], [0.98])
    assert list(out.index.get_level_values("rung")) == ["MP", "budget alone", "PFM"]
    assert out.loc[("0.98", "budget alone"), "verdict"] == "wide gain"  # +10 points on every pair
    assert out.loc[("0.98", "PFM"), "verdict"] == "no difference shown"
    assert out.loc[("0.98", "MP"), "verdict"] == ""  # the bottom rung has nothing below it


def test_a_mean_that_rounds_to_zero_is_written_without_a_minus_sign():
    assert paired_gain([-0.04, 0.02, -0.05]).text().startswith("+0.0 [")


def test_the_scoreboard_names_the_rung_that_earns_a_gain():
    """PFM gains 10 points over every magnitude baseline at 0.98, but the exact budget alone earns it all: the
    scoreboard says so, and PFM's own rung (the potential) is not listed."""
    from types import SimpleNamespace

    from gcnprune.book.report.scoreboard import scoreboard, summarise

    rows = []
    for fold in range(5):
        noise = 0.01 * fold
        for method, accuracy in (("magnitude", 0.60), ("magnitude (scope=layer)", 0.55),
                                 ("gradual_magnitude", 0.60), ("budget", 0.70), ("phase_field", 0.70)):  # fmt: skip
            jitter = 0.001 * (-1) ** fold if method == "phase_field" else 0.0  # PFM level with the budget alone
            rows.append((method, 0.98, fold, 0, accuracy + noise + jitter))
        rows.append(("dense", 0.0, fold, 0, 0.9))
    runs = table(rows).assign(achieved_rate=lambda t: t["rate"], prunable_nonzero=1, prunable_dense=100)
    board = scoreboard(SimpleNamespace(runs=runs), summarise(runs))
    pfm = board.loc["Phase-field models (PFM)"]
    assert pfm["verdict (every rate ≥ 0.95)"] == "reproduces"
    assert pfm["gain at 0.98 over the strongest baseline (points)"].startswith("+10.0 [")
    assert pfm["what earns it at 0.98"] == "exact budget alone"
    assert board.loc["Topologically consistent pruning (TC)", "verdict (every rate ≥ 0.95)"] == "cannot test"


def test_the_ladder_gains_and_figure_show_each_rung_over_the_one_below():
    from gcnprune.book.plots import ladder_figure
    from gcnprune.book.report.paired import ladder_gains

    runs = table([(m, r, f, 0, a + 0.01 * f) for f in range(4) for r in (0.98, 0.99)
                  for m, a in (("a", 0.5), ("b", 0.6), ("c", 0.6))])  # fmt: skip
    gains = ladder_gains(runs, [("A", "a"), ("B", "b"), ("C", "c")], [0.98, 0.99])
    assert gains["rung"].tolist() == ["B", "C", "B", "C"] and gains["pairs"].tolist() == [4] * 4
    assert gains["mean"].round(6).tolist() == [10.0, 0.0, 10.0, 0.0]
    fig = ladder_figure(gains)
    assert len(fig.axes) == 2 and [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["B", "C"]
