"""Run every chapter's grid (gcnprune.book.chapters.grids) on one dataset and profile: the batch job behind the book.

Finished runs are skipped, so the job can be stopped and restarted; the book then renders from the
cache without training. Example: python scripts/paper_grids.py --dataset sbu --data ../shared/data/sbu
With ``--dataset fpha`` it runs the FPHA development page's grid (the split in the folder given).
"""

from __future__ import annotations

import argparse
import time

from gcnprune.book.chapters.grids import ORDER, chapter_grids, development_grid
from gcnprune.experiments import accuracy_table, run_configs
from gcnprune.experiments.config import DEVICE_CHOICES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", default="sbu")
    parser.add_argument("--data", default=None)
    parser.add_argument("--profile", default="paper")
    parser.add_argument("--folds", type=int, nargs="*", default=[0, 1, 2, 3, 4])
    parser.add_argument("--chapters", nargs="*", default=list(ORDER))
    parser.add_argument(
        "--rates",
        type=float,
        nargs="*",
        default=None,
        help="only these target rates (default: each grid's standard rates)",
    )
    parser.add_argument("--main-only", action="store_true", help="only each chapter's main comparison")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--device", choices=DEVICE_CHOICES, default="cpu", help="where runs train: cpu, cuda or auto")
    parser.add_argument("--results", default="results")
    args = parser.parse_args()
    if args.dataset == "fpha":
        ordered = [("fpha-development", development_grid(args.profile, args.device))]
    else:
        grids = {chapter: chapter_grids(chapter, args.dataset, args.profile, args.folds, rates=args.rates,
                                        device=args.device)
                 for chapter in args.chapters}  # fmt: skip
        ordered = [(c, g[0]) for c, g in grids.items()]
        ordered += [] if args.main_only else [(c, x) for c, g in grids.items() for x in g[1:]]
    for chapter, grid in ordered:  # every chapter's main comparison first, then the rest
        start = time.perf_counter()
        runs = run_configs(grid.configs(args.data), args.results, args.data, jobs=args.jobs)
        print(f"\n== {chapter}: {', '.join(grid.methods)} ({time.perf_counter() - start:.0f} s wall)", flush=True)
        print(accuracy_table(runs).to_string(), flush=True)


if __name__ == "__main__":
    main()
