"""Dask's overhead on a grid: the smoke grid's wall time with the local executor and on a Dask LocalCluster
of as many single-threaded worker processes, side by side, as a ratio, with Dask's overhead per run.

Each executor trains the whole grid into its own empty run cache (nothing is read from results/): the
local one with one process and with as many as the cluster has workers; the script checks that all
give the same metrics. "overhead s/run" is worker time per run not spent training (process start-up,
data, scheduling, serialising, waiting for parents). The cluster's start-up is timed apart from the grid.
A benchmark, not a test: time it on an otherwise idle machine. Example:
python scripts/bench_dask.py --folds 1-5 --workers 2
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import pandas as pd
from distributed import Client

from gcnprune.cli import DEFAULT_RATES
from gcnprune.experiments.executors.base import Executor
from gcnprune.experiments.executors.clusters import local_cluster
from gcnprune.experiments.executors.dask import DaskExecutor
from gcnprune.experiments.executors.local import LocalExecutor
from gcnprune.experiments.grid import Grid, run_configs
from gcnprune.experiments.options import floats, folds, values

TIMING = ("train_seconds", "curve_seconds")


def timed_grid(grid: Grid, executor: Executor, results: Path) -> float:
    """Seconds to train every run of ``grid`` into the empty cache ``results``."""
    start = time.perf_counter()
    run_configs(grid.configs(), results, progress=False, executor=executor)
    return time.perf_counter() - start


def metrics(results: Path) -> dict[str, dict]:
    """Every run's metrics in ``results``, timing left out (the only entries two executors may differ in)."""
    out = {}
    for folder in sorted(results.iterdir()):
        stored = json.loads((folder / "metrics.json").read_text())
        out[folder.name] = {k: v for k, v in stored.items() if k not in TIMING}
    return out


def training_seconds(results: Path) -> float:
    """The runs' training time in all (``train_seconds`` summed over ``results``)."""
    return sum(json.loads((f / "metrics.json").read_text())["train_seconds"] for f in results.iterdir())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--methods", default="dense,magnitude")
    parser.add_argument("--rates", default=DEFAULT_RATES)
    parser.add_argument("--folds", default="1-5", help="1-based, e.g. 1-5 (default) or 1,3")
    parser.add_argument("--profile", default="smoke")
    parser.add_argument("--workers", type=int, default=2, help="local processes, and Dask workers (default: 2)")
    args = parser.parse_args()
    grid = Grid("synthetic", args.profile, values(args.methods, "--methods"), floats(args.rates), folds(args.folds))
    scratch = Path(tempfile.mkdtemp(prefix="bench-dask-"))
    rows = []
    for jobs in sorted({1, args.workers}):
        seconds = timed_grid(grid, LocalExecutor(jobs), scratch / f"local-{jobs}")
        rows.append({"executor": f"local, --jobs {jobs}", "processes": jobs, "results": scratch / f"local-{jobs}",
                     "start s": 0.0, "grid s": seconds})  # fmt: skip
    start = time.perf_counter()
    cluster = local_cluster(args.workers, local_directory=str(scratch / "workers"), dashboard_address=":0")
    with cluster, Client(cluster) as client:  # as --cluster local:N starts it
        started = time.perf_counter() - start
        seconds = timed_grid(grid, DaskExecutor(client), scratch / "dask")
    rows.append({"executor": f"Dask LocalCluster, {args.workers} workers", "processes": args.workers,
                 "results": scratch / "dask", "start s": started, "grid s": seconds})  # fmt: skip
    table = pd.DataFrame(rows)
    table["runs"] = [len(list(r.iterdir())) for r in table["results"]]
    local = table["grid s"][len(table) - 2]  # local with as many processes as Dask has workers
    table["× local"] = table["grid s"] / local
    # worker time per run not spent training: process start-up, data, scheduling, (de)serialising, idling
    table["overhead s/run"] = [(row["grid s"] * row["processes"] - training_seconds(row["results"])) / row["runs"]
                               for _, row in table.iterrows()]  # fmt: skip
    same = all(metrics(r) == metrics(table["results"][0]) for r in table["results"])
    print(
        f"{grid.dataset} {grid.profile} grid: {', '.join(grid.methods)} at rates {args.rates}, "
        f"{len(grid.folds)} fold(s)\n"
    )
    print(table.drop(columns=["results", "processes"]).round(3).to_string(index=False))
    cluster_row, local_row = table.iloc[-1], table.iloc[-2]
    per_run = (cluster_row["grid s"] - local_row["grid s"]) * args.workers / cluster_row["runs"]
    print(
        f"\nDask: {cluster_row['× local']:.2f}× the wall time of {args.workers} local processes; its overhead per run "
        f"{per_run:+.3f} s of worker time ((Dask − local) × {args.workers} workers / {cluster_row['runs']} runs), "
        f"the cluster's {started:.1f} s start-up apart. Same metrics from all: {'yes' if same else 'NO'}"
    )


if __name__ == "__main__":
    main()
