"""What a run is: its full configuration, whose hash names the run's folder in the cache (:mod:`.cache`)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass, field, replace
from typing import Any

import torch

from gcnprune.data import data_fingerprint, dataset_info
from gcnprune.errors import UserError
from gcnprune.graphs import FeatureConfig
from gcnprune.methods import METHODS, get_method
from gcnprune.model import ModelConfig
from gcnprune.settings import OMITTED_AT
from gcnprune.train import TRAINING_VERSION, TrainConfig

from .profiles import get_profile

DERIVED = ("implementation", "parent")  # config.json entries computed from code, not chosen


def hashed(settings: Any) -> Any:
    """``dataclasses.asdict`` of ``settings``, nested dataclasses included, without each setting added after runs
    were committed (:func:`gcnprune.methods.base.added_setting`) while it holds the value those runs had."""
    if not dataclasses.is_dataclass(settings):
        return settings
    return {
        f.name: hashed(getattr(settings, f.name))
        for f in dataclasses.fields(settings)
        if not (OMITTED_AT in f.metadata and getattr(settings, f.name) == f.metadata[OMITTED_AT])
    }


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
        if self.model.architecture != "attention_graph" and self.method != "dense":
            raise UserError(
                f"the {self.model.architecture} network is a dense candidate only (the pruning methods and the compact "
                f"export read the attention_graph network's layers); train it with method dense, not {self.method}"
            )

    def resolved(self) -> dict[str, Any]:
        """The configuration with every default filled in, method hyperparameters included, and what
        it derives from code: the implementation versions of the method and of training, and the hash
        of the parent run it starts from (so a changed parent changes its children's hashes too)."""
        method = get_method(self.method, self.method_config)
        out = hashed(self)
        out["method_config"] = hashed(method.config)
        out["implementation"] = {"method": method.version, "training": TRAINING_VERSION}
        parent = self.parent()
        out["parent"] = None if parent is None else parent.run_hash()
        return out

    @classmethod
    def from_resolved(cls, data: dict[str, Any]) -> RunConfig:
        """Rebuild a configuration from its ``config.json`` (fields added since are given their defaults, and a
        method setting that a ``config.json`` leaves out because it was added after the run, the value the
        run had: :func:`~gcnprune.methods.base.added_setting`; the derived ``implementation`` and ``parent``
        entries are recomputed, not read)."""
        parts = {"features": FeatureConfig, "model": ModelConfig, "train": TrainConfig}
        fields = {k: v for k, v in data.items() if k not in DERIVED}
        if "method" in fields and fields["method"] in METHODS:
            settings = METHODS[fields["method"]].Config
            omitted = {f.name: f.metadata[OMITTED_AT] for f in dataclasses.fields(settings) if OMITTED_AT in f.metadata}
            fields["method_config"] = {**omitted, **fields.get("method_config", {})}
        return cls(**{k: parts[k](**v) if k in parts else v for k, v in fields.items()})

    def run_hash(self) -> str:
        text = json.dumps(self.resolved(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def with_method(self, method: str, rate: float = 0.0, method_config: dict[str, Any] | None = None) -> RunConfig:
        """The run of ``method`` at ``rate`` (hyperparameters ``method_config``, defaults if None) on the same
        data, fold and seed under the same budgets: e.g. the dense run a pruned run is compared with."""
        return replace(self, method=method, rate=rate, method_config=dict(method_config or {}))

    def parent(self) -> RunConfig | None:
        """The run whose trained weights this one starts from, as its method declares it
        (:attr:`~gcnprune.methods.PruningMethod.parent_method`): that method's run at rate 0, with this
        run's hyperparameters where the method says its parent shares them, else the parent's defaults;
        None for a run trained from scratch."""
        method = METHODS[self.method]
        if method.parent_method is None:
            return None
        return self.with_method(method.parent_method, 0.0, self.method_config if method.parent_shares_config else None)


DEVICE_CHOICES = ("cpu", "cuda", "auto")


def resolve_device(device: str) -> str:
    """``auto`` → ``cuda`` where torch finds a CUDA device, else ``cpu``; ``cpu`` and ``cuda`` as they are (a CUDA
    run can be read from the cache anywhere; training it needs CUDA). Anything else is a UserError."""
    if device not in DEVICE_CHOICES:
        raise UserError(f"unknown device {device!r}; choose one of {', '.join(DEVICE_CHOICES)}")
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def make_config(
    dataset: str,
    profile: str,
    fold: int,
    method: str,
    rate: float,
    seed: int = 0,
    method_config: dict[str, Any] | None = None,
    evaluate: str = "test",
    data_root: str | os.PathLike[str] | None = None,
    device: str = "cpu",
) -> RunConfig:
    """A run configuration whose budgets come from the named profile, for the data at ``data_root``, trained on
    ``device`` (``cpu``, ``cuda``, or ``auto``: :func:`resolve_device`); the profile's ``mirror`` holds only where
    the dataset declares a mirror (elsewhere it would change nothing)."""
    p = get_profile(profile)
    options = p.dataset_options(dataset)
    mirror = p.train.mirror and bool(dataset_info(dataset, **options).mirror)
    train = replace(p.train, device=resolve_device(device), mirror=mirror)
    return RunConfig(
        dataset=dataset, fold=fold, method=method, rate=rate, seed=seed, method_config=dict(method_config or {}),
        dataset_options=options, features=p.features, model=p.model, train=train, evaluate=evaluate,
        data=data_fingerprint(dataset, data_root, **options),
    )  # fmt: skip
