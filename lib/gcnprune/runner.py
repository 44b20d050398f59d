"""Running runs: one run trained from scratch or from its parent's weights (or read from the cache), and
many at once, parents first, in parallel processes."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from . import __version__
from .cache import TMP_PREFIX, check_results, load_run, read_entry, read_weights, write_json
from .data import SkeletonDataset, load_dataset
from .errors import UserError
from .graphs import FeatureConfig, normalised_adjacency, trajectories
from .methods import PruningMethod, get_method
from .metrics import sparsity
from .model import GCN
from .repo import DEFAULT_RESULTS, git
from .run_config import RunConfig
from .train import Trainer, seed_everything, validation_split
from .variants import Variant


def git_commit() -> str:
    """The commit of the code a run was trained with (``unknown`` outside a clone)."""
    return git("rev-parse", "HEAD") or "unknown"


_CHUNKED: dict[tuple[str, tuple[int, ...], FeatureConfig], torch.Tensor] = {}


def _trajectories(dataset: SkeletonDataset, features: FeatureConfig) -> torch.Tensor:
    """:func:`~gcnprune.graphs.trajectories` of ``dataset``, computed once per process for its data
    (fingerprint and centre joints) and features: the runs of a grid share them (never modified: a
    :class:`~gcnprune.train.Trainer` holds copies, indexed by fold) instead of recomputing them run by run."""
    key = (dataset.fingerprint, tuple(dataset.centre_joints), features)
    if key not in _CHUNKED:
        _CHUNKED[key] = trajectories(dataset, features)
    return _CHUNKED[key]


def _prepare(config: RunConfig, data_root: str | None, progress: bool) -> tuple[GCN, Trainer]:
    dataset = load_dataset(config.dataset, data_root, **config.dataset_options)
    if dataset.fingerprint != config.data:
        raise UserError(
            f"the {config.dataset} data found (at {data_root or 'the default location'}) has fingerprint "
            f"{dataset.fingerprint}, but this run is configured for data {config.data or '(none given)'}; "
            "build the configuration for this data (make_config(..., data_root=...)) or point to the copy it names"
        )
    train_idx, test_idx = dataset.split_indices(config.fold)
    if config.evaluate == "validation":
        groups = np.asarray(dataset.groups) if dataset.groups else None
        train_idx, test_idx = validation_split(dataset.labels, train_idx, config.train.validation_fraction,
                                               config.seed, groups)  # fmt: skip
    chunked = _trajectories(dataset, config.features)
    labels = torch.from_numpy(dataset.labels)
    generator = seed_everything(config.seed)
    model = GCN(dataset.num_joints, config.features.signal_size(), dataset.num_classes,
                normalised_adjacency(dataset.adjacency()), config.model)  # fmt: skip
    trainer = Trainer(chunked[train_idx], labels[train_idx], chunked[test_idx], labels[test_idx],
                      config.features, config.train, generator, progress,
                      torch.tensor(dataset.mirror) if dataset.mirror else None, dataset.joint_roots())  # fmt: skip
    return model, trainer


def prepare(config: RunConfig, results: str | os.PathLike[str] = DEFAULT_RESULTS, data_root: str | None = None,
            progress: bool = False) -> tuple[GCN, Trainer, PruningMethod]:
    """The run's model (its parent's weights restored, training the parent if needed), trainer and method."""
    model, trainer = _prepare(config, data_root, progress)
    method = get_method(config.method, config.method_config)
    parent = config.parent()
    if parent is not None:
        method.restore(model, parent_weights(parent, Path(results), data_root, progress))
    return model, trainer, method


def train_run(config: RunConfig, results: Path, data_root: str | None, progress: bool
              ) -> tuple[GCN, Trainer, dict[str, Any]]:
    """Train one run from scratch (or from its parent's weights); return the model, the trainer holding
    its fold's data, and its metrics. Single-threaded, so that it recomputes a cached run bit for bit
    on the machine that ran it (:func:`gcnprune.export.trained_model` relies on that). ``train_seconds``
    is the method's ``fit`` less the ``curve_seconds`` it reports for evaluating (MRMP's accuracy curve)."""
    torch.set_num_threads(1)  # single-threaded, so parallel and serial grids give identical numbers
    # Soft masks push pruned weights' products below 1e-38 (subnormal floats), where the CPU's matrix products
    # run up to a hundred times slower; flushed to zero they cost nothing. Adding such a value to any normal
    # float changes none of its bits, and final weights and metrics were checked bit for bit the same.
    torch.set_flush_denormal(True)
    model, trainer, method = prepare(config, results, data_root, progress)
    parent = config.parent()
    lineage = {"parent_run": parent.run_hash()} if parent is not None else {}
    start = time.perf_counter()
    extra = method.fit(model, trainer, config.rate)
    seconds = time.perf_counter() - start - extra.get("curve_seconds", 0.0)  # MRMP's curve is not training
    metrics = {"accuracy": trainer.evaluate(model), "train_seconds": seconds, **sparsity(model), **extra,
               "target_rate": config.rate, "version": __version__, "git_commit": git_commit(),
               "torch": torch.__version__, "evaluated_on": config.evaluate, **lineage}  # fmt: skip
    return model, trainer, metrics


def _train(config: RunConfig, results: Path, data_root: str | None, progress: bool) -> tuple[GCN, dict[str, Any]]:
    """Train one run from scratch (or from its dense parent); return the model and its metrics."""
    model, _, metrics = train_run(config, results, data_root, progress)
    return model, metrics


def run(config: RunConfig, results: str | os.PathLike[str] = DEFAULT_RESULTS, data_root: str | None = None,
        progress: bool = False) -> dict[str, Any]:
    """Return the run's metrics, computing and storing them only if no finished run is cached."""
    cached = load_run(config, results)
    if cached is not None:
        return cached
    results = Path(results)
    folder = results / config.run_hash()
    model, metrics = _train(config, results, data_root, progress)
    results.mkdir(parents=True, exist_ok=True)
    tmp = results / f"{TMP_PREFIX}{folder.name}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    write_json(tmp / "config.json", config.resolved())
    write_json(tmp / "metrics.json", metrics)
    if get_method(config.method, config.method_config).keeps_weights:
        torch.save(model.state_dict(), tmp / "model.pt")
    try:
        tmp.rename(folder)
    except OSError:  # another process finished the same run meanwhile: keep theirs
        shutil.rmtree(tmp)
    return read_entry(folder, "metrics.json")


