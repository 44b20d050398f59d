"""One run: trained from scratch or from its parent's weights (training the parent first if it is not
cached), or read from the cache; many runs at once are :func:`gcnprune.experiments.grid.run_configs`'s."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from gcnprune import __version__
from gcnprune.data import SkeletonDataset, load_dataset
from gcnprune.errors import CacheError, UserError
from gcnprune.graphs import FeatureConfig, normalised_adjacency, trajectories
from gcnprune.methods import PruningMethod, get_method
from gcnprune.metrics import sparsity
from gcnprune.model import GCN
from gcnprune.networks import build_network
from gcnprune.train import Trainer, seed_everything, validation_split

from .cache import CONFIG, WEIGHTS, load_run, read_weights, run_folder, store_run, store_weights
from .config import RunConfig
from .repo import DEFAULT_RESULTS, git


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


def epoch_bar(epochs: range, desc: str) -> tqdm:
    """A training stage's epochs behind a progress bar that disappears when the stage ends."""
    return tqdm(epochs, desc=desc, leave=False)


def build(config: RunConfig, data_root: str | None, progress: bool) -> tuple[GCN, Trainer]:
    """The run's network, freshly initialised under its seed, and a trainer holding its fold's data (the
    test fold, or the validation split); refuses data whose fingerprint is not the configuration's."""
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
    device = config.train.device
    chunked = _trajectories(dataset, config.features).to(device)
    labels = torch.from_numpy(dataset.labels).to(device)
    generator = seed_everything(config.seed, device)
    model = build_network(dataset.num_joints, config.features.signal_size(), dataset.num_classes,
                          normalised_adjacency(dataset.adjacency()), config.model).to(device)  # fmt: skip
    trainer = Trainer(chunked[train_idx], labels[train_idx], chunked[test_idx], labels[test_idx],
                      config.features, config.train, generator, epoch_bar if progress else None,
                      torch.tensor(dataset.mirror, device=device) if dataset.mirror else None,
                      dataset.joint_roots(),
                      torch.tensor(dataset.swap, device=device) if dataset.swap else None)  # fmt: skip
    return model, trainer


def prepare(
    config: RunConfig,
    results: str | os.PathLike[str] = DEFAULT_RESULTS,
    data_root: str | None = None,
    progress: bool = False,
) -> tuple[GCN, Trainer, PruningMethod]:
    """The run's model (its parent's weights restored, training the parent if needed), trainer and method.

    The parent's weights come first and the run seeds only then (in :func:`build`): a parent trained again
    here reseeds and draws from torch's global generator, so a run seeded before it would train on another
    stream than the same run whose parent's weights were read from disk."""
    parent = config.parent()
    state = None if parent is None else parent_weights(parent, Path(results), data_root, progress)
    model, trainer = build(config, data_root, progress)
    method = get_method(config.method, config.method_config)
    if state is not None:
        try:
            method.restore(model, state)
        except RuntimeError:  # load_state_dict's missing, unexpected or misshapen keys
            problem = f"{WEIGHTS} does not fit the network its {CONFIG} describes"
            raise CacheError(run_folder(parent, results), problem) from None
    return model, trainer, method


def training_settings() -> None:
    """How every run trains: on one thread, so that parallel and serial grids give identical numbers, and
    with subnormal floats flushed to zero. Soft masks push pruned weights' products below 1e-38, where the
    CPU's matrix products run up to a hundred times slower; adding such a value to a normal float changes
    none of its bits, and final weights and metrics were checked bit for bit the same with and without."""
    torch.set_num_threads(1)
    torch.set_flush_denormal(True)


@contextlib.contextmanager
def training_device(device: str) -> Iterator[None]:
    """Train on ``device`` (a run's ``train.device``): torch's factory functions (masks, thresholds, schedules)
    allocate there, and on ``cuda`` the kernels are deterministic and TF32 is off, so that a CUDA run repeats
    itself on its machine; a CUDA run where torch finds no CUDA device is a UserError. On the CPU, torch's
    default, nothing is set: ``torch.device`` as a context intercepts every torch call in Python, which cost a
    run a few per cent of its time and changes none of its numbers."""
    if device == "cpu":
        yield
        return
    if device == "cuda":
        if not torch.cuda.is_available():
            raise UserError("this run trains on cuda (--device cuda), but torch finds no CUDA device here; "
                            "use --device cpu (or auto, which picks cuda only where there is one)")  # fmt: skip
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # what deterministic cuBLAS needs
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.use_deterministic_algorithms(True)
    with torch.device(device):
        yield


def device_name(device: str) -> str:
    """The processor a run trained on, as its metrics record it: ``cpu``, or the CUDA device's name."""
    return torch.cuda.get_device_name() if device == "cuda" else "cpu"


