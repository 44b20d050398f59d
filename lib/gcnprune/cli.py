"""Command line: ``gcnprune grid`` runs a grid of runs (cached; locally or on a Dask cluster,
:mod:`gcnprune.experiments.executors.base`) and prints the accuracy table;
``gcnprune clean`` lists (and with ``--delete`` removes) cached runs that no current configuration reaches,
damaged run folders, and temporary folders that interrupted runs left; ``gcnprune export`` writes a run's
compact model (:mod:`.deploy.export`); ``gcnprune bench`` measures runs' networks side by side (:mod:`.deploy.bench`).

Every option is checked before anything trains or is written; a user error (bad option, data or cache
entry, :class:`~gcnprune.errors.UserError`) prints one ``error: …`` line and exits with status 1, and
``--debug`` shows its traceback instead. Anything else is a bug, and its traceback goes through.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections import Counter
from pathlib import Path

import pandas as pd

from .data import DatasetNotFoundError, dataset_info, load_dataset
from .deploy.bench import bench_record, bench_runs, format_table, machine
from .deploy.compaction import structure_summary
from .deploy.export import export_run
from .deploy.onnx_export import require_onnx
from .errors import UserError
from .experiments import options as options
from .experiments.cache import audit_cache, check_results
from .experiments.config import DEVICE_CHOICES, resolve_device
from .experiments.executors import grid_executor
from .experiments.executors.base import RunsFailed, require_dask
from .experiments.executors.clusters import CLUSTER_HELP, parse_cluster
from .experiments.grid import Grid, accuracy_table, run_configs, summarise
from .experiments.profiles import PROFILES, default_profile
from .experiments.repo import DEFAULT_RESULTS
from .methods import grid_methods
from .outputs import check_output, write_atomically

DEFAULT_RATES = "0,0.5,0.7,0.9,0.95,0.98,0.99"


def _protocol_folds(dataset: str, data: str | None, profile: str, needed: bool) -> int | None:
    """How many folds the dataset's protocol has; None where the data is not at hand and the folds were
    given (the runs may all be cached; a run to train reports the missing data itself)."""

    options = PROFILES[profile].dataset_options(dataset)
    try:
        return len(load_dataset(dataset, data, **options).splits)
    except DatasetNotFoundError:
        if needed or data is not None:
            raise
        return None


def _choose_folds(args: argparse.Namespace) -> list[int]:
    """The 0-based folds of ``--folds``, or the profile's, or with ``--protocol papers`` the papers' split (SBU's
    fold 5, trained on folds 1-4); a fold the protocol lacks is an error that counts from 1, as ``--folds`` does."""
    if args.protocol == "papers":
        if args.folds is not None:
            raise UserError(
                f"--protocol papers is one split (the papers' {args.dataset} split); drop --folds {args.folds}"
            )
        return [dataset_info(args.dataset, **PROFILES[args.profile].dataset_options(args.dataset)).papers_split]
    folds = None if args.folds is None else options.folds(args.folds)
    splits = _protocol_folds(args.dataset, args.data, args.profile, needed=folds is None)
    if folds is None:
        return PROFILES[args.profile].default_folds(splits or 0)
    beyond = [f + 1 for f in folds if splits is not None and f >= splits]
    if beyond:
        raise UserError(f"--folds {args.folds}: {args.dataset} has {splits} fold(s), numbered 1..{splits}; "
                        f"there is no fold {beyond[0]}")  # fmt: skip
    return folds


def _say(text: str) -> None:
    """A progress message: to stderr, so that the tables alone go to stdout."""
    print(text, file=sys.stderr)


def _grid(args: argparse.Namespace) -> int:
    """``gcnprune grid``: check every option, run (or read) the grid (locally or on Dask), print its tables."""
    if args.jobs < 1:
        raise UserError(f"--jobs must be at least 1 (parallel training runs), got {args.jobs}")
    if args.scheduler is not None and args.cluster is not None:
        raise UserError("--scheduler and --cluster both name where the runs go; give one")
    if args.scheduler is not None or args.cluster is not None:
        require_dask()
        if args.cluster is not None:
            parse_cluster(args.cluster)
    args.profile = args.profile or default_profile(args.dataset)
    options.data_option(args.dataset, args.data)
    check_results(args.results, writing=False)  # writability is checked once it is known whether runs train
    rates, seeds, configs = options.floats(args.rates), options.seeds(args.seeds), options.settings(args.set)
    methods = options.values(args.methods, "--methods")
    folds = _choose_folds(args)
    # refuses bad rates, methods, --set
    spec = Grid(args.dataset, args.profile, methods, rates, folds, seeds, configs, resolve_device(args.device))
    with grid_executor(args.jobs, args.scheduler, args.cluster, log=_say) as executor:
        runs = run_configs(spec.configs(args.data), args.results, args.data, executor=executor)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(f"\nAccuracy (%) on {args.dataset}, {args.profile} profile, mean ± std over {len(folds)} fold(s)"
              f" × {len(seeds)} seed(s); columns are target pruning rates\n")  # fmt: skip
        print(accuracy_table(runs).to_string())
        print("\nAchieved rates, nonzero prunable weights and training time (mean per run)\n")
        print(summarise(runs).round(4).to_string(index=False))
    return 0


def _remove(path: Path) -> None:
    """Delete a cache entry (a folder, or a file where a run folder should be); gone already is fine."""
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _clean(args: argparse.Namespace) -> int:
    """``gcnprune clean``: list stale, damaged and interrupted cache entries; remove them with ``--delete``."""
    check_results(args.results, writing=False)
    if not Path(args.results).is_dir():
        raise UserError(f"the results folder {args.results} does not exist; give the run cache to check "
                        "(--results DIR)")  # fmt: skip
    findings = audit_cache(args.results)
    for finding in findings:
        if args.delete:
            _remove(finding.target)
        print(f"{'removed ' if args.delete else ''}{finding.kind} {finding.target}: {finding.reason}")
    counts = Counter(finding.kind for finding in findings)
    hint = "; --delete removes them" if findings and not args.delete else ""
    print(f"{counts['stale']} stale, {counts['damaged']} damaged and {counts['interrupted']} interrupted "
          f"run folder(s) in {args.results}{hint}")  # fmt: skip
    return 0


def _export(args: argparse.Namespace) -> int:
    """``gcnprune export``: recompute a cached run's model, write its compact model, print what it removed."""

    check_results(args.results, writing=False)
    if args.format == "onnx":
        require_onnx()
    out = check_output(args.out or f"{args.run}.{'onnx' if args.format == 'onnx' else 'compact.safetensors'}", "--out")
    export = export_run(args.run, args.results, args.data, out, progress=args.progress, form=args.format)
    c = export.config
    print(f"run {args.run}: {c.dataset} fold {c.fold + 1} seed {c.seed}, {c.method} at rate {c.rate:g}, "
          f"accuracy {100 * export.compact.source['accuracy']:.2f}%")  # fmt: skip
    for kind, (dense, kept) in structure_summary(export.compact).items():
        print(f"  {kind:<24} {kept:>6} of {dense:<6} kept")
    runtime = " under onnxruntime" if args.format == "onnx" else ""
    print(f"wrote {out} ({out.stat().st_size} bytes); its logits{runtime} differ from the masked network's by at most "
          f"{export.logit_gap:.2g} on the run's {len(export.trainer.test_y)} test sequences")  # fmt: skip
    return 0


