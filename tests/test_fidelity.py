"""The fidelity summaries the method chapters show: soft-mask rates, kept overlap and training cuts."""

from __future__ import annotations

import pandas as pd
import pytest

from gcnprune.book.report.fidelity import cut_drift, drift_summary, extreme, format_extreme, soft_mask_fidelity
from gcnprune.book.report.tables import cut_drift_table, soft_mask_table


def soft_runs() -> pd.DataFrame:
    return pd.DataFrame([
        {"method": "dense", "rate": 0.0},
        {"method": "phase_field", "rate": 0.9, "soft_rate": 0.901, "kept_overlap": 0.99, "soft_binary_fraction": 0.98},
        {"method": "phase_field", "rate": 0.9, "soft_rate": 0.895, "kept_overlap": 0.97, "soft_binary_fraction": 0.96},
        {"method": "phase_field", "rate": 0.5, "soft_rate": 0.5, "kept_overlap": 1.0, "soft_binary_fraction": 1.0},
        {"method": "budget", "rate": 0.9, "soft_rate": 0.92, "kept_overlap": 0.80, "soft_binary_fraction": 0.9},
        {"method": "magnitude", "rate": 0.9},
    ])  # fmt: skip


def test_soft_mask_fidelity_takes_the_worst_run_not_the_mean():
    table = soft_mask_fidelity(soft_runs(), ["phase_field", "budget"])
    assert list(table.index) == [("phase_field", 0.5), ("phase_field", 0.9), ("budget", 0.9)]
    row = table.loc[("phase_field", 0.9)]
    assert row["runs"] == 2
    assert row["soft_rate"] == pytest.approx(0.898)
    assert row["soft_gap_max"] == pytest.approx(0.005)  # |0.895 − 0.9|, not the mean's 0.002
    assert row["kept_overlap"] == pytest.approx(0.98) and row["kept_overlap_min"] == pytest.approx(0.97)
    worst = extreme(table, "soft_gap_max")
    assert (worst.method, worst.rate) == ("budget", 0.9) and worst.value == pytest.approx(0.02)
    lowest = extreme(table, "kept_overlap_min", largest=False)
    assert (lowest.method, lowest.value) == ("budget", pytest.approx(0.8))
    assert format_extreme(lowest, "{:.1f} %", 100) == "80.0 % (exact budget alone, rate 0.9)"
    shown = soft_mask_table(table, {"budget": "budget term alone"})
    assert ("budget term alone", "0.9") in shown.index and shown.loc[
        ("PFM", "0.9"), "kept overlap, lowest (%)"
    ] == "97.0"


def test_soft_mask_fidelity_without_records_has_no_extreme():
    table = soft_mask_fidelity(soft_runs().drop(columns=["soft_rate", "kept_overlap", "soft_binary_fraction"]),
                               ["phase_field"])  # fmt: skip
    assert len(table) == 2 and table["soft_rate"].isna().all()
    assert extreme(table, "soft_gap_max") is None and format_extreme(None) == "(no runs)"
    assert extreme(soft_mask_fidelity(soft_runs(), ["topological"]), "soft_gap_max") is None


def test_cut_drift_is_signed_and_checked_against_the_tolerance():
    runs = pd.DataFrame([
        {"method": "probabilistic", "rate": 0.9, "threshold_rate": 0.898},
        {"method": "probabilistic", "rate": 0.9, "threshold_rate": 0.904},
        {"method": "probabilistic", "rate": 0.99, "threshold_rate": 0.98},
        {"method": "ablation", "rate": 0.9, "threshold_rate": 0.9},
        {"method": "probabilistic", "rate": 0.0, "threshold_rate": 0.0},
    ])  # fmt: skip
    table = cut_drift(runs, ["probabilistic", "ablation"], tolerance=0.005)
    row = table.loc[("probabilistic", 0.9)]
    assert row["drift"] == pytest.approx(0.001) and row["drift_max"] == pytest.approx(0.004) and bool(row["within"])
    assert not bool(table.loc[("probabilistic", 0.99), "within"])
    assert table.loc[("probabilistic", 0.99), "drift"] == pytest.approx(-0.01)
    assert drift_summary(table, "ablation", 0.005) == "within 0.005 of the target at every rate (1 of 1)"
    assert (
        drift_summary(table, "probabilistic", 0.005)
        == "within 0.005 of the target at 1 of 2 rates; beyond it at 0.99 (up to 0.0100)"
    )
    assert drift_summary(table, "missing") == "not run in this build"
    shown = cut_drift_table(table, tolerance=0.005)
    assert list(shown["within 0.005"]) == ["yes", "no", "yes"]
    assert shown.loc[("PMP", "0.99"), "cut − target (mean)"] == "-0.0100"  # readable names
