"""The runs a chapter of the book shows, and the facts of its dataset, with or without the dataset's files.

A book on a real dataset whose folder is not on the machine renders from the run cache alone: each run
is looked up under its configuration's hash, whose data fingerprint is that of the copy behind the
committed runs (:func:`gcnprune.data.data_fingerprint`), and a run missing from the cache is an error
naming it and the command that trains it. Where the data is at hand (the synthetic set always), missing
runs are trained. Every chapter gets its runs from :func:`chapter_runs` (the FPHA development page from
:func:`collect_runs`), so that the notebooks only plot.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

import pandas as pd

from gcnprune.data import DatasetInfo, data_folder, dataset_info
from gcnprune.errors import UserError
from gcnprune.experiments.config import RunConfig
from gcnprune.experiments.executors import book_executor
from gcnprune.experiments.grid import Grid, cached_runs, run_configs
from gcnprune.experiments.profiles import default_profile, get_profile
from gcnprune.experiments.repo import DEFAULT_RESULTS
from gcnprune.experiments.variants import label

from .grids import chapter_grids

MissingRuns = Literal["train", "require", "omit"]
BOOK_DATASET = "sbu"  # the dataset a book shows when none is named: the papers' own, from its committed runs
SHOWN_GROUPS = 4  # the (method, rate) pairs that a missing-runs error spells out before "and N more"


class MissingRunsError(UserError):
    """Runs that a build reading only the cache needs are not in it; the message names them and the
    command that trains them."""


def missing_runs_policy(dataset: str, data_root: str | os.PathLike[str] | None = None) -> MissingRuns:
    """What a build does with runs missing from the cache: ``train`` them where the dataset's data is at
    hand (the synthetic set always, a real one whose folder is given or found), else ``require`` them:
    the build reads the cache only, and a missing run is an error. A folder given explicitly must exist
    (:class:`~gcnprune.data.DatasetNotFoundError` otherwise)."""
    return "train" if dataset == "synthetic" or data_folder(dataset, data_root) is not None else "require"


def _terminal_path(path: str | os.PathLike[str]) -> str:
    """A path as a command typed in the current folder can use: relative where it lies below it."""
    absolute = Path(path).resolve()
    return str(absolute.relative_to(Path.cwd())) if absolute.is_relative_to(Path.cwd()) else str(absolute)


def train_command(dataset: str, profile: str, results: str | os.PathLike[str] | None = None) -> str:
    """The command that trains a book's missing runs: ``make book`` with the data's folder (only the
    variables that differ from its defaults), and for SBU the batch job behind the committed runs."""
    other_cache = results is not None and Path(results).resolve() != DEFAULT_RESULTS.resolve()
    variables = [f"DATASET={dataset}"] if dataset != BOOK_DATASET else []
    variables += [f"PROFILE={profile}"] if profile != default_profile(dataset) else []
    variables += [f"DATA=<{dataset.upper()} folder>"] + ([f"RESULTS={_terminal_path(results)}"] if other_cache else [])
    command = f"`make book {' '.join(variables)}` (it trains only the missing runs)"
    if dataset == "sbu":
        cache = f" --results {_terminal_path(results)}" if other_cache else ""
        command += (f" or `python scripts/paper_grids.py --dataset sbu --profile {profile} --data <SBU folder>{cache}` "
                    f"(every chapter's grid)")  # fmt: skip
    return command


def _numbers(values: Iterable[int], one: str, many: str) -> str:
    """``fold 2`` or ``folds 1-3, 5``: sorted values, consecutive runs joined by a dash."""
    ordered = sorted(set(values))
    spans: list[list[int]] = []
    for value in ordered:
        if spans and value == spans[-1][-1] + 1:
            spans[-1].append(value)
        else:
            spans.append([value])
    text = ", ".join(str(s[0]) if len(s) == 1 else f"{s[0]}-{s[-1]}" for s in spans)
    return f"{one if len(ordered) == 1 else many} {text}"


def missing_runs_message(
    absent: Sequence[RunConfig], total: int, what: str, profile: str, results: str | os.PathLike[str]
) -> str:
    """One line naming the runs of ``what`` missing from the cache (how many; which method, rate, folds
    from 1 and seeds; a few run folders) and the command that trains them."""
    groups: dict[tuple[str, float], list[RunConfig]] = {}
    for config in absent:
        groups.setdefault((label(config), config.rate), []).append(config)
    named = [
        f"{method} at rate {rate:g} ({_numbers((c.fold + 1 for c in configs), 'fold', 'folds')}, "
        f"{_numbers((c.seed for c in configs), 'seed', 'seeds')})"
        for (method, rate), configs in groups.items()
    ]
    more = f"; and {len(named) - SHOWN_GROUPS} more method and rate pair(s)" if len(named) > SHOWN_GROUPS else ""
    dataset = absent[0].dataset
    folders = ", ".join(c.run_hash() for c in absent[:3])
    return (f"{len(absent)} of the {total} runs of {what} ({dataset}, {profile} profile) are not in the run cache "
            f"{_terminal_path(results)}: {'; '.join(named[:SHOWN_GROUPS])}{more} (run folders such as {folders}). "
            f"Without the {dataset} data this build reads the cache only; train them with "
            f"{train_command(dataset, profile, results)}; data/README.md says where to get the data")  # fmt: skip


def collect_runs(
    configs: Iterable[RunConfig],
    missing: MissingRuns,
    what: str,
    profile: str,
    results: str | os.PathLike[str] | None = None,
    data_root: str | os.PathLike[str] | None = None,
    jobs: int = 1,
) -> tuple[pd.DataFrame, list[RunConfig]]:
    """The runs of ``configs``, one row each (configuration and metrics), and the configurations left
    out. ``missing`` says what to do with runs that are not cached: ``train`` them (parents first, see
    :func:`~gcnprune.experiments.grid.run_configs`, in ``jobs`` local processes or on the Dask scheduler that
    ``$GCNPRUNE_SCHEDULER`` names, :func:`~gcnprune.experiments.executors.book_executor`); ``require`` them, reading
    the cache only and raising :class:`MissingRunsError` that names them (``what`` says whose runs they
    are); or ``omit`` them, reading the cache only and returning them beside the table."""
    if missing not in get_args(MissingRuns):
        raise UserError(f"missing runs must be one of {', '.join(get_args(MissingRuns))}, got {missing!r}")
    configs, results = list(configs), results or DEFAULT_RESULTS
    if missing == "train":
        root = None if data_root is None else str(data_root)
        with book_executor(jobs) as executor:  # the book runner's Dask scheduler, if it names one
            return run_configs(configs, results, root, progress=False, executor=executor), []
    table, absent = cached_runs(configs, results)
    if absent and missing == "require":
        raise MissingRunsError(missing_runs_message(absent, len(configs), what, profile, results))
    return table, absent


@dataclass(frozen=True)
class ChapterRuns:
    """What :func:`chapter_runs` gives a chapter: the facts of the build's dataset (no files needed),
    the folds (0-based) and seeds, each chapter's grids, their runs' configurations (each once, in the
    grids' order), the runs found or trained (one row each), those left out, what was done with runs
    missing from the cache, for each method (with its variant, as :func:`~gcnprune.experiments.variants.label`
    names it) the chapters whose grids run it, and the run cache read."""

    info: DatasetInfo
    folds: list[int]
    seeds: list[int]
    grids: dict[str, list[Grid]]
    configs: list[RunConfig]
    runs: pd.DataFrame
    missing: list[RunConfig]
    policy: MissingRuns
    chapters_of: dict[str, list[str]]
    results: Path


@dataclass(frozen=True)
class ChapterConfigs:
    """The runs that chapters ask for: the dataset's facts, the folds and seeds, each chapter's grids,
    their configurations (each once, in the grids' order) and, for each method label, its chapters."""

    info: DatasetInfo
    folds: list[int]
    seeds: list[int]
    grids: dict[str, list[Grid]]
    configs: list[RunConfig]
    chapters_of: dict[str, list[str]]


def chapter_configs(
    chapters: str | Sequence[str],
    dataset: str,
    data_root: str | os.PathLike[str] | None,
    profile: str,
    folds: Sequence[int] | None = None,
    rates: Sequence[float] | None = None,
    seeds: Sequence[int] = (0,),
    device: str = "cpu",
) -> ChapterConfigs:
    """The configurations of the grids of ``chapters`` (:func:`gcnprune.book.chapters.grids.chapter_grids`) on
    ``dataset``
    under ``profile``, as :func:`chapter_runs` gets them (the arguments follow a chapter's parameters cell);
    trains and reads nothing."""
    chapters = [chapters] if isinstance(chapters, str) else list(chapters)
    info = dataset_info(dataset, **get_profile(profile).dataset_options(dataset))
    folds = get_profile(profile).default_folds(len(info.splits)) if folds is None else list(folds)
    grids = {
        chapter: chapter_grids(
            chapter, dataset, profile, folds, list(seeds), None if rates is None else list(rates), device
        )
        for chapter in chapters
    }
    configs: dict[str, RunConfig] = {}
    chapters_of: dict[str, list[str]] = {}
    for chapter, its_grids in grids.items():
        for config in (c for grid in its_grids for c in grid.configs(data_root)):
            configs.setdefault(config.run_hash(), config)
            where = chapters_of.setdefault(label(config), [])
            if chapter not in where:
                where.append(chapter)
    return ChapterConfigs(info, folds, list(seeds), grids, list(configs.values()), chapters_of)


def chapter_runs(
    chapters: str | Sequence[str],
    dataset: str,
    data_root: str | os.PathLike[str] | None,
    profile: str,
    results: str | os.PathLike[str] | None = None,
    jobs: int = 1,
    folds: Sequence[int] | None = None,
    rates: Sequence[float] | None = None,
    seeds: Sequence[int] = (0,),
    missing: MissingRuns | None = None,
    device: str = "cpu",
) -> ChapterRuns:
    """The runs of the grids of ``chapters`` (:func:`chapter_configs`) on ``dataset`` under ``profile``; the
    arguments follow a chapter's parameters cell (``folds`` None: the profile's default folds; ``rates``
    None: each grid's standard rates). ``missing`` (see :func:`collect_runs`) defaults to
    :func:`missing_runs_policy`: train where the data is at hand, else require every run in the cache; missing runs
    train on ``device`` (``cpu``, ``cuda`` or ``auto``: a CUDA run is a run of its own, with its own hash)."""
    chapters = [chapters] if isinstance(chapters, str) else list(chapters)
    asked = chapter_configs(chapters, dataset, data_root, profile, folds, rates, seeds, device)
    policy = missing_runs_policy(dataset, data_root) if missing is None else missing
    what = f"the {chapters[0]} chapter" if len(chapters) == 1 else f"the chapters {', '.join(chapters)}"
    results = Path(results or DEFAULT_RESULTS)
    runs, absent = collect_runs(asked.configs, policy, what, profile, results, data_root, jobs)
    return ChapterRuns(asked.info, asked.folds, asked.seeds, asked.grids, asked.configs, runs, absent, policy,
                       asked.chapters_of, results)  # fmt: skip