def _bench(args: argparse.Namespace) -> int:
    """``gcnprune bench``: measure the runs' masked and compact networks beside their dense ones."""

    check_results(args.results, writing=False)
    if args.repeats < 1 or args.warmup < 0:
        raise UserError(f"--repeats must be at least 1 and --warmup at least 0, got {args.repeats} and {args.warmup}")
    check_output(args.json, "--json")  # before the benchmark, whose measurements a bad path would lose
    if args.onnx:
        require_onnx()
    table = bench_runs(args.runs, args.results, args.data, args.repeats, args.warmup, args.progress, args.models,
                       args.onnx)  # fmt: skip
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print(format_table(table))
    print(
        "\n× = dense / this (times smaller or faster); limit× = dense / minimal multiply-adds; latencies are "
        f"medians of {args.repeats} calls on one thread; load average {machine()['load_average'][0]:.2f}"
    )
    record = json.dumps(bench_record(table, args.repeats, args.warmup), indent=2, allow_nan=False) + "\n"
    write_atomically(args.json, record.encode())
    print(f"wrote {args.json}")
    return 0


def _grid_options(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``gcnprune grid`` and its options: what to run (dataset, profile, methods, rates, folds, seeds,
    hyperparameters) and where (local processes, a Dask scheduler or cluster)."""
    grid = sub.add_parser("grid", parents=[common], help="run a grid of runs and print mean ± std accuracy over folds")
    grid.set_defaults(handler=_grid)
    grid.add_argument("--dataset", default="synthetic", help="synthetic, sbu or fpha")
    grid.add_argument("--data", default=None, help="dataset folder (default: $GCNPRUNE_DATA/<name>, else data/<name>)")
    grid.add_argument(
        "--profile",
        default=None,
        choices=sorted(PROFILES),
        help="training budget (default: paper for sbu and fpha, quick for synthetic)",
    )
    grid.add_argument(
        "--methods", default="dense,magnitude", help=f"comma-separated, from: {', '.join(grid_methods())}"
    )
    grid.add_argument(
        "--rates", default=DEFAULT_RATES, help=f"target pruning rates in [0, 1) (default: {DEFAULT_RATES})"
    )
    grid.add_argument(
        "--folds",
        default=None,
        help="1-based, e.g. 1-5 or 1,3 (default: the profile's folds; smoke and quick use a few, paper all)",
    )
    grid.add_argument(
        "--protocol",
        choices=("folds", "papers"),
        default="folds",
        help="folds: the dataset's cross-validation folds (--folds); papers: the split the papers' author reports "
        "(SBU: train on folds 1-4, test on fold 5; FPHA: the official split)",
    )
    grid.add_argument("--seeds", default="0", help="comma-separated (default: 0)")
    grid.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="METHOD.KEY=VALUE",
        help="a method hyperparameter, e.g. magnitude.scope=layer or probabilistic.alignment_weight=0 (repeatable)",
    )
    grid.add_argument(
        "--jobs", type=int, default=1, help="parallel local processes, each running one run single-threaded"
    )
    grid.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run on the workers of this running Dask scheduler, e.g. tcp://HOST:8786 (needs the cluster extra)",
    )
    grid.add_argument(
        "--cluster",
        default=None,
        metavar="SPEC",
        help=f"start a Dask cluster for the grid: {CLUSTER_HELP} (see the README)",
    )
    grid.add_argument(
        "--device",
        choices=DEVICE_CHOICES,
        default="cpu",
        help="where runs train: cpu (default), cuda, or auto (cuda where torch finds it); a CUDA run's numbers differ "
        "from the CPU's, so it has its own hash and folder",
    )
    grid.add_argument("--results", default=str(DEFAULT_RESULTS))


def _clean_options(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``gcnprune clean`` and its options: the cache to audit, and whether to delete what it finds."""
    clean = sub.add_parser(
        "clean", parents=[common], help="list stale and damaged cached runs, and temporary folders of interrupted runs"
    )
    clean.set_defaults(handler=_clean)
    clean.add_argument("--results", default=str(DEFAULT_RESULTS))
    clean.add_argument("--delete", action="store_true", help="remove them (temporary folders of running grids stay)")


def _recompute_options(command: argparse.ArgumentParser) -> None:
    """Add the options of a sub-command that may recompute cached runs (export, bench): the cache, the
    dataset's folder for runs without saved weights, and whether to show their training."""
    command.add_argument("--results", default=str(DEFAULT_RESULTS))
    command.add_argument("--data", default=None, help="the dataset's folder, to recompute runs without saved weights")
    command.add_argument("--progress", action="store_true", help="show training progress while runs are recomputed")


def _export_options(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``gcnprune export`` and its options: the run, the file to write, and how to recompute the run."""
    export = sub.add_parser(
        "export", parents=[common], help="write a run's compact model (dead structure removed, sparse)"
    )
    export.set_defaults(handler=_export)
    export.add_argument("run", help="the run's hash (its folder's name in the results)")
    export.add_argument(
        "--out", default=None, help="the file to write (default: RUN.compact.safetensors or RUN.onnx here)"
    )
    export.add_argument("--format", default="safetensors", choices=["safetensors", "onnx"],
                        help="a compact safetensors file (torch loads it) or ONNX (onnxruntime runs it)")  # fmt: skip
    _recompute_options(export)


def _bench_options(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``gcnprune bench`` and its options: the runs, the timing (repeats, warm-up), where the figures and
    compact models go, and how to recompute the runs."""
    bench = sub.add_parser(
        "bench",
        parents=[common],
        help="parameters, multiply-adds, bytes and CPU latency of runs' networks beside the dense one",
    )
    bench.set_defaults(handler=_bench)
    bench.add_argument("runs", nargs="+", metavar="RUN", help="run hashes (dense and pruned runs)")
    bench.add_argument("--json", default="bench.json", help="where to write the figures (default: bench.json)")
    bench.add_argument("--repeats", type=int, default=200, help="timed calls per network and batch (default: 200)")
    bench.add_argument("--warmup", type=int, default=20, help="untimed calls first (default: 20)")
    bench.add_argument(
        "--models", default=None, metavar="DIR", help="also write each run's compact model to DIR/<run>.safetensors"
    )
    bench.add_argument("--onnx", action="store_true", help="also time each compact model's ONNX file under onnxruntime")
    _recompute_options(bench)


def _parser() -> argparse.ArgumentParser:
    """The ``gcnprune`` parser: one sub-command per task, each with ``--debug`` and a handler to call."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", help="show the traceback of an error, not just its message")
    parser = argparse.ArgumentParser(prog="gcnprune", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    _grid_options(sub, common)
    _clean_options(sub, common)
    _export_options(sub, common)
    _bench_options(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.handler(args)
    except UserError as error:
        if args.debug:
            raise
        print("error: " + " ".join(str(error).splitlines()), file=sys.stderr)
        return 1
    except RunsFailed as error:  # runs that failed on workers: each with its configuration and traceback
        if args.debug:
            raise
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
