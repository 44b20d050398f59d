"""Rank each pruning method's hyperparameters on validation splits carved from SBU's training folds
(:mod:`gcnprune.book.chapters.tuning`: the candidates, the splits, the seed).

Every candidate trains on a fold's training sets less a held-out 20 % of whole actor pairs and is
scored on those pairs, never on the test sets, at the high rates where the methods differ. All runs
train first, in one pool of ``--jobs`` processes; runs already cached are not trained again, so a rerun
prints the tables from the cache with today's code (training only what is missing, e.g. after a
method's implementation version changed). Prints, per method, rate and candidate: validation accuracy
mean ± std over the folds, the evaluated network's achieved rate, and the fidelity measures the method
records (soft rate and kept overlap for PFM, TC and the staple baselines; the prior cut's rate for PMP
and MRMP). The method chapters show the same tables, read from the committed runs.
"""

from __future__ import annotations

import argparse

from gcnprune.book.chapters.tuning import CANDIDATES, CHOSEN, tuning_configs
from gcnprune.book.report.tuning import tuning_table
from gcnprune.experiments import run_configs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=None, help="the SBU folder (without it, the tables come from the cache)")
    parser.add_argument("--methods", nargs="*", default=list(CANDIDATES))
    parser.add_argument("--results", default="results")
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    if args.data is not None:
        configs = [c for m in args.methods for group in tuning_configs(m, args.data).values() for c in group]
        run_configs(configs, args.results, args.data, jobs=args.jobs)
    for method in args.methods:
        print(f"\n== {method}: {CHOSEN.get(method, '')}")
        print(tuning_table(method, args.results).to_string(), flush=True)


if __name__ == "__main__":
    main()
