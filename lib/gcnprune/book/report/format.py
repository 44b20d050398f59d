"""How the book words its numbers: mean ± std, differences and gaps between two accuracies, lists of rates,
and the texts that stand in for a number a build did not measure."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from gcnprune.experiments.profiles import get_profile

from ..chapters.grids import HIGH_RATES

NOT_RUN = "not run in this build"
NOT_COMPARABLE = "not comparable in this build"
NO_RUNS = "(no runs)"

Cell = tuple[float, float]  # (mean, std) accuracy in percent, as claims.accuracy_cell gives it


def mean_std(mean: float, std: float, digits: int = 1, separator: str = " ", unit: str = "") -> str:
    """ "mean ± std" with ``digits`` decimals, as every table of the book shows an accuracy; the mean alone where
    the spread rounds to zero (a single run has none: "± 0.0" would claim one). ``separator`` goes around ±,
    ``unit`` after the mean ("90.0 % ± 1.0")."""
    if pd.isna(std) or round(float(std), digits) == 0:
        return f"{mean:.{digits}f}{unit}"
    return f"{mean:.{digits}f}{unit}{separator}±{separator}{std:.{digits}f}"


def mean_std_column(summary: pd.DataFrame, digits: int = 1) -> list[str]:
    """:func:`mean_std` of each row of a summary table (its ``mean`` and ``std``, a missing std read as 0)."""
    return [mean_std(m, s, digits) for m, s in zip(summary["mean"], summary["std"].fillna(0))]


def accuracy_text(value: Cell | None) -> str:
    """ "mean % ± std" for glued prose; :data:`NOT_RUN` when the build has no such runs."""
    if value is None:
        return NOT_RUN
    return mean_std(*value, unit=" %")


def difference(a: Cell | None, b: Cell | None) -> str:
    """The signed difference of two mean accuracies, a − b, in points ("+1.2 points")."""
    return NOT_COMPARABLE if a is None or b is None else f"{a[0] - b[0]:+.1f} points"


def gap(a: Cell | None, b: Cell | None, what: str) -> str:
    """a's mean accuracy against b's in words: "1.2 points above ``what``", "... below ...", or "level with
    ``what``" when the difference rounds to 0.0."""
    if a is None or b is None:
        return NOT_COMPARABLE
    diff = a[0] - b[0]
    return (
        f"{abs(diff):.1f} points {'above' if diff > 0 else 'below'} {what}" if round(diff, 1) else f"level with {what}"
    )


def rate_list(rates: Iterable[float], empty: str = "none") -> str:
    """Rates as the prose lists them ("0.9, 0.98"), or ``empty`` when there are none."""
    return ", ".join(f"{r:g}" for r in rates) or empty


def spread_note(profile: str, folds: Sequence[int], seeds: Sequence[int], extra_for: str | None = None) -> str:
    """The remark that follows a verdict: how much its accuracies can be trusted under this build's profile,
    splits and seeds, with the profile's extra seeds at the highest rates
    (:func:`gcnprune.book.chapters.grids.chapter_grids`);
    it starts with a space, to follow the verdict's last word. ``extra_for`` names the one method that ran the
    extra seeds where the verdict compares it with methods that did not."""
    if profile == "smoke":
        return " (the smoke profile's accuracies are meaningless, and so is this verdict)"
    extra = [s for s in get_profile(profile).extra_seeds if s not in seeds]  # run at HIGH_RATES only
    count = f"{len(seeds) + len(extra)} seeds at {rate_list(HIGH_RATES)}"
    more = "" if not extra else f"; {extra_for} with {count}" if extra_for else f", {count}"
    if len(folds) * len(seeds) < 2 and not more:
        return " (from a single split and seed, without any estimate of the spread)"
    return f" (from {len(folds)} split(s) × {len(seeds)} seed(s) at each rate{more})"


def achieved_rate_gap(runs: pd.DataFrame) -> str:
    """The largest |achieved rate − target rate| over the pruned runs (rate > 0), to 4 decimals."""
    pruned = runs[runs["rate"] > 0] if len(runs) else runs
    return f"{(pruned['achieved_rate'] - pruned['rate']).abs().max():.4f}" if len(pruned) else NO_RUNS
