"""The card that ends each chapter: how to run it again, how long its runs took to train, and what to compare."""

from __future__ import annotations

from ..chapters.runs import ChapterRuns


def _duration(seconds: float) -> str:
    """Seconds in words: "40 s", "12 min", "3.5 h"."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def rerun_card(chapter: ChapterRuns, name: str, dataset: str, profile: str, cores: int = 2) -> str:
    """Markdown of a "rerun this chapter" card (a quotation block): the command, the training time of this
    build's runs of the chapter (their recorded ``train_seconds``, summed, and spread over ``cores`` parallel
    runs), and what a rerun should reproduce."""
    runs = chapter.runs
    total = float(runs["train_seconds"].sum()) if len(runs) and "train_seconds" in runs else 0.0
    data = "" if dataset == "synthetic" else f" --data <the {dataset.upper()} folder>"
    command = f"python -m gcnprune.book --dataset {dataset} --profile {profile} --only {name}{data}"
    lines = [
        f"**Rerun this chapter.** `{command}` executes this page again; runs "
        "already in the cache are read, not trained, and `make book` rebuilds every page from the same cache, "
        "so the book stays consistent.",
        f"Trained from an empty cache, this page's {len(runs)} runs take about {_duration(total / cores)} on "
        f"{cores} cores (their recorded training times: {_duration(total)} in all).",
        "On the machine that trained the committed runs a rerun reproduces every number bit for bit; on another "
        "processor, compare the tables' means within their standard deviations, and the verdicts.",
    ]
    return "\n>\n".join("> " + line for line in lines)
