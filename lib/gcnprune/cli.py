"""Command line: ``gcnprune grid`` runs a grid of runs (cached) and prints the accuracy table;
``gcnprune clean`` lists (and with ``--delete`` removes) cached runs that no current configuration reaches."""

from __future__ import annotations

import argparse
import json
import sys

import pandas as pd

import shutil

from .experiments import DEFAULT_RESULTS, Grid, accuracy_table, run_grid, stale_runs, summarise
from .methods import METHODS
from .profiles import PROFILES


def _floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x]


def _folds(text: str) -> list[int]:
    """'1-5' or '1,3' (1-based, as protocols name them) → 0-based fold indices."""
    out: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out.extend(range(int(lo) - 1, int(hi or lo)))
    return out


def _setting(text: str) -> tuple[str, str, object]:
    """'magnitude.scope=layer' → ('magnitude', 'scope', 'layer'); the value is JSON when it parses as JSON."""
    target, sep, raw = text.partition("=")
    method, dot, key = target.partition(".")
    if not (sep and dot and method and key):
        raise argparse.ArgumentTypeError(f"expected METHOD.KEY=VALUE (e.g. magnitude.scope=layer), got {text!r}")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return method, key, value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gcnprune", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    grid = sub.add_parser("grid", help="run a grid of runs and print mean ± std accuracy over folds")
    grid.add_argument("--dataset", default="synthetic", help="synthetic, sbu or fpha")
    grid.add_argument("--data", default=None, help="dataset folder (default: $GCNPRUNE_DATA/<name>, else data/<name>)")
    grid.add_argument("--profile", default="quick", choices=sorted(PROFILES))
    grid.add_argument("--methods", default="dense,magnitude", help=f"comma-separated, from: {', '.join(METHODS)}")
    grid.add_argument("--rates", type=_floats, default=[0, 0.5, 0.7, 0.9, 0.95, 0.98, 0.99])
    grid.add_argument("--folds", type=_folds, default=None,
                      help="1-based, e.g. 1-5 or 1,3 (default: the profile's folds; smoke and quick use a few, paper all)")
    grid.add_argument("--seeds", type=lambda t: [int(x) for x in t.split(",")], default=[0])
    grid.add_argument("--set", type=_setting, action="append", default=[], metavar="METHOD.KEY=VALUE",
                      help="a method hyperparameter, e.g. magnitude.scope=layer or probabilistic.alignment_weight=0 (repeatable)")
    grid.add_argument("--jobs", type=int, default=1, help="parallel runs, each single-threaded")
    grid.add_argument("--results", default=str(DEFAULT_RESULTS))
    clean = sub.add_parser("clean", help="list cached runs that no current configuration maps to")
    clean.add_argument("--results", default=str(DEFAULT_RESULTS))
    clean.add_argument("--delete", action="store_true", help="remove them")
    args = parser.parse_args(argv)
    if args.command == "clean":
        stale = stale_runs(args.results)
        for folder in stale:
            print(("removed " if args.delete else "stale ") + str(folder))
            if args.delete:
                shutil.rmtree(folder)
        print(f"{len(stale)} stale run folder(s) in {args.results}")
        return 0

    from .data import load_dataset

    folds = args.folds
    if folds is None:
        options = PROFILES[args.profile].synthetic if args.dataset == "synthetic" else {}
        folds = PROFILES[args.profile].default_folds(len(load_dataset(args.dataset, args.data, **options).splits))
    configs: dict[str, dict[str, object]] = {}
    for method, key, value in args.set:
        configs.setdefault(method, {})[key] = value
    spec = Grid(args.dataset, args.profile, args.methods.split(","), args.rates, folds, args.seeds, configs)
    runs = run_grid(spec, args.results, args.data, jobs=args.jobs)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(f"\nAccuracy (%) on {args.dataset}, {args.profile} profile, mean ± std over {len(folds)} fold(s)"
              f" × {len(args.seeds)} seed(s); columns are target pruning rates\n")  # fmt: skip
        print(accuracy_table(runs).to_string())
        print("\nAchieved rates, nonzero prunable weights and training time (mean per run)\n")
        print(summarise(runs).round(4).to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
