"""Runs and their cache: a run is a full configuration, stored once under the hash of that configuration.

``results/<hash>/`` holds ``config.json`` and ``metrics.json`` (and, for dense runs that others start
from, ``model.pt``, which is not committed). Folders are written under a temporary name and renamed
into place, so a folder with that name is always a finished run and an interrupted one leaves only a
temporary folder that the next attempt replaces.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import pickle
import re
import shutil
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from . import __version__
from .data import SkeletonDataset, data_fingerprint, load_dataset
from .errors import CacheError, UserError
from .graphs import FeatureConfig, normalised_adjacency, trajectories
from .methods import METHODS, PruningMethod, get_method, grid_methods
from .metrics import sparsity
from .model import GCN, ModelConfig
from .pids import owned_by_live_process
from .profiles import get_profile
from .repo import DEFAULT_RESULTS, git
from .train import TRAINING_VERSION, TrainConfig, Trainer, seed_everything, validation_split

DERIVED = ("implementation", "parent")  # config.json entries computed from code, not chosen
RUN_FOLDER = re.compile(r"[0-9a-f]{16}")  # a run folder's name: its configuration's hash
TMP_PREFIX = ".tmp-"  # results/.tmp-<hash>-<pid>: a run being written by process <pid>


@dataclass(frozen=True)
class RunConfig:
    """Everything that determines a run's numbers; its hash names the run's folder.

    ``fold`` is 0-based into the dataset's protocol; ``evaluate`` is ``test`` (the fold's test set) or
    ``validation`` (a split carved from the training folds, for choosing hyperparameters). ``data`` is
    the fingerprint of the dataset the run trains on (:func:`~gcnprune.data.data_fingerprint`): a run
    refuses to train on data with another fingerprint, and runs on different copies never share a hash.
    """

    dataset: str
    fold: int
    method: str
    rate: float
    seed: int = 0
    method_config: dict[str, Any] = field(default_factory=dict)
    dataset_options: dict[str, Any] = field(default_factory=dict)
    features: FeatureConfig = FeatureConfig()
    model: ModelConfig = ModelConfig()
    train: TrainConfig = TrainConfig()
    evaluate: str = "test"
    data: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "rate", float(self.rate))  # so 0 and 0.0, or numpy ints, hash alike
        object.__setattr__(self, "fold", int(self.fold))
        object.__setattr__(self, "seed", int(self.seed))
        if self.evaluate not in ("test", "validation"):
            raise UserError(f"evaluate must be 'test' or 'validation', got {self.evaluate!r}")
        if not 0.0 <= self.rate < 1.0:
            raise UserError(f"pruning rate must be in [0, 1), got {self.rate}")
        get_method(self.method, self.method_config)  # fails early on an unknown method or bad hyperparameters

    def resolved(self) -> dict[str, Any]:
        """The configuration with every default filled in, method hyperparameters included, and what
        it derives from code: the implementation versions of the method and of training, and the hash
        of the parent run it starts from (so a changed parent changes its children's hashes too)."""
        method = get_method(self.method, self.method_config)
        out = dataclasses.asdict(self)
        out["method_config"] = dataclasses.asdict(method.config)
        out["implementation"] = {"method": method.version, "training": TRAINING_VERSION}
        parent = method.parent(self)
        out["parent"] = None if parent is None else parent.run_hash()
        return out

    @classmethod
    def from_resolved(cls, data: dict[str, Any]) -> RunConfig:
        """Rebuild a configuration from its ``config.json`` (fields added since are given their defaults;
        the derived ``implementation`` and ``parent`` entries are recomputed, not read)."""
        parts = {"features": FeatureConfig, "model": ModelConfig, "train": TrainConfig}
        fields = {k: v for k, v in data.items() if k not in DERIVED}
        return cls(**{k: parts[k](**v) if k in parts else v for k, v in fields.items()})

    def run_hash(self) -> str:
        text = json.dumps(self.resolved(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def parent(self) -> RunConfig | None:
        """The run whose weights this one starts from (e.g. the dense run of the same fold and seed)."""
        return get_method(self.method, self.method_config).parent(self)


def make_config(dataset: str, profile: str, fold: int, method: str, rate: float, seed: int = 0,
                method_config: dict[str, Any] | None = None, evaluate: str = "test",
                data_root: str | os.PathLike[str] | None = None) -> RunConfig:
    """A run configuration whose budgets come from the named profile, for the data at ``data_root``."""
    p = get_profile(profile)
    options = p.dataset_options(dataset)
    return RunConfig(
        dataset=dataset, fold=fold, method=method, rate=rate, seed=seed, method_config=dict(method_config or {}),
        dataset_options=options, features=p.features, model=p.model, train=p.train, evaluate=evaluate,
        data=data_fingerprint(dataset, data_root, **options),
    )  # fmt: skip


def git_commit() -> str:
    """The commit of the code a run was trained with (``unknown`` outside a clone)."""
    return git("rev-parse", "HEAD") or "unknown"


def _write_json(path: Path, payload: dict[str, Any]) -> None:
    path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")


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
    parent = method.parent(config)
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
    model, trainer, method = prepare(config, results, data_root, progress)
    parent = method.parent(config)
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


def _read_entry(folder: Path, name: str) -> dict[str, Any]:
    """A run folder's JSON file as a dict; a missing, unreadable or malformed one is :class:`~gcnprune.errors.CacheError`."""
    path = folder / name
    if not path.is_file():
        raise CacheError(folder, f"{name} is missing")
    try:
        payload = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CacheError(folder, f"{name} is not valid JSON ({error})") from None
    if not isinstance(payload, dict):
        raise CacheError(folder, f"{name} holds a {type(payload).__name__}, not a JSON object")
    return payload


def _read_weights(path: Path) -> dict[str, torch.Tensor]:
    """A run's saved ``model.pt``; an unreadable file, or one that is not a state dict, is :class:`~gcnprune.errors.CacheError`."""
    try:
        state = torch.load(path, weights_only=True)
    except (OSError, EOFError, RuntimeError, ValueError, pickle.UnpicklingError) as error:
        detail = str(error).strip()  # torch's messages run to paragraphs: keep a short one only
        what = type(error).__name__ + (f": {detail}" if detail and "\n" not in detail and len(detail) < 160 else "")
        raise CacheError(path.parent, f"{path.name} cannot be read by torch.load ({what})") from None
    if not (isinstance(state, dict) and all(isinstance(v, torch.Tensor) for v in state.values())):
        raise CacheError(path.parent, f"{path.name} holds a {type(state).__name__}, not a model's state dict")
    return state


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
    _write_json(tmp / "config.json", config.resolved())
    _write_json(tmp / "metrics.json", metrics)
    if get_method(config.method, config.method_config).keeps_weights:
        torch.save(model.state_dict(), tmp / "model.pt")
    try:
        tmp.rename(folder)
    except OSError:  # another process finished the same run meanwhile: keep theirs
        shutil.rmtree(tmp)
    return _read_entry(folder, "metrics.json")


def parent_weights(config: RunConfig, results: Path, data_root: str | None, progress: bool) -> dict[str, torch.Tensor]:
    """A parent run's trained weights, training it if needed (e.g. results committed without weights);
    a damaged parent folder raises :class:`~gcnprune.errors.CacheError` naming it."""
    path = results / config.run_hash() / "model.pt"
    if load_run(config, results) is None:
        run(config, results, data_root, progress)
    if not path.is_file():
        model, _ = _train(config, results, data_root, progress)
        tmp = path.with_suffix(f".tmp-{os.getpid()}")
        torch.save(model.state_dict(), tmp)
        os.replace(tmp, path)
    return _read_weights(path)


def saved_weights(config: RunConfig, results: str | os.PathLike[str] = DEFAULT_RESULTS) -> dict[str, torch.Tensor] | None:
    """The weights a cached run saved (``model.pt``), or None where there are none: the run is not cached,
    its method keeps none, or the cache came from git, which holds no weights. Trains nothing; a damaged
    file raises :class:`~gcnprune.errors.CacheError` naming its folder."""
    path = Path(results) / config.run_hash() / "model.pt"
    return _read_weights(path) if path.is_file() else None


@dataclass(frozen=True)
class CacheFinding:
    """An entry of the run cache that ``gcnprune clean`` reports (and removes with ``--delete``):
    ``stale`` (no current configuration maps to it), ``damaged`` (unreadable files), or ``interrupted``
    (a temporary folder whose process is gone); ``reason`` says why."""

    folder: Path
    kind: Literal["stale", "damaged", "interrupted"]
    reason: str


def _as_json(payload: dict[str, Any]) -> Any:
    """``payload`` as ``config.json`` stores it (tuples become lists), for comparing with a stored one."""
    return json.loads(json.dumps(payload))


def _audit_run(folder: Path) -> CacheFinding | None:
    """What is wrong with one run folder, or None for a current, intact run."""
    try:
        stored = _read_entry(folder, "config.json")
        _read_entry(folder, "metrics.json")
        if (folder / "model.pt").exists():
            _read_weights(folder / "model.pt")
    except CacheError as error:
        return CacheFinding(folder, "damaged", error.problem)
    try:
        config = RunConfig.from_resolved(stored)
        current = config.run_hash() == folder.name and _as_json(config.resolved()) == stored
    except (TypeError, ValueError):
        current = False
    return None if current else CacheFinding(folder, "stale", "no current configuration maps to it")


def audit_cache(results: str | os.PathLike[str] = DEFAULT_RESULTS) -> list[CacheFinding]:
    """Every cache entry to remove: stale and damaged run folders, and temporary folders of processes
    that are gone. A temporary folder whose process still runs (a grid writing it) is left alone, and so
    are entries that are not the cache's (names neither a run hash nor ``.tmp-…``)."""
    findings = []
    for entry in sorted(Path(results).iterdir()) if Path(results).is_dir() else []:
        if entry.name.startswith(TMP_PREFIX):
            if not owned_by_live_process(entry.name):
                findings.append(CacheFinding(entry, "interrupted", "left by an interrupted run"))
        elif RUN_FOLDER.fullmatch(entry.name):
            finding = _audit_run(entry) if entry.is_dir() else CacheFinding(entry, "damaged", "not a folder")
            if finding is not None:
                findings.append(finding)
    return findings


def stale_runs(results: str | os.PathLike[str] = DEFAULT_RESULTS) -> list[Path]:
    """The folders of :func:`audit_cache`: run folders that no current configuration maps to (a default,
    a field or an implementation version changed since they ran, or their parent's did), damaged run
    folders, and leftover temporary folders of interrupted runs."""
    return [finding.folder for finding in audit_cache(results)]


def load_run(config: RunConfig, results: str | os.PathLike[str] = DEFAULT_RESULTS) -> dict[str, Any] | None:
    """The cached metrics of ``config``, or None if it has not been run; a damaged folder raises
    :class:`~gcnprune.errors.CacheError` naming it (a finished run's folder always holds its metrics)."""
    folder = Path(results) / config.run_hash()
    return _read_entry(folder, "metrics.json") if folder.exists() else None


def check_results(results: str | os.PathLike[str], writing: bool = True) -> None:
    """Refuse, before any training, a results path that is not a folder or (when runs are to be
    written) one that cannot be created or written to."""
    path = Path(results)
    if path.exists() and not path.is_dir():
        raise UserError(f"the results path {path} is not a folder; give a folder for the run cache (--results DIR)")
    if not writing:
        return
    existing = next(p for p in (path, *path.parents) if p.exists())
    if not existing.is_dir():
        raise UserError(f"cannot create the results folder {path}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UserError(f"the results folder {path} is not writable ({existing} refuses writing); "
                        "give a folder you can write to (--results DIR)")  # fmt: skip


@dataclass(frozen=True)
class Grid:
    """Methods × rates × folds × seeds on one dataset under one profile.

    The dense method runs once per fold and seed (at rate 0); every other method runs at each nonzero
    rate. ``method_configs`` maps a method name to its hyperparameters. A grid that would leave something
    out silently (a rate outside [0, 1), a method without runs, hyperparameters for a method it does not
    run) raises :class:`~gcnprune.errors.UserError` when built, before anything trains.
    """

    dataset: str
    profile: str
    methods: Sequence[str]
    rates: Sequence[float]
    folds: Sequence[int]
    seeds: Sequence[int] = (0,)
    method_configs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._check_methods()
        bad = [r for r in self.rates if not (math.isfinite(r) and 0.0 <= r < 1.0)]
        if bad:
            raise UserError(f"pruning rates (fractions of the prunable weights removed) must lie in [0, 1), "
                            f"got {', '.join(map(str, bad))}")  # fmt: skip
        for name, values in (("folds", self.folds), ("seeds", self.seeds)):
            if not values:
                raise UserError(f"the grid has no {name}: give at least one")
        if min(self.folds) < 0:
            raise UserError(f"fold indices are 0-based and non-negative, got {min(self.folds)}")
        idle = [m for m in self.methods if not self.rates_of(m)]
        if idle:
            raise UserError(f"{', '.join(idle)} run(s) only at nonzero rates, and the rates given "
                            f"({', '.join(map(str, self.rates)) or 'none'}) include none: add a rate in (0, 1)")  # fmt: skip

    def _check_methods(self) -> None:
        """Every method is one a grid can run, and every hyperparameter set is for one of them and valid."""
        if not self.methods:
            raise UserError(f"the grid has no methods; choose from {', '.join(grid_methods())}")
        for method in self.methods:
            if method not in METHODS:
                raise UserError(f"unknown pruning method {method!r}; grid methods: {', '.join(grid_methods())}")
            if METHODS[method].internal:
                raise UserError(f"{method} is not a grid method: it trains only as the parent of the runs that "
                                f"start from it, so name those; grid methods: {', '.join(grid_methods())}")  # fmt: skip
        for method, config in self.method_configs.items():
            if method not in METHODS:
                raise UserError(f"hyperparameters are set for {method!r}, which is not a pruning method; "
                                f"grid methods: {', '.join(grid_methods())}")  # fmt: skip
            if method not in self.methods:
                raise UserError(f"hyperparameters are set for {method}, which the grid does not run "
                                f"(its methods: {', '.join(self.methods)}); add it to the methods or drop them")  # fmt: skip
            get_method(method, config)

    def rates_of(self, method: str) -> list[float]:
        """The rates ``method`` runs at: 0 for the dense method, every nonzero rate for the others."""
        return [0.0] if method == "dense" else [float(r) for r in self.rates if r > 0]

    def configs(self, data_root: str | os.PathLike[str] | None = None) -> list[RunConfig]:
        """Every run of the grid, for the data at ``data_root`` (its fingerprint enters each run)."""
        out = []
        for method in self.methods:
            for rate in self.rates_of(method):
                for fold in self.folds:
                    for seed in self.seeds:
                        out.append(make_config(self.dataset, self.profile, fold, method, float(rate), seed,
                                               self.method_configs.get(method), data_root=data_root))  # fmt: skip
        return out


def label(config: RunConfig) -> str:
    """The method's name, with the hyperparameters that differ from its defaults: "probabilistic (alignment_weight=0.0)"."""
    defaults = dataclasses.asdict(get_method(config.method).config)
    changed = {k: v for k, v in config.resolved()["method_config"].items() if defaults[k] != v}
    return config.method + (" (" + ", ".join(f"{k}={v}" for k, v in changed.items()) + ")" if changed else "")


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
    configurations not run yet; trains nothing (for pages that gather other chapters' runs)."""
    rows: dict[str, dict[str, Any]] = {}
    missing = []
    for c in configs:
        metrics = load_run(c, results)
        if metrics is None:
            missing.append(c)
        else:
            rows[c.run_hash()] = {"run": c.run_hash(), "dataset": c.dataset, "method": label(c), "rate": c.rate,
                                  "fold": c.fold, "seed": c.seed, **metrics}  # fmt: skip
    columns = None if rows else ["run", "dataset", "method", "rate", "fold", "seed"]
    return pd.DataFrame(list(rows.values()), columns=columns), missing


def run_grid(grid: Grid, results: str | os.PathLike[str] = DEFAULT_RESULTS, data_root: str | None = None,
             jobs: int = 1, progress: bool = True) -> pd.DataFrame:
    return run_configs(grid.configs(data_root), results, data_root, jobs, progress)


def summarise(runs: pd.DataFrame, value: str = "accuracy", scale: float = 100.0) -> pd.DataFrame:
    """Mean and std of ``value`` over folds and seeds for each method and target rate, with run counts."""
    grouped = runs.groupby(["method", "rate"])[value]
    table = pd.DataFrame({"mean": grouped.mean() * scale, "std": grouped.std(ddof=0) * scale, "runs": grouped.size()})
    for column in ("achieved_rate", "dangling_fraction", "prunable_nonzero", "prunable_dense", "train_seconds"):
        if column in runs:
            table[column] = runs.groupby(["method", "rate"])[column].mean()
    return table.reset_index()


def accuracy_table(runs: pd.DataFrame, value: str = "accuracy", scale: float = 100.0, digits: int = 1) -> pd.DataFrame:
    """Methods as rows, target rates as columns, cells "mean ± std" over folds and seeds."""
    s = summarise(runs, value, scale)
    s["cell"] = [f"{m:.{digits}f} ± {d:.{digits}f}" for m, d in zip(s["mean"], s["std"])]
    table = s.pivot(index="method", columns="rate", values="cell").fillna("")
    order = sorted(table.index, key=lambda m: (list(METHODS).index(m.split(" (")[0]), m))
    return table.loc[order]
