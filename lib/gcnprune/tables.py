"""Tables of a grid's runs: mean and std over folds and seeds per method and target rate."""

from __future__ import annotations

import pandas as pd


def summarise(runs: pd.DataFrame, value: str = "accuracy", scale: float = 100.0) -> pd.DataFrame:
    """Mean and std of ``value`` over folds and seeds for each method and target rate, with run counts."""
    grouped = runs.groupby(["method", "rate"])[value]
    table = pd.DataFrame({"mean": grouped.mean() * scale, "std": grouped.std(ddof=0) * scale, "runs": grouped.size()})
    for column in ("achieved_rate", "dangling_fraction", "prunable_nonzero", "prunable_dense", "train_seconds"):
        if column in runs:
            table[column] = runs.groupby(["method", "rate"])[column].mean()
    return table.reset_index()


def accuracy_table(runs: pd.DataFrame, value: str = "accuracy", scale: float = 100.0, digits: int = 1) -> pd.DataFrame:
    """Methods as rows (in registration order, a method's variants by label), target rates as columns,
    cells "mean ± std" over folds and seeds; ``runs`` as :func:`~gcnprune.runner.cached_runs` gives them,
    with each row's ``variant``."""
    s = summarise(runs, value, scale)
    s["cell"] = [f"{m:.{digits}f} ± {d:.{digits}f}" for m, d in zip(s["mean"], s["std"])]
    table = s.pivot(index="method", columns="rate", values="cell").fillna("")
    variants = dict(zip(runs["method"], runs["variant"]))
    return table.loc[sorted(table.index, key=lambda m: variants[m].order())]
