"""Tables of runs: mean and std over folds and seeds per method and target rate (:func:`summarise`,
:func:`accuracy_table`), and the book's display tables built on them: a summary per method and rate, the
methods × rates table of the results chapter, and the fidelity tables of the soft masks and of the
multi-rate cut. Display cells are text, formatted for reading (mean ± std, rates as given)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..names import readable
from .format import mean_std


def summary_table(
    summary: pd.DataFrame, digits: int = 1, dangling: bool = False, methods: Sequence[str] | None = None
) -> pd.DataFrame:
    """A display table from :func:`summarise` output: one row per method and target rate.

    With ``dangling``, a column gives the share of kept weights that cannot affect the output (see
    :mod:`gcnprune.unit_graph`); ``methods`` picks and orders the methods shown.
    """
    if methods is not None:
        summary = pd.concat([summary[summary["method"] == m] for m in methods if (summary["method"] == m).any()])
    out = pd.DataFrame(
        {
            "method": summary["method"].map(readable),
            "target rate": summary["rate"].map(lambda r: f"{r:g}"),
            "accuracy (%)": [mean_std(m, s, digits) for m, s in zip(summary["mean"], summary["std"])],
            "runs": summary["runs"],
        }
    )
    if "achieved_rate" in summary:
        out["achieved rate"] = summary["achieved_rate"].map(lambda r: f"{r:.4f}")
    if "prunable_nonzero" in summary and "prunable_dense" in summary:
        out["nonzero / dense prunable weights"] = [
            f"{int(round(nz)):,} / {int(round(d)):,}"
            for nz, d in zip(summary["prunable_nonzero"], summary["prunable_dense"])
        ]
    if dangling and "dangling_fraction" in summary:
        out["dangling kept weights (%)"] = summary["dangling_fraction"].map(lambda f: f"{100 * f:.1f}")
    if "train_seconds" in summary:
        out["train s (mean)"] = summary["train_seconds"].map(lambda s: f"{s:.1f}")
    return out.set_index(["method", "target rate"])


def _display_index(table: pd.DataFrame, labels: Mapping[str, str] | None = None) -> pd.MultiIndex:
    """A (method, target rate) index for display: methods renamed by ``labels`` (else their readable names),
    rates as text."""
    labels = labels or {}
    return pd.MultiIndex.from_tuples(
        [(labels.get(m, readable(m)), f"{r:g}") for m, r in table.index], names=["method", "target rate"]
    )


def soft_mask_table(fidelity: pd.DataFrame, labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """A display table of :func:`~gcnprune.book.report.fidelity.soft_mask_fidelity`: per method and target rate, the
    soft masks' own rate (mean over runs) and its largest distance from the target, and the evaluated
    network's kept weights that training kept too (mean and lowest over runs, %)."""
    out = pd.DataFrame({
        "runs": fidelity["runs"].astype(int),
        "soft-mask rate": fidelity["soft_rate"].map(lambda v: f"{v:.4f}"),
        "largest |soft rate − target|": fidelity["soft_gap_max"].map(lambda v: f"{v:.4f}"),
        "kept overlap, mean (%)": fidelity["kept_overlap"].map(lambda v: f"{100 * v:.1f}"),
        "kept overlap, lowest (%)": fidelity["kept_overlap_min"].map(lambda v: f"{100 * v:.1f}"),
        "binary entries (%)": fidelity["soft_binary_fraction"].map(lambda v: f"{100 * v:.1f}"),
    }, index=fidelity.index)  # fmt: skip
    out.index = _display_index(fidelity, labels)
    return out


def cut_drift_table(
    drift: pd.DataFrame, labels: Mapping[str, str] | None = None, tolerance: float | None = None
) -> pd.DataFrame:
    """A display table of :func:`~gcnprune.book.report.fidelity.cut_drift`: per method and target rate, the cut's
    rate (mean over runs), its mean drift from the target, its largest drift over the runs, and whether
    that is within ``tolerance`` (the column is left out without one)."""
    out = pd.DataFrame({
        "runs": drift["runs"].astype(int),
        "cut's rate": drift["cut_rate"].map(lambda v: f"{v:.4f}"),
        "cut − target (mean)": drift["drift"].map(lambda v: f"{v:+.4f}"),
        "largest |cut − target|": drift["drift_max"].map(lambda v: f"{v:.4f}"),
    }, index=drift.index)  # fmt: skip
    if tolerance is not None:
        out[f"within {tolerance:g}"] = [
            "—" if pd.isna(g) else "yes" if w else "no" for g, w in zip(drift["drift_max"], drift["within"])
        ]
    out.index = _display_index(drift, labels)
    return out


def results_table(
    summary: pd.DataFrame,
    expected_runs: Mapping[tuple[str, float], int],
    methods: Sequence[str] | None = None,
    tolerance: float = 1e-3,
    digits: int = 1,
    rates: Sequence[float] | None = None,
) -> pd.DataFrame:
    """Methods × target rates, cells "mean ± std" over folds and seeds, marked where they are incomplete.

    A cell with fewer runs than ``expected_runs`` asks for it (keyed by method and rate) shows
    "(k/expected)"; a cell whose mean achieved rate
    differs from its target by more than ``tolerance`` is marked "≠" (then it is not compared at an
    equal rate). ``rates`` picks the columns (default: every rate the methods ran at).
    """
    order = methods if methods is not None else list(dict.fromkeys(summary["method"]))
    if rates is not None:
        summary = summary[summary["rate"].apply(lambda r: any(np.isclose(r, x) for x in rates))]
    cells: dict[str, dict[str, str]] = {}
    for _, row in summary.iterrows():
        if row["method"] not in order:
            continue
        text = mean_std(row["mean"], row["std"], digits, "\u202f")  # narrow no-break spaces: a cell never wraps
        asked = expected_runs.get((row["method"], row["rate"]), 0)
        if int(row["runs"]) < asked:
            text += f" ({int(row['runs'])}/{asked})"
        if "achieved_rate" in row and abs(float(row["achieved_rate"]) - float(row["rate"])) > tolerance:
            text += " ≠"
        cells.setdefault(row["method"], {})[f"{row['rate']:g}"] = text
    columns = [f"{r:g}" for r in sorted(set(summary[summary["method"].isin(order)]["rate"]))]
    table = pd.DataFrame.from_dict(cells, orient="index").reindex(
        index=[m for m in order if m in cells], columns=columns
    )
    table.index = [readable(m) for m in table.index]
    table.index.name = "method"
    table.columns.name = "target rate"
    return table.fillna("")
