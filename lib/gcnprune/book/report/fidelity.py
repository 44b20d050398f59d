"""How closely what a method trained matches the network it is evaluated as, summarised from a chapter's runs.

PFM, the staple baselines and TC record, at the end of training, ``soft_rate`` = 1 − (1/n) Σ m (the
soft masks' own pruning rate) and ``kept_overlap`` = |{hard = 1} ∩ {m > 0.5}| / |{hard = 1}| (the share
of the evaluated network's kept weights that training kept too). PMP and MRMP record
``threshold_rate``, the achieved rate of the hard cut |Ŵ| > a_l at the threshold they trained with.
These functions turn those per-run records into per-(method, rate) tables and the build's extremes,
for the chapters to show and glue; they compute nothing a run did not record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..names import readable

CUT_TOLERANCE = 0.005  # a training cut counts as on target when every run's rate is within this of it
SOFT_COLUMNS = ("soft_rate", "kept_overlap", "soft_binary_fraction")


@dataclass(frozen=True)
class Extreme:
    """The most extreme value of a fidelity measure over a build's runs, and the run's method and rate."""

    value: float
    method: str
    rate: float


def _pruned_rows(runs: pd.DataFrame, methods: Sequence[str], columns: Sequence[str]) -> pd.DataFrame:
    """The runs of ``methods`` at a rate above 0, with ``columns`` (NaN where a run did not record one)."""
    rows = runs[runs["method"].isin(list(methods)) & (runs["rate"] > 0)]
    return rows.reindex(columns=["method", "rate", *columns])


def _by_method_and_rate(frame: pd.DataFrame, methods: Sequence[str]) -> pd.DataFrame:
    """Rows ordered by ``methods`` (as given), then by rate."""
    order = {m: k for k, m in enumerate(methods)}
    keys = sorted(frame.index, key=lambda key: (order.get(key[0], len(order)), key[1]))
    return frame.reindex(pd.MultiIndex.from_tuples(keys, names=["method", "rate"])) if keys else frame


def soft_mask_fidelity(runs: pd.DataFrame, methods: Sequence[str]) -> pd.DataFrame:
    """Per method and target rate r > 0: the number of runs, the mean ``soft_rate``, the largest
    |soft_rate − r| over the runs (``soft_gap_max``), the mean and lowest ``kept_overlap`` and the mean
    ``soft_binary_fraction``; indexed by (method, rate), methods in the given order."""
    rows = _pruned_rows(runs, methods, SOFT_COLUMNS)
    rows = rows.assign(soft_gap=(rows["soft_rate"] - rows["rate"]).abs())
    grouped = rows.groupby(["method", "rate"])
    table = pd.DataFrame({
        "runs": grouped.size(),
        "soft_rate": grouped["soft_rate"].mean(),
        "soft_gap_max": grouped["soft_gap"].max(),
        "kept_overlap": grouped["kept_overlap"].mean(),
        "kept_overlap_min": grouped["kept_overlap"].min(),
        "soft_binary_fraction": grouped["soft_binary_fraction"].mean(),
    })  # fmt: skip
    return _by_method_and_rate(table, methods)


def cut_drift(
    runs: pd.DataFrame, methods: Sequence[str], column: str = "threshold_rate", tolerance: float = CUT_TOLERANCE
) -> pd.DataFrame:
    """Per method and target rate r > 0: the number of runs, the mean rate of the cut in ``column``, its
    mean signed drift (cut − r; negative: fewer weights pruned than asked), the largest |cut − r| over
    the runs, and ``within``: whether that largest drift is at most ``tolerance``."""
    rows = _pruned_rows(runs, methods, [column])
    rows = rows.assign(drift=rows[column] - rows["rate"])
    rows = rows.assign(gap=rows["drift"].abs())
    grouped = rows.groupby(["method", "rate"])
    table = pd.DataFrame({
        "runs": grouped.size(),
        "cut_rate": grouped[column].mean(),
        "drift": grouped["drift"].mean(),
        "drift_max": grouped["gap"].max(),
    })  # fmt: skip
    table["within"] = table["drift_max"] <= tolerance
    return _by_method_and_rate(table, methods)


def extreme(table: pd.DataFrame, column: str, largest: bool = True) -> Extreme | None:
    """The largest (or smallest) value of ``column`` in a table indexed by (method, rate), with where it
    is; None when the column has no value."""
    values = table[column].dropna() if column in table else pd.Series(dtype=float)
    if values.empty:
        return None
    method, rate = values.idxmax() if largest else values.idxmin()
    return Extreme(float(values.loc[(method, rate)]), str(method), float(rate))


def drift_summary(table: pd.DataFrame, method: str, tolerance: float = CUT_TOLERANCE) -> str:
    """One sentence part on ``method``'s rows of a :func:`cut_drift` table: within ``tolerance`` at every
    rate, or at how many, and the rates where it is not, with their largest drift."""
    if method not in table.index.get_level_values(0):
        return "not run in this build"
    rows = table.xs(method, level="method").dropna(subset=["drift_max"])
    if rows.empty:
        return "not recorded in this build"
    outside = rows[~rows["within"].astype(bool)]
    if outside.empty:
        return f"within {tolerance:g} of the target at every rate ({len(rows)} of {len(rows)})"
    where = ", ".join(f"{r:g} (up to {gap:.4f})" for r, gap in zip(outside.index, outside["drift_max"]))
    return (f"within {tolerance:g} of the target at {len(rows) - len(outside)} of {len(rows)} rates; "
            f"beyond it at {where}")  # fmt: skip


def format_extreme(found: Extreme | None, fmt: str = "{:.4f}", scale: float = 1.0) -> str:
    """ "value (method, rate r)" for glued prose; "(no runs)" when there is nothing."""
    if found is None or not np.isfinite(found.value):
        return "(no runs)"
    return f"{fmt.format(scale * found.value)} ({readable(found.method)}, rate {found.rate:g})"


def method_rows(table: pd.DataFrame, method: str) -> pd.DataFrame:
    """The rows of one method of a table indexed by (method, rate), as a table of the same shape; no rows when
    the method is not in it."""
    return table.loc[[method]] if method in table.index.get_level_values(0) else table.iloc[:0]
