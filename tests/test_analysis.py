"""The book's analysis helpers: the wide-margin claim test, the prior's cut from a histogram, the toy network."""

import numpy as np
import pandas as pd
import pytest
import torch

from gcnprune.book.report.claims import WIDE_MARGIN, claim_check, claim_table, verdict
from gcnprune.book.report.toy_network import toy_pruning
from gcnprune.methods.probabilistic import HISTOGRAM_BINS, HISTOGRAM_RANGE, band_mass
from gcnprune.unit_graph import consistent, dangling_fraction


def summary(rows):
    return pd.DataFrame(rows, columns=["method", "rate", "mean", "std"])


def test_claim_needs_a_wide_margin_beyond_the_error_bars():
    s = summary(
        [
            ("pmp", 0.95, 80.0, 1.0),
            ("mp", 0.95, 70.0, 1.0),  # wide: 10 points, bars apart
            ("pmp", 0.98, 80.0, 4.0),
            ("mp", 0.98, 73.0, 4.0),  # 7 points but the bars overlap
            ("pmp", 0.99, 60.0, 0.5),
            ("mp", 0.99, 57.0, 0.5),
        ]
    )  # bars apart but under the margin
    check = claim_check(s, "pmp", ["mp"], [0.95, 0.98, 0.99])
    assert check["wide"].tolist() == [True, False, False]
    assert check["diff"].tolist() == pytest.approx([10.0, 7.0, 3.0])
    assert verdict(check) == "partly reproduces"
    assert verdict(check[check["rate"] == 0.95]) == "reproduces"
    assert verdict(check[check["rate"] > 0.95]) == "does not reproduce"
    assert verdict(claim_check(s, "pmp", ["absent"], [0.95])) == "cannot test"
    assert list(claim_table(check, "pmp")["wide margin"]) == ["yes", "no", "no"]
    assert WIDE_MARGIN == 5.0


def test_claim_compares_against_the_strongest_baseline():
    s = summary([("tc", 0.9, 80.0, 0.0), ("mp", 0.9, 60.0, 0.0), ("mp layer", 0.9, 78.0, 0.0)])
    row = claim_check(s, "tc", ["mp", "mp layer"], [0.9]).iloc[0]
    assert row["strongest"] == "mp layer" and row["diff"] == pytest.approx(2.0) and not row["wide"]


def test_band_mass_counts_the_weights_inside_the_band():
    rng = np.random.default_rng(0)
    w = rng.normal(size=200_000)
    counts, _ = np.histogram(w, HISTOGRAM_BINS, (-HISTOGRAM_RANGE, HISTOGRAM_RANGE))
    for half in (0.1, 0.6745, 1.5, 2.33):  # inside bins and (0.1, 1.5) on bin edges
        assert band_mass(counts, half, total=len(w)) == pytest.approx(np.mean(np.abs(w) < half), abs=2e-3)
    assert band_mass(counts, 10.0, total=len(w)) == pytest.approx(np.mean(np.abs(w) < HISTOGRAM_RANGE))


def test_toy_network_is_deterministic_and_shows_dangling_weights_only_under_magnitude_pruning():
    first, second = toy_pruning(), toy_pruning()
    assert first.accuracy == second.accuracy
    for rule in first.masks:
        assert all(torch.equal(first.masks[rule][n], second.masks[rule][n]) for n in first.masks[rule])
    mp, tc = first.masks["magnitude pruning"], first.masks["topologically consistent"]
    assert sum(int(m.sum()) for m in mp.values()) == sum(int(m.sum()) for m in tc.values())
    assert dangling_fraction(mp, first.shapes, first.heads) > 0
    assert dangling_fraction(tc, first.shapes, first.heads) == 0
    assert all(torch.equal(consistent(tc, first.shapes, first.heads)[n], tc[n]) for n in tc)


def test_with_the_runs_the_claim_is_tested_on_paired_differences():
    """Folds differ more than methods do: the error bars overlap, yet the method wins by 8 points on every
    split; the paired test calls that wide, the unpaired one cannot."""
    folds = [0.60, 0.70, 0.80, 0.90, 0.75]
    runs = pd.DataFrame(
        [("pmp", 0.98, f, 0, a + 0.08 + 0.002 * f) for f, a in enumerate(folds)]
        + [("mp", 0.98, f, 0, a) for f, a in enumerate(folds)],
        columns=["method", "rate", "fold", "seed", "accuracy"],
    )
    s = runs.groupby(["method", "rate"])["accuracy"].agg(["mean", "std"]).reset_index()
    s[["mean", "std"]] *= 100
    assert not claim_check(s, "pmp", ["mp"], [0.98])["wide"].iloc[0]  # 8 points, bars of ±11 overlap
    paired = claim_check(s, "pmp", ["mp"], [0.98], runs=runs).iloc[0]
    assert paired["wide"] and paired["diff"] == pytest.approx(8.4) and paired["interval"].startswith("+8.4 [")
    assert "paired gain over it (95 % t interval)" in claim_table(
        claim_check(s, "pmp", ["mp"], [0.98], runs=runs), "pmp"
    )
