"""The runner's command line: ``python -m gcnprune.book`` (see ``--help``)."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator, Sequence

from gcnprune.errors import UserError
from gcnprune.experiments.config import DEVICE_CHOICES
from gcnprune.experiments.profiles import DEFAULT_PROFILES, PROFILES
from gcnprune.experiments.repo import DEFAULT_RESULTS, REPO_ROOT

from .errors import BookError
from .make import BOOK_DATASET, make_book
from .toc import BOOK_DIR, NOTEBOOKS_DIR


def _parser() -> argparse.ArgumentParser:
    """The runner's options: the dataset, its data and profile, where runs train, which notebooks run with which
    parameters, and the folders of the cache, the notebooks and the book."""
    parser = argparse.ArgumentParser(
        prog="python -m gcnprune.book",
        description="Execute the book's notebooks with papermill and build the Jupyter Book strictly.",
    )
    parser.add_argument("--dataset", default=BOOK_DATASET, help=f"synthetic, sbu or fpha (default: {BOOK_DATASET})")
    parser.add_argument(
        "--data",
        default=None,
        help="the dataset's folder (default: $GCNPRUNE_DATA/<name>, else "
        "data/<name>; without one, the runs are read from the cache only and nothing trains)",
    )
    parser.add_argument(
        "--profile",
        default=None,
        choices=sorted(PROFILES),
        help="training budget (default: " + ", ".join(f"{p} for {d}" for d, p in DEFAULT_PROFILES.items()) + ")",
    )
    parser.add_argument("--jobs", type=int, default=2, help="parallel training runs (default: 2)")
    parser.add_argument(
        "--device",
        choices=DEVICE_CHOICES,
        default="cpu",
        help="where missing runs train: cpu (default), cuda, or auto (cuda where torch finds it); CUDA runs have "
        "hashes of their own, so a CUDA build trains its own runs",
    )
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS", help="train on this Dask scheduler's workers")
    parser.add_argument(
        "--cluster",
        default=None,
        metavar="SPEC",
        help="train on a Dask cluster started for the build: "
        "local:N or slurm[:KEY=VALUE,...], as gcnprune grid --cluster",
    )
    parser.add_argument(
        "--only",
        action="append",
        metavar="NOTEBOOK",
        help="execute only this notebook (repeatable); the others keep their last execution",
    )
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set a notebook parameter (VALUE in JSON; repeatable); NOTEBOOK:NAME=VALUE targets one notebook",
    )
    parser.add_argument("--results", default=str(DEFAULT_RESULTS), help="the run cache (default: results/)")
    parser.add_argument("--no-build", action="store_true", help="execute the notebooks but do not build the HTML")
    parser.add_argument("--notebooks", default=str(NOTEBOOKS_DIR), help="the notebook sources (default: notebooks/)")
    parser.add_argument(
        "--book", default=str(BOOK_DIR), help="the book's folder, with _config.yml and _toc.yml (default: book/)"
    )
    return parser


SHARED_DATA = REPO_ROOT.parent / "shared" / "data"  # where `make book` also looks for the datasets


@contextlib.contextmanager
def shared_data() -> Iterator[None]:
    """``$GCNPRUNE_DATA`` set to the project's shared data folder (``../shared/data``) while the runner runs, where
    it exists and the variable is unset: the runner then finds the data where ``make book`` does, so that a
    chapter rerun with ``--only`` reads or trains the same runs and its banner agrees with the other pages."""
    if "GCNPRUNE_DATA" in os.environ or not SHARED_DATA.is_dir():
        yield
        return
    os.environ["GCNPRUNE_DATA"] = str(SHARED_DATA)
    try:
        yield
    finally:
        os.environ.pop("GCNPRUNE_DATA", None)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``python -m gcnprune.book``: build the book as the options say; a user error prints one ``error:``
    message and returns 1."""
    from gcnprune.experiments.executors.clusters import scheduler_environment

    args = _parser().parse_args(argv)
    try:
        with (
            shared_data(),
            scheduler_environment(args.scheduler, args.cluster),
        ):  # $GCNPRUNE_SCHEDULER for the notebooks
            make_book(args.dataset, args.data, args.profile, args.jobs, args.only, args.param, args.results,
                      not args.no_build, args.notebooks, args.book, device=args.device)  # fmt: skip
    except (BookError, UserError) as error:  # a failing notebook's message holds its traceback on purpose
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0
