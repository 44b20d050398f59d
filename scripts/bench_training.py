"""What each method's training costs, side by side in one process: every method on one fold, from the same
dense run, single-threaded and one after the other, in seconds per epoch beside the dense run's; and MRMP's
one-shot training beside one PMP (SRMP) run of the same epochs, summing every training rate's loss at each
step and sampling one rate per step.

Each repeat trains everything into a new empty cache (nothing is read from results/) and the table gives
the median over repeats; every repeat must reproduce the first one's accuracies. The times are ``fit``'s
alone (``train_seconds``: no data loading, no evaluation, MRMP's accuracy curve apart). A benchmark, not a
test: run it on an otherwise idle machine. Examples:
python scripts/bench_training.py                                      (synthetic set, quick profile)
python scripts/bench_training.py --dataset sbu --data ../shared/data/sbu --profile paper --evaluate validation
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

import pandas as pd

from gcnprune.deploy.bench import machine
from gcnprune.experiments import make_config, run
from gcnprune.experiments.cache import load_run
from gcnprune.experiments.config import RunConfig
from gcnprune.experiments.runner import preload_training
from gcnprune.methods import grid_methods

SAMPLED = "multi_rate, sampled"  # MRMP drawing one training rate per step
PMP = "probabilistic"


def configs(args: argparse.Namespace) -> dict[str, RunConfig]:
    """Every grid method's run at ``--rate`` (the dense run's at 0, first), and MRMP's sampling one rate per step."""
    out = {m: make_config(args.dataset, args.profile, args.fold - 1, m, 0.0 if m == "dense" else args.rate,
                          evaluate=args.evaluate, data_root=args.data) for m in grid_methods()}  # fmt: skip
    out[SAMPLED] = out["multi_rate"].with_method("multi_rate", args.rate, {"sample": True})
    return out


def timed(name: str, config: RunConfig, results: Path, data: str | None) -> dict[str, float]:
    """Train ``config`` into ``results``; its accuracy, the epochs of its stage and the seconds its training took
    (an MRMP run's training is its parent's, the one model that serves every rate)."""
    metrics = run(config, results, data)
    epochs = config.train.epochs if config.method == "dense" else config.train.finetune_epochs
    trained = config.parent() if config.method == "multi_rate" else config
    seconds = load_run(trained, results)["train_seconds"]
    return {"method": name, "accuracy": metrics["accuracy"], "epochs": epochs, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="synthetic")
    parser.add_argument("--data", default=None, help="the dataset's folder (not needed for the synthetic set)")
    parser.add_argument("--profile", default="quick")
    parser.add_argument("--fold", type=int, default=1, help="1-based (default: 1)")
    parser.add_argument("--rate", type=float, default=0.98)
    parser.add_argument("--evaluate", default="test", choices=("test", "validation"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", default=None, help="also write the table and the machine here")
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")
    preload_training()  # else the first run timed pays the import that Adam's first step makes
    runs = configs(args)
    repeats = []
    for _ in range(args.repeats):
        results = Path(tempfile.mkdtemp(prefix="bench-training-"))
        repeats.append([timed(name, config, results, args.data) for name, config in runs.items()])
        if [r["accuracy"] for r in repeats[-1]] != [r["accuracy"] for r in repeats[0]]:
            raise SystemExit("error: a repeat reached other accuracies than the first; the runs are not reproducible")
    table = pd.DataFrame(repeats[0]).drop(columns="seconds")
    table["seconds"] = [statistics.median(rows[i]["seconds"] for rows in repeats) for i in range(len(table))]
    table["s/epoch"] = table["seconds"] / table["epochs"]
    table["× dense s/epoch"] = table["s/epoch"] / float(table.loc[table["method"] == "dense", "s/epoch"].iloc[0])
    pmp = float(table.loc[table["method"] == PMP, "seconds"].iloc[0])
    table["× one PMP run"] = [s / pmp if m in ("multi_rate", SAMPLED) else float("nan")
                              for m, s in zip(table["method"], table["seconds"])]  # fmt: skip
    print(f"{args.dataset} {args.profile}, fold {args.fold}, {args.evaluate}, rate {args.rate}; median of "
          f"{args.repeats} repeat(s), single-threaded\n")  # fmt: skip
    print(table.round(3).to_string(index=False))
    if args.json:
        settings = {k: getattr(args, k) for k in ("dataset", "profile", "fold", "rate", "evaluate", "repeats")}
        record = {**settings, "machine": machine(), "runs": json.loads(table.to_json(orient="records"))}
        Path(args.json).write_text(json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    main()
