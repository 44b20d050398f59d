"""Testing the papers' claim that a method beats its baselines by a wide margin, from a summary table.

A difference counts as wide when it is at least ``WIDE_MARGIN`` accuracy points and larger than the two
standard deviations over folds added, so that the error bars do not overlap.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..names import readable
from .facts import BASELINES, GMP, MP, MP_LAYER, high_rates
from .format import accuracy_text, difference, mean_std, rate_list, spread_note
from .paired import WIDE_MARGIN, paired_differences, paired_gain


def accuracy_cell(summary: pd.DataFrame, method: str, rate: float) -> tuple[float, float] | None:
    """``method``'s (mean, std) accuracy at ``rate`` in a summary table (std 0 where undefined, e.g. one run);
    None when it did not run there."""
    row = summary[(summary["method"] == method) & np.isclose(summary["rate"], rate)]
    if row.empty:
        return None
    return float(row["mean"].iloc[0]), float(row["std"].fillna(0).iloc[0])


def claim_check(
    summary: pd.DataFrame,
    method: str,
    baselines: Sequence[str],
    rates: Sequence[float],
    margin: float = WIDE_MARGIN,
    runs: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Does ``method`` beat every baseline by a wide margin at each of ``rates``? One row per rate where
    ``method`` and at least one baseline ran.

    Columns: the method's mean and std, each baseline's mean and the difference method − baseline
    (accuracy points), the strongest baseline at that rate and the difference to it, and ``wide``. With the
    ``runs`` themselves the differences are paired (split by split, seed by seed, from the same dense
    network: :mod:`.paired`) and ``wide`` needs their 95 % t interval above zero and their mean at least
    ``margin`` points (``interval`` holds it); from a summary alone, the difference of means must reach
    ``margin`` and exceed the two standard deviations added (the error bars do not overlap).
    """
    rows = []
    for rate in rates:
        own = accuracy_cell(summary, method, rate)
        others = {b: accuracy_cell(summary, b, rate) for b in baselines}
        others = {b: v for b, v in others.items() if v is not None}
        if own is None or not others:
            continue
        row: dict[str, object] = {"rate": float(rate), "mean": own[0], "std": own[1]}
        gains = {b: paired_gain(paired_differences(runs, method, b, rate)) for b in others} if runs is not None else {}
        for b, (mean, _) in others.items():
            row[f"{b} mean"] = mean
            row[f"{b} diff"] = gains[b].mean if gains else own[0] - mean
        best = max(others, key=lambda b: others[b][0])
        if gains:
            gain = gains[best]
            row.update({"strongest": best, "diff": gain.mean, "interval": gain.text(),
                        "wide": gain.verdict(margin) == "wide gain"})  # fmt: skip
        else:
            diff = own[0] - others[best][0]
            row.update(
                {"strongest": best, "diff": diff, "wide": bool(diff >= margin and diff > own[1] + others[best][1])}
            )
        rows.append(row)
    return pd.DataFrame(rows)


def verdict(check: pd.DataFrame) -> str:
    """ "reproduces", "partly reproduces" or "does not reproduce" from :func:`claim_check`'s ``wide`` column
    (at every rate, at some, at none); "cannot test" when no rate was compared."""
    if check.empty:
        return "cannot test"
    wide = check["wide"].astype(bool)
    return "reproduces" if wide.all() else "partly reproduces" if wide.any() else "does not reproduce"


def claim_table(check: pd.DataFrame, method: str, digits: int = 1) -> pd.DataFrame:
    """A display table of :func:`claim_check`: accuracies, differences in points and the wide-margin test."""
    if check.empty:
        return pd.DataFrame()
    name = readable(method)
    out = pd.DataFrame({"target rate": check["rate"].map(lambda r: f"{r:g}"),
                        name: [mean_std(m, s, digits) for m, s in zip(check["mean"], check["std"])]})  # fmt: skip
    for column in check.columns:
        if column.endswith(" diff"):
            out[f"{name} − {readable(column[:-5])}"] = check[column].map(lambda d: f"{d:+.{digits}f}")
    out["strongest baseline"] = check["strongest"].map(readable)
    if "interval" in check:
        out["paired gain over it (95 % t interval)"] = check["interval"]
    out["wide margin"] = check["wide"].map({True: "yes", False: "no"})
    return out.set_index("target rate")


SHOWN_RATE = 0.98  # the rate the chapters quote in their prose


def claim_facts(
    prefix: str,
    summary: pd.DataFrame,
    method: str,
    profile: str,
    folds: Sequence[int],
    seeds: Sequence[int],
    runs: pd.DataFrame | None = None,
) -> dict[str, str]:
    """``{prefix}_verdict_global`` and ``_verdict_best`` (:func:`~gcnprune.book.report.claims.verdict` of ``method``
    against global MP and against the strongest of the :data:`BASELINES` at every rate ≥ 0.95), the accuracies
    at 0.98 of the method and of the baselines (``_98``, ``_98_mp``, ``_98_layer``, ``_98_gmp``) and the
    differences (``_diff_98_mp``, ``_diff_98_layer``, ``_diff_98_gmp``), the rates tested (``_high_rates``),
    the wide margin (``_margin``) and the remark on the verdict's spread (``_smoke``). With the ``runs``, the
    verdicts are paired (:func:`claim_check`)."""
    high = high_rates(summary)
    own = accuracy_cell(summary, method, SHOWN_RATE)
    mp, layer = accuracy_cell(summary, MP, SHOWN_RATE), accuracy_cell(summary, MP_LAYER, SHOWN_RATE)
    gradual = accuracy_cell(summary, GMP, SHOWN_RATE)
    return {
        f"{prefix}_verdict_global": verdict(claim_check(summary, method, [MP], high, runs=runs)),
        f"{prefix}_verdict_best": verdict(claim_check(summary, method, list(BASELINES), high, runs=runs)),
        f"{prefix}_98": accuracy_text(own),
        f"{prefix}_98_mp": accuracy_text(mp),
        f"{prefix}_98_layer": accuracy_text(layer),
        f"{prefix}_diff_98_mp": difference(own, mp),
        f"{prefix}_diff_98_layer": difference(own, layer),
        f"{prefix}_98_gmp": accuracy_text(gradual),
        f"{prefix}_diff_98_gmp": difference(own, gradual),
        f"{prefix}_high_rates": rate_list(high),
        f"{prefix}_margin": f"{WIDE_MARGIN:g}",
        f"{prefix}_smoke": spread_note(profile, folds, seeds),
    }


def claim_against_mp(summary: pd.DataFrame, method: str, runs: pd.DataFrame | None = None) -> pd.DataFrame:
    """:func:`claim_check` of ``method`` against the three magnitude baselines (one-shot global and per layer,
    gradual) at every rate ≥ 0.95, paired where the ``runs`` are given: the table each method chapter shows."""
    return claim_check(summary, method, list(BASELINES), high_rates(summary), runs=runs)
