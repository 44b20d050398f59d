"""Choose the dense GCN's training settings on validation splits carved from SBU's training folds
(:mod:`gcnprune.book.chapters.tuning`: the candidates, seed 0, all five folds).

Each candidate trains on a fold's training sets less a held-out 20 % of whole actor pairs (no pair
on both sides, as the test folds hold out whole sets) and is scored on the held-out pairs, never on
the fold's test sets; prints mean ± std validation accuracy over the folds. Candidates name every
setting they change from the paper profile's; runs are cached, so a rerun prints the table from the cache with
today's code (with ``--data``, training only what is missing).
"""

from __future__ import annotations

import argparse

from gcnprune.book.chapters.tuning import DENSE_CANDIDATES, DENSE_FOLDS, dense_config, dense_tuning_table
from gcnprune.experiments import run_configs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=None, help="the SBU folder (without it, the table comes from the cache)")
    parser.add_argument("--results", default="results")
    parser.add_argument("--only", nargs="*", default=None, help="candidate names to train (default: all)")
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    if args.data is not None:
        chosen = [n for n in DENSE_CANDIDATES if args.only is None or n in args.only]
        configs = [dense_config(name, fold, data_root=args.data) for name in chosen for fold in DENSE_FOLDS]
        run_configs(configs, args.results, args.data, jobs=args.jobs)
    print(dense_tuning_table(args.results).to_string(), flush=True)


if __name__ == "__main__":
    main()
