"""The record behind the defaults: the dense network's candidate settings and each method's, trained on
validation splits carved from SBU's training folds and scored there, never on the test sets; the methods
at the high rates where they differ (``scripts/tune_dense.py`` and ``scripts/tune_methods.py`` train them;
the magnitude chapter shows :func:`dense_tuning_table`, the method chapters :func:`tuning_table`).

A validation split holds out 20 % of a fold's training sequences as whole actor pairs
(:func:`gcnprune.train.validation_split`). The methods' record is seed 1's: a candidate starts from the
dense network trained on the same split, and a child is trained only from a parent this machine reproduces
(:func:`gcnprune.experiments.runner.parent_weights`); seed 0's validation dense runs came from an earlier machine. The
dense record is seed 0's, on all five folds: its first six candidates were trained on that earlier machine,
the others on the development machine (a run differs between the two by about as much as between seeds).
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from gcnprune.experiments.config import RunConfig, make_config
from gcnprune.experiments.grid import cached_runs
from gcnprune.experiments.repo import DEFAULT_RESULTS

from ..report.format import mean_std

TUNING_RATES = (0.98, 0.99)
TUNING_FOLDS = (0, 1)  # 0-based
TUNING_SEED = 1
CANDIDATES: dict[str, list[dict[str, Any]]] = {
    "magnitude": [{"scope": "global"}, {"scope": "layer"}],
    "gradual_magnitude": [{"scope": "global"}, {"scope": "layer"}],
    "phase_field": [{"threshold": "network"}, {"threshold": "layer"}, {"potential_weight": 1.0},
                    {"potential_weight": 20.0}],
    "budget_l1": [{}],
    "topological": [{"kappa": 10.0}, {"kappa": 1.0}, {"threshold": "layer"}],
    "probabilistic": [{"threshold": "prior"}, {"family": "gaussian"}, {"alignment_weight": 10.0},
                      {"alignment_weight": 1000.0}, {"threshold": "empirical"}],
    "multi_rate": [{"threshold": "prior"}, {"threshold": "empirical"}, {"sample": True}],
}  # fmt: skip
CHOSEN = {  # what the sweeps led to (differences under ~5 points are within fold noise)
    "magnitude": "global stays the default, as specified; per-layer is reported beside it as a second baseline",
    "phase_field": "one network-wide threshold and budget, ranked above per-layer ones here (an earlier sweep, with "
    "the penalty-only budget, had chosen per-layer ones: there a network budget emptied the attention layers)",
    "topological": "one network-wide threshold and budget, as PFM, ranked above per-layer ones here too",
    "probabilistic": "the prior's quantile (the paper's method) once its cut lands on the target rate",
    "multi_rate": "as PMP, every rate's loss at every step (sampling one rate per step is faster, and lower here)",
}  # fmt: skip
OLD_FEATURES = {"chunks": 12, "relative": False}  # before the first dense sweep; candidates name what they change
DENSE_CANDIDATES: dict[str, dict[str, dict[str, Any]]] = {  # changes to the paper profile's configuration
    "300 epochs": {"train": {"epochs": 300}, "features": OLD_FEATURES},
    "900 epochs": {"train": {"epochs": 900}, "features": OLD_FEATURES},
    "900 epochs, velocities": {"train": {"epochs": 900}, "features": {**OLD_FEATURES, "velocities": True}},
    "900 epochs, relative": {"train": {"epochs": 900}, "features": {**OLD_FEATURES, "relative": True}},
    "1800 epochs, relative": {"train": {"epochs": 1800}, "features": {**OLD_FEATURES, "relative": True}},
    "900 epochs, relative, 24 chunks (adopted)": {"train": {"epochs": 900},
                                                  "features": {"relative": True, "chunks": 24}},
    # towards the literature's 93-98 %: one change to the adopted defaults each, within the papers' architecture
    "adopted, mirrored": {"train": {"mirror": True}},
    "adopted, velocities": {"features": {"velocities": True}},
    "adopted, weight decay 5e-4": {"train": {"weight_decay": 5e-4}},
    "adopted, 128 graph channels": {"model": {"graph_channels": 128}},
    "adopted, dropout 0.3": {"model": {"dropout": 0.3}},
    "adopted, mirrored, dropout 0.3, 128 graph channels": {"train": {"mirror": True},
                                                           "model": {"graph_channels": 128, "dropout": 0.3}},
}  # fmt: skip
DENSE_FOLDS = (0, 1, 2, 3, 4)
FIDELITY = {"soft_rate": "soft rate", "kept_overlap": "kept overlap", "threshold_rate": "prior cut's rate"}


def candidate_label(candidate: dict[str, Any]) -> str:
    """A candidate's settings as ``name=value`` pairs; ``defaults`` for none."""
    return ", ".join(f"{k}={v}" for k, v in candidate.items()) or "defaults"


def tuning_configs(
    method: str, data_root: str | os.PathLike[str] | None = None, profile: str = "paper"
) -> dict[tuple[float, str], list[RunConfig]]:
    """The validation runs of ``method``'s candidates: for each rate and candidate, one per fold."""
    return {
        (rate, candidate_label(candidate)): [
            make_config("sbu", profile, fold, method, rate, TUNING_SEED, candidate, "validation", data_root)
            for fold in TUNING_FOLDS
        ]
        for rate in TUNING_RATES
        for candidate in CANDIDATES[method]
    }


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


def dense_config(
    name: str, fold: int, profile: str = "paper", data_root: str | os.PathLike[str] | None = None
) -> RunConfig:
    """The validation run of the dense candidate ``name`` on ``fold`` (seed 0)."""
    config = make_config("sbu", profile, fold, "dense", 0.0, evaluate="validation", data_root=data_root)
    return replace(config, **{k: replace(getattr(config, k), **v) for k, v in DENSE_CANDIDATES[name].items()})


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
