"""The tuning record as the chapters show it: validation tables of each method's candidates and of the dense
network's (:mod:`gcnprune.book.chapters.tuning` holds the candidates and their runs)."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

from gcnprune.data import dataset_info
from gcnprune.experiments.grid import cached_runs
from gcnprune.experiments.repo import DEFAULT_RESULTS
from gcnprune.graphs import normalised_adjacency
from gcnprune.networks import build_network

from ..chapters.tuning import (
    AUTHOR,
    DENSE_CANDIDATES,
    DENSE_CHOICE,
    DENSE_FOLDS,
    FPHA_DENSE_CANDIDATES,
    dense_config,
    fpha_dense_config,
    tuning_configs,
)
from .format import mean_std
from .paired import PairedGain, paired_gain

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


def _dense_accuracy(name: str, results: str | os.PathLike[str], profile: str) -> pd.Series:
    """The dense candidate ``name``'s validation accuracy (%) on each fold it ran, indexed by fold."""
    runs, _ = cached_runs([dense_config(name, fold, profile) for fold in DENSE_FOLDS], results)
    return (runs.set_index("fold")["accuracy"] * 100) if len(runs) else pd.Series(dtype=float)


def author_ingredients(results: str | os.PathLike[str] = DEFAULT_RESULTS, profile: str = "paper") -> pd.DataFrame:
    """One row per change to the papers' author's recipe (:data:`~gcnprune.book.chapters.tuning.AUTHOR_RECIPE`):
    its validation accuracy and its paired gain over the recipe as written (the mean of its fold-by-fold
    differences, with its 95 % t interval), and the verdict the book's rule gives it."""
    base = _dense_accuracy(AUTHOR, results, profile)
    rows = []
    for name in DENSE_CANDIDATES:
        if not name.startswith(f"{AUTHOR}, "):
            continue
        own = _dense_accuracy(name, results, profile)
        gain = _paired(own, base)
        rows.append({"change to the recipe": name.removeprefix(f"{AUTHOR}, "),
                     "validation accuracy (%)": mean_std(own.mean(), own.std(ddof=0)) if len(own) else "not run",
                     "gain over the recipe (points)": gain.text() if gain.pairs else "",
                     "verdict": gain.verdict() if gain.pairs else ""})  # fmt: skip
    return pd.DataFrame(rows).set_index("change to the recipe")


def dense_record_facts(results: str | os.PathLike[str] = DEFAULT_RESULTS, profile: str = "paper") -> dict[str, str]:
    """The dense record's facts for the magnitude chapter's prose: the author's recipe as written, his network's
    best variant, the best candidate of all (validation accuracy over the five folds, candidates run on all), with
    the parameters of the last two networks, and the choice (:data:`~gcnprune.book.chapters.tuning.DENSE_CHOICE`)
    with the best candidate's paired gain over it."""
    scores = {name: _dense_accuracy(name, results, profile) for name in DENSE_CANDIDATES}
    complete = {name: s for name, s in scores.items() if len(s) == len(DENSE_FOLDS)}
    best = max(complete, key=lambda n: complete[n].mean())
    authors = [n for n in complete if n.startswith(f"{AUTHOR}, ")]
    author_best = max(authors, key=lambda n: complete[n].mean()) if authors else AUTHOR

    def text(name: str) -> str:
        s = scores[name]
        return mean_std(s.mean(), s.std(ddof=0)) + " %" if len(s) else "not run"

    def parameters(name: str) -> str:
        config, info = dense_config(name, 0, profile), dataset_info("sbu")
        network = build_network(info.num_joints, config.features.signal_size(), info.num_classes,
                                normalised_adjacency(info.adjacency()), config.model)  # fmt: skip
        return f"{sum(p.numel() for p in network.parameters()):,}"

    return {
        "dr_author": text(AUTHOR),
        "dr_author_best": author_best.removeprefix(f"{AUTHOR}, "),
        "dr_author_best_acc": text(author_best),
        "dr_best": best,
        "dr_best_acc": text(best),
        "dr_gap": f"{complete[best].mean() - scores[author_best].mean():.1f}" if len(scores[author_best]) else "",
        "dr_author_params": parameters(author_best),
        "dr_best_params": parameters(best),
        "dr_choice": DENSE_CHOICE,
        "dr_choice_acc": text(DENSE_CHOICE),
        "dr_choice_gap": _paired(scores[best], scores[DENSE_CHOICE]).text(),
    }


def _paired(own: pd.Series, base: pd.Series) -> PairedGain:
    """``own``'s gain over ``base`` fold by fold (points), with its 95 % t interval."""
    both = own.index.intersection(base.index)
    return paired_gain((own[both] - base[both]).sort_index())