def parent_weights(config: RunConfig, results: Path, data_root: str | None, progress: bool) -> dict[str, torch.Tensor]:
    """A parent run's trained weights, training it if needed (e.g. results committed without weights);
    a damaged parent folder raises :class:`~gcnprune.errors.CacheError` naming it. Weights trained again
    for a cached run must reproduce its recorded accuracy: a machine that computes differently (another
    processor's kernels) would otherwise train children from a network that is not the cached run's,
    so that is a UserError, and nothing is saved."""
    path = results / config.run_hash() / "model.pt"
    cached = load_run(config, results)
    if cached is None:
        run(config, results, data_root, progress)
    if not path.is_file():
        model, metrics = _train(config, results, data_root, progress)
        if cached is not None and metrics["accuracy"] != cached["accuracy"]:
            raise UserError(
                f"run {config.run_hash()} ({config.method}, fold {config.fold + 1}, seed {config.seed}) trained again "
                f"here reaches accuracy {metrics['accuracy']:.6f}, not the {cached['accuracy']:.6f} its metrics.json "
                "records: this machine does not reproduce it, so the runs that start from it cannot be trained "
                "here consistently with the cache; train the whole lineage here with --results on an empty folder"
            )
        tmp = path.with_suffix(f".tmp-{os.getpid()}")
        torch.save(model.state_dict(), tmp)
        os.replace(tmp, path)
    return read_weights(path)


def _run_quietly(args: tuple[RunConfig, str, str | None]) -> dict[str, Any]:
    return run(args[0], args[1], args[2], progress=False)


def run_configs(configs: Iterable[RunConfig], results: str | os.PathLike[str] = DEFAULT_RESULTS,
                data_root: str | None = None, jobs: int = 1, progress: bool = True) -> pd.DataFrame:
    """Run (or read from the cache) every configuration; one row per run with its configuration and metrics.

    Parent runs go first (grandparents before parents), so runs that start from them find their
    weights; ``jobs`` processes run in parallel, each single-threaded. Before anything trains, a bad
    ``jobs``, a results path that is not a writable folder, or a damaged cache entry raises
    :class:`~gcnprune.errors.UserError`.
    """
    if jobs < 1:
        raise UserError(f"jobs must be at least 1 (the number of parallel training runs), got {jobs}")
    configs = list(configs)
    stages: list[list[RunConfig]] = [configs]
    while True:
        parents = {p.run_hash(): p for p in (c.parent() for c in stages[0]) if p is not None}
        if not parents:
            break
        stages.insert(0, list(parents.values()))
    results = str(results)
    check_results(results, writing=any(load_run(c, results) is None for stage in stages for c in stage))
    for stage in stages:
        todo = [c for c in stage if load_run(c, results) is None]
        with tqdm(total=len(todo), desc="runs", disable=not progress or not todo) as bar:
            if jobs > 1 and len(todo) > 1:
                with ProcessPoolExecutor(max_workers=jobs) as pool:
                    for _ in pool.map(_run_quietly, [(c, results, data_root) for c in todo]):
                        bar.update()
            else:
                for c in todo:
                    run(c, results, data_root, progress=False)
                    bar.update()
    table, missing = cached_runs(configs, results)
    assert not missing
    return table


def cached_runs(configs: Iterable[RunConfig], results: str | os.PathLike[str] = DEFAULT_RESULTS
                ) -> tuple[pd.DataFrame, list[RunConfig]]:
    """The runs of ``configs`` already cached, one row each (configuration and metrics), and the
    configurations not run yet; trains nothing (for pages that gather other chapters' runs). ``method``
    is the variant's label (:attr:`~gcnprune.variants.Variant.label`), ``variant`` the variant itself."""
    rows: dict[str, dict[str, Any]] = {}
    missing = []
    for c in configs:
        metrics = load_run(c, results)
        if metrics is None:
            missing.append(c)
        else:
            variant = Variant.of(c.method, c.method_config)
            rows[c.run_hash()] = {"run": c.run_hash(), "dataset": c.dataset, "method": variant.label, "rate": c.rate,
                                  "fold": c.fold, "seed": c.seed, "variant": variant, **metrics}  # fmt: skip
    columns = None if rows else ["run", "dataset", "method", "rate", "fold", "seed", "variant"]
    return pd.DataFrame(list(rows.values()), columns=columns), missing
