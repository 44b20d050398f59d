"""gcnprune.book.report.format: how the book words accuracies, differences, rates and what a build did not measure."""

import pandas as pd

from gcnprune.book.report.format import (
    NOT_COMPARABLE,
    NOT_RUN,
    accuracy_text,
    achieved_rate_gap,
    difference,
    gap,
    mean_std,
    mean_std_column,
    rate_list,
    spread_note,
)


def test_mean_std_and_accuracy_text():
    assert mean_std(81.234, 2.25) == "81.2 ± 2.2"
    assert mean_std(81.234, 2.0, digits=2) == "81.23 ± 2.00"
    assert accuracy_text((81.25, 0.04)) == "81.2 %"  # a spread that rounds to zero is not printed
    assert accuracy_text(None) == NOT_RUN == "not run in this build"


def test_mean_std_column_reads_a_missing_std_as_zero():
    summary = pd.DataFrame({"mean": [80.0, 61.26], "std": [1.5, float("nan")]})
    assert mean_std_column(summary) == ["80.0 ± 1.5", "61.3"]  # no "± 0.0" where there is no spread


def test_difference_is_signed_in_points():
    assert difference((80.0, 1.0), (77.55, 2.0)) == "+2.5 points"
    assert difference((70.0, 1.0), (77.5, 2.0)) == "-7.5 points"
    assert difference(None, (1.0, 0.0)) == difference((1.0, 0.0), None) == NOT_COMPARABLE


def test_gap_in_words():
    assert gap((80.0, 0.0), (77.5, 0.0), "the dense network") == "2.5 points above the dense network"
    assert gap((70.0, 0.0), (77.5, 0.0), "global MP") == "7.5 points below global MP"
    assert gap((70.02, 0.0), (70.0, 0.0), "global MP") == "level with global MP"
    assert gap(None, (70.0, 0.0), "global MP") == "not comparable in this build"


def test_rate_list():
    assert rate_list([0.9, 0.98, 0.995]) == "0.9, 0.98, 0.995"
    assert rate_list([]) == "none"
    assert rate_list([], "no rate") == "no rate"


def test_spread_note_depends_on_profile_splits_and_seeds():
    assert (
        spread_note("smoke", [0, 1], [0]) == " (the smoke profile's accuracies are meaningless, and so is this verdict)"
    )
    assert spread_note("quick", [0], [0]) == " (from a single split and seed, without any estimate of the spread)"
    assert spread_note("quick", [0, 1, 2], [0, 1]) == " (from 3 split(s) × 2 seed(s) at each rate)"
    # the paper profile adds seeds 1 and 2 at the highest rates: the note counts them where they ran
    paper = " (from 2 split(s) × 1 seed(s) at each rate, 3 seeds at 0.98, 0.99, 0.995)"
    assert spread_note("paper", [0, 1], [0]) == paper
    assert spread_note("paper", [0], [0, 1, 2]) == " (from 1 split(s) × 3 seed(s) at each rate)"
    staples = " (from 2 split(s) × 1 seed(s) at each rate; PFM with 3 seeds at 0.98, 0.99, 0.995)"
    assert spread_note("paper", [0, 1], [0], extra_for="PFM") == staples


def test_achieved_rate_gap_ignores_dense_runs():
    runs = pd.DataFrame({"rate": [0.0, 0.9, 0.99], "achieved_rate": [0.5, 0.9001, 0.9897]})
    assert achieved_rate_gap(runs) == "0.0003"
    assert achieved_rate_gap(runs[runs["rate"] == 0]) == "(no runs)"
