"""Choose the dense GCN's training settings on validation splits carved from SBU's training folds.

Each candidate trains on a fold's training sets less a held-out 20 % of whole actor pairs (no pair
on both sides, as the test folds hold out whole sets) and is scored on the held-out pairs, never on
the fold's test sets; prints mean ± std validation accuracy over the folds. Candidates name every
setting they change from the paper profile's; runs are cached, so a rerun prints the table from the cache with
today's code (with ``--data``, training only what is missing).
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import Any

import numpy as np

from gcnprune.experiments import cached_runs, make_config, run_configs

OLD = {"chunks": 12, "relative": False}  # the features before this sweep; candidates name every setting they change
CANDIDATES: dict[str, dict[str, dict[str, Any]]] = {
    "300 epochs": {"train": {"epochs": 300}, "features": OLD},
    "900 epochs": {"train": {"epochs": 900}, "features": OLD},
    "900 epochs, velocities": {"train": {"epochs": 900}, "features": {**OLD, "velocities": True}},
    "900 epochs, relative": {"train": {"epochs": 900}, "features": {**OLD, "relative": True}},
    "1800 epochs, relative": {"train": {"epochs": 1800}, "features": {**OLD, "relative": True}},
    "900 epochs, relative, 24 chunks (adopted)": {
        "train": {"epochs": 900},
        "features": {"relative": True, "chunks": 24},
    },
    # towards the literature's 93-98 %: each one change to the adopted defaults, within the papers' architecture
    "adopted, mirrored": {"train": {"mirror": True}},
    "adopted, velocities": {"features": {"velocities": True}},
    "adopted, weight decay 5e-4": {"train": {"weight_decay": 5e-4}},
    "adopted, 128 graph channels": {"model": {"graph_channels": 128}},
    "adopted, dropout 0.3": {"model": {"dropout": 0.3}},
    "adopted, mirrored, dropout 0.3, 128 graph channels": {
        "train": {"mirror": True},
        "model": {"graph_channels": 128, "dropout": 0.3},
    },
}


def candidate_config(name: str, fold: int, profile: str, data: str | None):
    """The validation run of candidate ``name`` on ``fold``."""
    config = make_config("sbu", profile, fold, "dense", 0.0, evaluate="validation", data_root=data)
    return replace(config, **{k: replace(getattr(config, k), **v) for k, v in CANDIDATES[name].items()})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=None, help="the SBU folder (without it, the table comes from the cache)")
    parser.add_argument("--profile", default="paper")
    parser.add_argument("--results", default="results")
    parser.add_argument("--folds", type=int, nargs="*", default=[0, 1, 2, 3, 4], help="0-based folds")
    parser.add_argument("--only", nargs="*", default=None, help="candidate names to run (default: all)")
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    chosen = {name: [candidate_config(name, f, args.profile, args.data) for f in args.folds]
              for name in CANDIDATES if args.only is None or name in args.only}  # fmt: skip
    if args.data is not None:
        run_configs([c for configs in chosen.values() for c in configs], args.results, args.data, jobs=args.jobs)
    for name, configs in chosen.items():
        runs, missing = cached_runs(configs, args.results)
        scores = runs["accuracy"].to_numpy() * 100
        shown = f"{np.mean(scores):5.1f} ± {np.std(scores):4.1f}" if len(scores) else "  not run  "
        absent = f"   not run on folds {[c.fold for c in missing]} (give --data)" if missing else ""
        print(f"{name:42s} {shown}   folds {[c.fold for c in configs if c not in missing]}: "
              f"{np.round(scores, 1).tolist()}{absent}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
