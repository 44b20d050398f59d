"""Choose the dense GCN's training settings on validation splits carved from SBU's training folds
(:mod:`gcnprune.book.chapters.tuning`: the candidates, seed 0, all five folds), or on FPHA's development split
(``--dataset fpha``; never its official test half).

Each candidate trains on a fold's training sets less a held-out 20 % of whole actor pairs (no pair
on both sides, as the test folds hold out whole sets) and is scored on the held-out pairs, never on
the fold's test sets; prints mean ± std validation accuracy over the folds. Candidates name every
setting they change from the paper profile's; runs are cached, so a rerun prints the table from the cache with
today's code (with ``--data``, training only what is missing).
"""

from __future__ import annotations

import argparse

from gcnprune.book.chapters.tuning import (
    DENSE_CANDIDATES,
    DENSE_FOLDS,
    FPHA_DENSE_CANDIDATES,
    dense_config,
    fpha_dense_config,
)
from gcnprune.book.report.tuning import dense_tuning_table, fpha_dense_table
from gcnprune.experiments import run_configs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--dataset",
        choices=("sbu", "fpha"),
        default="sbu",
        help="sbu: validation splits of the five folds; fpha: the development split",
    )
    parser.add_argument(
        "--data", default=None, help="the dataset's folder (without it, the table comes from the cache)"
    )
    parser.add_argument("--results", default="results")
    parser.add_argument("--only", nargs="*", default=None, help="candidate names to train (default: all)")
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    fpha = args.dataset == "fpha"
    if args.data is not None:
        chosen = [
            n for n in (FPHA_DENSE_CANDIDATES if fpha else DENSE_CANDIDATES) if args.only is None or n in args.only
        ]
        configs = (
            [fpha_dense_config(name, data_root=args.data) for name in chosen]
            if fpha
            else [dense_config(name, fold, data_root=args.data) for name in chosen for fold in DENSE_FOLDS]
        )
        run_configs(configs, args.results, args.data, jobs=args.jobs)
    print((fpha_dense_table if fpha else dense_tuning_table)(args.results).to_string(), flush=True)


if __name__ == "__main__":
    main()
