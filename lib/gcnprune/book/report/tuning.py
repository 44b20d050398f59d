"""The tuning record as the chapters show it: validation tables of each method's candidates and of the dense
network's (:mod:`gcnprune.book.chapters.tuning` holds the candidates and their runs)."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

from gcnprune.experiments.grid import cached_runs
from gcnprune.experiments.repo import DEFAULT_RESULTS

from ..chapters.tuning import (
    DENSE_CANDIDATES,
    DENSE_FOLDS,
    FPHA_DENSE_CANDIDATES,
    dense_config,
    fpha_dense_config,
    tuning_configs,
)
from .format import mean_std

FIDELITY = {"soft_rate": "soft rate", "kept_overlap": "kept overlap", "threshold_rate": "prior cut's rate"}


def tuning_table(
    method: str, results: str | os.PathLike[str] = DEFAULT_RESULTS, profile: str = "paper"
) -> pd.DataFrame:
    """One row per rate and candidate of ``method``: validation accuracy (mean ± std over the folds, %), the
    evaluated network's achieved rate, and the fidelity measures its runs record; read from the cache
    (the committed record by default), a candidate without runs there marked "not run"."""
    rows = []
    for (rate, label), configs in tuning_configs(method, profile=profile).items():
        runs, _ = cached_runs(configs, results)
        row: dict[str, Any] = {"rate": f"{rate:g}", "candidate": label, "folds": len(runs)}
        if len(runs):
            acc = runs["accuracy"].to_numpy() * 100
            row["validation accuracy (%)"] = mean_std(acc.mean(), acc.std())
            row["achieved rate"] = f"{runs['achieved_rate'].mean():.4f}"
            row.update({name: f"{runs[key].mean():.4f}" for key, name in FIDELITY.items() if key in runs})
        else:
            row["validation accuracy (%)"] = "not run"
        rows.append(row)
    return pd.DataFrame(rows).fillna("").set_index(["rate", "candidate"])


def fpha_dense_table(results: str | os.PathLike[str] = DEFAULT_RESULTS, profile: str = "paper") -> pd.DataFrame:
    """One row per FPHA dense candidate (:data:`FPHA_DENSE_CANDIDATES`): its development-split accuracy (%), read
    from the cache (the committed record by default), "not run" where it has no run there."""
    rows = []
    for name in FPHA_DENSE_CANDIDATES:
        runs, _ = cached_runs([fpha_dense_config(name, profile)], results)
        score = f"{runs['accuracy'].iloc[0] * 100:.1f}" if len(runs) else "not run"
        rows.append({"candidate": name, "development accuracy (%)": score})
    return pd.DataFrame(rows).set_index("candidate")


def dense_tuning_table(results: str | os.PathLike[str] = DEFAULT_RESULTS, profile: str = "paper") -> pd.DataFrame:
    """One row per dense candidate: validation accuracy (mean ± std over the folds run, %) and each fold's,
    read from the cache (the committed record by default); a fold without a run is left blank."""
    rows = []
    for name in DENSE_CANDIDATES:
        runs, _ = cached_runs([dense_config(name, fold, profile) for fold in DENSE_FOLDS], results)
        acc = dict(zip(runs["fold"], runs["accuracy"] * 100)) if len(runs) else {}
        scores = np.array(list(acc.values()))
        row: dict[str, Any] = {"candidate": name, "folds": len(scores)}
        row["validation accuracy (%)"] = mean_std(scores.mean(), scores.std()) if len(scores) else "not run"
        row.update({f"fold {f + 1}": f"{acc[f]:.1f}" if f in acc else "" for f in DENSE_FOLDS})
        rows.append(row)
    return pd.DataFrame(rows).set_index("candidate")
