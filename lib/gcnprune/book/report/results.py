"""The results chapter's facts: which runs of every chapter the cache holds, and the build's dense accuracy,
rate gap and incomplete cells."""

from __future__ import annotations

from collections import Counter

import pandas as pd

from gcnprune.experiments import summarise
from gcnprune.experiments.variants import label

from ..chapters.runs import ChapterRuns
from ..names import readable
from .facts import seeds_text
from .format import accuracy_text, achieved_rate_gap
from .paired import ladder, ladder_gains
from .scoreboard import CLAIMS
from .tables import results_table, summary_table

MAIN = [
    "magnitude",
    "magnitude (scope=layer)",
    "gradual_magnitude",
    "phase_field",
    "topological",
    "probabilistic",
    "multi_rate",
]  # the figure's


def expected_runs(gathered: ChapterRuns, fold: int | None = None) -> dict[tuple[str, float], int]:
    """The number of runs each cell (method label, target rate) of the results table should hold: one per
    split and seed that the chapters' grids run there (the paper profile adds seeds at the highest rates);
    on ``fold`` alone where it is given."""

    return dict(Counter((label(c), c.rate) for c in gathered.configs if fold is None or c.fold == fold))


def papers_split(gathered: ChapterRuns) -> tuple[pd.DataFrame | None, dict[tuple[str, float], int], int]:
    """The summary of the runs on the papers' split (``--protocol papers``: SBU's fold 5, trained on folds 1-4),
    the runs each of its cells should hold, and the split's index; a None summary where this build ran none."""
    fold = gathered.info.papers_split
    runs = gathered.runs[gathered.runs["fold"] == fold] if len(gathered.runs) else gathered.runs
    return (summarise(runs) if len(runs) else None), expected_runs(gathered, fold), fold


# What the papers' author reports for his dense baseline (arXiv 2511.21625, Tables 1-2), in his metric, the mean over
# the classes of each class's accuracy, on his split (SBU: our fold 5; FPHA: the official test half)
AUTHOR_DENSE = {"sbu": 98.4, "fpha": 88.17}


def dense_on_papers_split(gathered: ChapterRuns) -> str:
    """A sentence for the results page: the dense network's accuracy on the papers' split and its class-mean
    accuracy (the author's metric, :func:`gcnprune.metrics.class_mean_accuracy`), beside the author's figure where
    the dataset has one; empty where this build ran no dense run there."""
    runs = gathered.runs
    if not len(runs):
        return ""
    runs = runs if "class_mean_accuracy" in runs else runs.assign(class_mean_accuracy=float("nan"))
    dense = runs[(runs["method"] == "dense") & (runs["fold"] == gathered.info.papers_split)]
    if not len(dense):
        return ""
    seeds = f" (mean of {len(dense)} seeds)" if len(dense) > 1 else ""
    author = AUTHOR_DENSE.get(gathered.info.name)
    theirs = f"; the author reports {author:g} % for his network" if author is not None else ""
    said = f"The dense network reaches {100 * dense['accuracy'].mean():.1f} % on this split{seeds}"
    class_mean = dense["class_mean_accuracy"].dropna()
    if len(class_mean) < len(dense):  # runs trained before the metric was recorded: say so rather than mix
        metric = "the author's metric, the mean over the classes of each class's accuracy"
        return f"{said} (its runs predate {metric}{theirs})."
    return (f"{said}, and {100 * class_mean.mean():.1f} % in the author's metric, the mean over the classes of each "
            f"class's accuracy{theirs}.")  # fmt: skip


def cache_lines(gathered: ChapterRuns) -> str:
    """One Markdown list item per method, in the book's order: its chapters and how many of its runs the cache
    holds."""

    runs = gathered.runs
    present = set(runs["method"]) if len(runs) else set()
    counts = {m: sum(label(c) == m for c in gathered.configs) for m in gathered.chapters_of}
    return "\n".join(f"- **{readable(m)}** ({', '.join(where)}): "
                     + (f"{int((runs['method'] == m).sum())} of {counts[m]} runs in the cache" if m in present
                        else "no runs in the cache yet")
                     for m, where in gathered.chapters_of.items())  # fmt: skip


def rate_bands(runs: pd.DataFrame) -> tuple[list[float], list[float]]:
    """The build's very high target rates (≥ 0.95, where the papers make their claims) and its moderate ones."""
    rates = set(runs["rate"]) if len(runs) else set()
    return sorted(r for r in rates if r >= 0.95), sorted(r for r in rates if 0 < r < 0.95)


def figure_methods(runs: pd.DataFrame) -> list[str]:
    """The methods of :data:`MAIN` that have runs in this build."""
    present = set(runs["method"]) if len(runs) else set()
    return [m for m in MAIN if m in present]


LADDER_RATES = (0.98, 0.99, 0.995)  # where the ladders are read, as in each method chapter


def ladders(runs: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Every claim's ablation ladder (:data:`gcnprune.book.report.scoreboard.CLAIMS`) at the rates of
    :data:`LADDER_RATES` the build ran: one table, the claims as its first index level, and each claim's gains
    for :func:`gcnprune.book.plots.ladder_figure`."""
    rates = [r for r in LADDER_RATES if len(runs) and r in set(runs["rate"])]
    tables = {f"{claim.paper} ({readable(claim.method)})": ladder(runs, claim.rungs, rates) for claim in CLAIMS}
    tables = {name: table for name, table in tables.items() if len(table)}
    gains = {name: ladder_gains(runs, claim.rungs, rates) for name, claim in
             zip(tables, [c for c in CLAIMS if f"{c.paper} ({readable(c.method)})" in tables])}  # fmt: skip
    return (pd.concat(tables, names=["claim"]) if tables else pd.DataFrame()), gains


def facts(gathered: ChapterRuns, summary: pd.DataFrame | None) -> dict[str, str]:
    """Every value the chapter glues."""
    expected = expected_runs(gathered)
    dense = summary[summary["method"] == "dense"] if summary is not None else None
    dense_text = "(not run yet)"
    if dense is not None and not dense.empty:
        count, asked = int(dense["runs"].iloc[0]), expected.get(("dense", 0.0), 0)
        dense_text = accuracy_text((float(dense["mean"].iloc[0]), float(dense["std"].fillna(0).iloc[0])))
        dense_text += f" ({count}/{asked} runs)" if count < asked else ""
    short = 0 if summary is None else sum(int(row["runs"]) < expected.get((row["method"], row["rate"]), 0)
                                          for _, row in summary.iterrows())  # fmt: skip
    return {
        "res_dense": dense_text,
        "res_folds": str(len(gathered.folds)),
        "res_seeds": seeds_text(gathered.runs, gathered.seeds),
        "res_rate_gap": achieved_rate_gap(gathered.runs),
        "res_incomplete": str(short),
        "res_missing": str(len(gathered.missing)),
    }


# the names the results notebook uses
__all__ = ["cache_lines", "dense_on_papers_split", "expected_runs", "facts", "figure_methods", "ladders",
           "papers_split", "rate_bands", "results_table", "summarise", "summary_table"]  # fmt: skip
