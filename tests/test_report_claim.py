"""gcnprune.book.report.facts and .claim: the facts every method chapter states about its build and its claim."""

from types import SimpleNamespace

import pandas as pd

from gcnprune.book.report.claims import claim_against_mp, claim_facts
from gcnprune.book.report.facts import MP, MP_LAYER, build_facts, high_rates, method_rates, pruned_rates


def summary(rows):
    return pd.DataFrame(rows, columns=["method", "rate", "mean", "std"])


SUMMARY = summary(
    [
        ("dense", 0.0, 90.0, 1.0),
        ("tc", 0.9, 85.0, 1.0),
        (MP, 0.9, 84.0, 1.0),
        ("tc", 0.95, 80.0, 1.0),
        (MP, 0.95, 70.0, 1.0),
        (MP_LAYER, 0.95, 78.0, 1.0),
        ("tc", 0.98, 75.0, 0.5),
        (MP, 0.98, 60.0, 1.0),
        (MP_LAYER, 0.98, 62.25, 1.5),
    ]
)


def test_rates_of_a_summary():
    assert pruned_rates(SUMMARY) == [0.9, 0.95, 0.98]
    assert high_rates(SUMMARY) == [0.95, 0.98]
    runs = pd.DataFrame({"method": ["a", "b", "a", "c"], "rate": [0.9, 0.5, 0.7, 0.99]})
    assert method_rates(runs, ["a", "b"]) == [0.5, 0.7, 0.9]


def test_build_facts_count_runs_splits_and_seeds():
    runs = pd.DataFrame({"method": ["dense"] * 3, "rate": [0.0] * 3, "seed": [0] * 3})
    chapter = SimpleNamespace(runs=runs, folds=[0, 2], seeds=[0])
    assert build_facts("tc", chapter, "sbu") == {
        "tc_runs": "3", "tc_folds": "2", "tc_seeds": "1", "tc_seeds_text": "1 seed", "tc_dataset": "sbu"
    }  # fmt: skip


def test_claim_facts_against_global_mp_and_the_stronger_variant():
    facts = claim_facts("tc", SUMMARY, "tc", "paper", [0, 1], [0])
    # against global MP: 10 and 15 points with the bars apart; against the stronger variant, 2 points at 0.95
    assert facts["tc_verdict_global"] == "reproduces"
    assert facts["tc_verdict_best"] == "partly reproduces"
    assert facts["tc_98"] == "75.0 % ± 0.5"
    assert facts["tc_98_mp"] == "60.0 % ± 1.0"
    assert facts["tc_98_layer"] == "62.2 % ± 1.5"
    assert facts["tc_diff_98_mp"] == "+15.0 points"
    assert facts["tc_diff_98_layer"] == "+12.8 points"
    assert facts["tc_high_rates"] == "0.95, 0.98"
    assert facts["tc_margin"] == "5"
    assert facts["tc_smoke"] == " (from 2 split(s) × 1 seed(s) at each rate, 3 seeds at 0.98, 0.99, 0.995)"


def test_claim_facts_where_the_method_did_not_run():
    facts = claim_facts("pf", SUMMARY, "pf", "smoke", [0], [0])
    assert facts["pf_verdict_global"] == facts["pf_verdict_best"] == "cannot test"
    assert facts["pf_98"] == "not run in this build"
    assert facts["pf_diff_98_mp"] == "not comparable in this build"


def test_claim_against_mp_tests_the_high_rates_only():
    check = claim_against_mp(SUMMARY, "tc")
    assert check["rate"].tolist() == [0.95, 0.98]
    assert check["strongest"].tolist() == [MP_LAYER, MP_LAYER]