def preload_training() -> None:
    """Import, once in this process, what the first optimiser step of every run would import: Adam's
    step asks whether it is being compiled, which imports ``torch._dynamo`` (about 0.9 s). Processes
    forked from this one (a grid's pool) then inherit it instead of each paying it again."""
    import torch._dynamo  # noqa: F401


def train_run(
    config: RunConfig, results: Path, data_root: str | None, progress: bool
) -> tuple[GCN, Trainer, dict[str, Any]]:
    """Train one run from scratch (or from its parent's weights); return the model, the trainer holding
    its fold's data, and its metrics. Single-threaded, so that it recomputes a cached run bit for bit
    on the machine that ran it (:func:`gcnprune.deploy.export.trained_model` relies on that)."""
    training_settings()
    with training_device(config.train.device):
        model, trainer, method = prepare(config, results, data_root, progress)
        return model, trainer, _fit(config, model, trainer, method)


def _fit(config: RunConfig, model: GCN, trainer: Trainer, method: PruningMethod) -> dict[str, Any]:
    """Train and prune ``model`` by ``method``; its metrics. ``train_seconds`` is the method's ``fit`` less
    the ``curve_seconds`` it reports for evaluating (MRMP's accuracy curve)."""
    parent = config.parent()
    lineage = {"parent_run": parent.run_hash()} if parent is not None else {}
    start = time.perf_counter()
    extra = method.fit(model, trainer, config.rate)
    seconds = time.perf_counter() - start - extra.get("curve_seconds", 0.0)  # MRMP's curve is not training
    accuracy, class_mean = trainer.held_out_scores(model)
    return {"accuracy": accuracy, "class_mean_accuracy": class_mean, "train_seconds": seconds,
            **sparsity(model), **extra, "target_rate": config.rate, "version": __version__, "git_commit": git_commit(),
            "torch": torch.__version__, "device": device_name(config.train.device), "evaluated_on": config.evaluate,
            **lineage}  # fmt: skip


def compute_run(
    config: RunConfig, parent_state: dict[str, torch.Tensor] | None, data_root: str | None, progress: bool = False
) -> tuple[dict[str, Any], dict[str, torch.Tensor] | None]:
    """Train one run from its parent's weights (``parent_state``; None for a run trained from scratch)
    without touching any run cache: its metrics, and its trained weights where its method keeps them
    (else None). What a worker of a cluster runs (:mod:`gcnprune.experiments.executors.dask`); single-threaded and
    in the order :func:`train_run` follows where the parent is cached, as :func:`run_configs` sees to (seed,
    build, restore, fit), so its numbers are the same bit for bit."""
    if (parent_state is None) != (config.parent() is None):
        raise ValueError(f"run {config.run_hash()} ({config.method}) "
                         + ("starts from its parent's weights: pass them" if parent_state is None
                            else "is trained from scratch: it takes no parent weights"))  # fmt: skip
    training_settings()
    with training_device(config.train.device):
        model, trainer = build(config, data_root, progress)
        method = get_method(config.method, config.method_config)
        if parent_state is not None:
            method.restore(model, parent_state)
        metrics = _fit(config, model, trainer, method)
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()} if method.keeps_weights else None
    return metrics, state


def _train(config: RunConfig, results: Path, data_root: str | None, progress: bool) -> tuple[GCN, dict[str, Any]]:
    """Train one run from scratch (or from its dense parent); return the model and its metrics."""
    model, _, metrics = train_run(config, results, data_root, progress)
    return model, metrics


def run(
    config: RunConfig,
    results: str | os.PathLike[str] = DEFAULT_RESULTS,
    data_root: str | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Return the run's metrics, computing and storing them only if no finished run is cached."""
    cached = load_run(config, results)
    if cached is not None:
        return cached
    results = Path(results)
    model, metrics = _train(config, results, data_root, progress)
    keeps = get_method(config.method, config.method_config).keeps_weights
    return store_run(config, metrics, model.state_dict() if keeps else None, results)


def parent_weights(config: RunConfig, results: Path, data_root: str | None, progress: bool) -> dict[str, torch.Tensor]:
    """A parent run's trained weights, training it if needed (e.g. results committed without weights);
    a damaged parent folder raises :class:`~gcnprune.errors.CacheError` naming it. Weights trained again
    for a cached run must reproduce its recorded accuracy: a machine that computes differently (another
    processor's kernels) would otherwise train children from a network that is not the cached run's,
    so that is a UserError, and nothing is saved."""
    path = run_folder(config, results) / WEIGHTS
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
        store_weights(config, model.state_dict(), results)
    return read_weights(path)
