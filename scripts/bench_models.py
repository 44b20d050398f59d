"""The benchmark behind the book's "what pruning buys" chapter: SBU fold 1, seed 1, paper profile.

Trains the runs of :func:`gcnprune.book.chapters.grids.bench_grids` that the cache lacks, then exports the dense run,
MP, PMP and TC at 0.9, 0.98 and 0.99, and head-aware MP keeping 4, 2 or no attention heads at 0.98 and 0.99 to
``models/sbu/<run>.safetensors`` (the
compact models the chapter and readers load) and writes their measurements to ``models/sbu/bench.json``.
Pruned runs save no weights, so each is trained again from its dense parent (about 15 CPU minutes in
all); time it on an otherwise idle machine. Example: python scripts/bench_models.py --data ../shared/data/sbu
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from gcnprune.book.chapters.grids import bench_grids
from gcnprune.deploy.bench import bench_record, bench_runs, format_table
from gcnprune.experiments import run_configs
from gcnprune.experiments.repo import REPO_ROOT


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", required=True, help="the SBU folder")
    parser.add_argument("--results", default="results")
    parser.add_argument("--out", default=str(REPO_ROOT / "models" / "sbu"))
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    configs = [c for grid in bench_grids() for c in grid.configs(args.data)]
    run_configs(configs, args.results, args.data)  # the runs themselves, where the cache lacks them
    hashes = [c.run_hash() for c in configs]  # dense first: a row of its own
    table = bench_runs(hashes, args.results, args.data, args.repeats, args.warmup, progress=True, models=args.out,
                       onnx=True)  # fmt: skip
    print(format_table(table))
    path = Path(args.out) / "bench.json"
    path.write_text(json.dumps(bench_record(table, args.repeats, args.warmup), indent=2, allow_nan=False) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
