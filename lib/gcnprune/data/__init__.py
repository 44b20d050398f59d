"""Skeleton datasets: SBU Kinect Interaction, FPHA hand actions, and embedded synthetic actions."""

from __future__ import annotations

import functools
import os
from typing import Any

from .dataset import SkeletonDataset, Split
from .fpha import load_fpha
from .locate import DatasetNotFoundError
from .sbu import load_sbu
from .synthetic import SyntheticConfig, make_synthetic

DATASETS = ("synthetic", "sbu", "fpha")

__all__ = [
    "DATASETS", "DatasetNotFoundError", "SkeletonDataset", "Split", "SyntheticConfig",
    "load_dataset", "load_fpha", "load_sbu", "make_synthetic",
]  # fmt: skip


@functools.lru_cache(maxsize=8)
def _load(name: str, root: str | None, options: tuple[tuple[str, Any], ...]) -> SkeletonDataset:
    if name == "synthetic":
        return make_synthetic(SyntheticConfig(**dict(options)))
    if options:
        raise ValueError(f"the {name} dataset takes no options, got {dict(options)}")
    return load_sbu(root) if name == "sbu" else load_fpha(root)


def load_dataset(name: str, root: str | os.PathLike[str] | None = None, **options: Any) -> SkeletonDataset:
    """Load a dataset by name (cached per process); ``options`` configure the synthetic generator."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    return _load(name, None if root is None else str(root), tuple(sorted(options.items())))
