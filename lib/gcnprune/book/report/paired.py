"""Paired comparisons: every method starts from the same dense network on the same split and seed, so a gain
over a baseline is measured pair by pair, d_i = acc(method)_i − acc(baseline)_i over the (split, seed) pairs
both ran, and summarised by its mean and a Student t interval, d̄ ± t_{n−1, 0.975} s_d / √n (scipy.stats).

A gain counts as **wide** when the whole interval lies above zero and its mean reaches the wide margin; it is
**shown** when the interval excludes zero; the ablation **ladder** reads each rung's paired gain over the rung
below it, so that a reader sees which ingredient pays.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

CONFIDENCE = 0.95
WIDE_MARGIN = 5.0  # accuracy points: below this, differences between methods are within our fold noise


@dataclass(frozen=True)
class PairedGain:
    """The mean of the paired differences (accuracy points), its t interval and the number of pairs."""

    mean: float
    low: float
    high: float
    pairs: int

    def verdict(self, margin: float = WIDE_MARGIN) -> str:
        """``wide gain``, ``gain``, ``loss`` or ``no difference shown`` (``too few pairs`` under two pairs)."""
        if self.pairs < 2:
            return "too few pairs"
        if self.low > 0:
            return "wide gain" if self.mean >= margin else "gain"
        return "loss" if self.high < 0 else "no difference shown"

    def text(self, digits: int = 1) -> str:
        """``+3.1 [+0.4, +5.8] (n = 15)``: the mean gain and its interval, in points."""
        mean, low, high = (
            f"{round(v, digits) + 0.0:+.{digits}f}" for v in (self.mean, self.low, self.high)
        )  # no "-0.0"
        return f"{mean} (n = {self.pairs})" if self.pairs < 2 else f"{mean} [{low}, {high}] (n = {self.pairs})"


def paired_differences(runs: pd.DataFrame, method: str, baseline: str, rate: float) -> pd.Series:
    """``method``'s accuracy minus ``baseline``'s (points) at ``rate``, one value per (fold, seed) both ran."""
    at = runs[np.isclose(runs["rate"], rate)]

    def by_pair(name: str) -> pd.Series:
        return at[at["method"] == name].set_index(["fold", "seed"])["accuracy"] * 100

    own, other = by_pair(method), by_pair(baseline)
    both = own.index.intersection(other.index)
    return (own[both] - other[both]).sort_index()


def paired_gain(differences: Sequence[float] | pd.Series, confidence: float = CONFIDENCE) -> PairedGain:
    """The mean of ``differences`` and its Student t interval (undefined, NaN, under two pairs)."""
    d = np.asarray(differences, dtype=float)
    n = len(d)
    if n == 0:
        return PairedGain(math.nan, math.nan, math.nan, 0)
    mean = float(d.mean())
    if n < 2:
        return PairedGain(mean, math.nan, math.nan, n)
    spread = float(d.std(ddof=1)) / math.sqrt(n)
    if spread == 0:
        return PairedGain(mean, mean, mean, n)
    low, high = stats.t.interval(confidence, n - 1, loc=mean, scale=spread)
    return PairedGain(mean, float(low), float(high), n)


def ladder(runs: pd.DataFrame, rungs: Sequence[tuple[str, str]], rates: Sequence[float]) -> pd.DataFrame:
    """The ablation ladder: for each rate and rung (a readable name and the method label its runs carry), the
    rung's mean accuracy and its paired gain over the rung below, with the verdict; rungs without runs at a
    rate are left out there."""
    rows = []
    for rate in rates:
        present = [(name, method) for name, method in rungs
                   if ((runs["method"] == method) & np.isclose(runs["rate"], rate)).any()]  # fmt: skip
        for k, (name, method) in enumerate(present):
            own = runs[(runs["method"] == method) & np.isclose(runs["rate"], rate)]["accuracy"] * 100
            row = {"target rate": f"{rate:g}", "rung": name, "accuracy (%)": f"{own.mean():.1f}", "runs": len(own)}
            if k:
                gain = paired_gain(paired_differences(runs, method, present[k - 1][1], rate))
                row.update({"gain over the rung below (points, 95 % t interval)": gain.text(),
                            "verdict": gain.verdict()})  # fmt: skip
            rows.append(row)
    return pd.DataFrame(rows).fillna("").set_index(["target rate", "rung"]) if rows else pd.DataFrame()


def ladder_gains(runs: pd.DataFrame, rungs: Sequence[tuple[str, str]], rates: Sequence[float]) -> pd.DataFrame:
    """The ladder's numbers, for its figure: per rate and rung above the first (a readable name), the paired gain
    over the rung below (mean, 95 % t interval low and high, pairs); rungs without runs at a rate left out."""
    rows = []
    for rate in rates:
        present = [(name, method) for name, method in rungs
                   if ((runs["method"] == method) & np.isclose(runs["rate"], rate)).any()]  # fmt: skip
        for (_, below), (name, method) in zip(present, present[1:]):
            gain = paired_gain(paired_differences(runs, method, below, rate))
            rows.append({"rate": float(rate), "rung": name, "mean": gain.mean, "low": gain.low, "high": gain.high,
                         "pairs": gain.pairs})  # fmt: skip
    return pd.DataFrame(rows, columns=["rate", "rung", "mean", "low", "high", "pairs"])


def rung_sentence(table: pd.DataFrame, rung: str) -> str:
    """``rung``'s paired gain over the rung below at each rate of a :func:`ladder` table, in words:
    "+6.4 [+3.5, +9.3] (n = 5), a wide gain, at 0.98; …"; "not run" where the ladder lacks it."""
    parts = []
    for (rate, name), row in table.iterrows() if len(table) else ():
        if name == rung and row.get("verdict"):
            parts.append(f"{row['gain over the rung below (points, 95 % t interval)']}, {_article(row['verdict'])}"
                         f" at {rate}")  # fmt: skip
    return "; ".join(parts) or "not run"


def _article(verdict: str) -> str:
    """A verdict as the sentence reads it: "a wide gain", "a loss", "no difference shown", "too few pairs"."""
    return f"a {verdict}" if verdict in ("wide gain", "gain", "loss") else verdict


def paying(rows: pd.DataFrame) -> list[str]:
    """The names of the rungs of ladder ``rows`` (:func:`ladder`) whose gain over the rung below is shown."""
    return [name for (_, name), row in rows.iterrows() if row.get("verdict") in ("gain", "wide gain")]


def paying_rungs(table: pd.DataFrame) -> str:
    """The rungs whose paired gain over the rung below is shown (its interval above zero), rate by rate:
    "at 0.98, exact budget alone; at 0.99, exact budget alone and TC: + accessibility"; "none" if none is."""
    if not len(table):
        return "none"
    parts = []
    for rate, rows in table.groupby(level="target rate", sort=False):
        names = paying(rows)
        parts.append(f"at {rate}, {' and '.join(names) if names else 'none'}")
    return "; ".join(parts)


def ladder_facts(prefix: str, table: pd.DataFrame, steps: dict[str, str]) -> dict[str, str]:
    """A chapter's ladder in words, to glue: ``{prefix}_ladder_{step}`` for each named rung's paired gain over
    the rung below (:func:`rung_sentence`) and ``{prefix}_ladder_paying``, the rungs that pay (:func:`paying_rungs`)."""
    return {f"{prefix}_ladder_{step}": rung_sentence(table, rung) for step, rung in steps.items()} | {
        f"{prefix}_ladder_paying": paying_rungs(table)
    }
