"""Skeleton datasets: SBU Kinect Interaction, FPHA hand actions, and embedded synthetic actions."""

from __future__ import annotations

import functools
import os
from typing import Any

from ..errors import UserError
from .dataset import SkeletonDataset, Split
from .fpha import DEVELOPMENT_FINGERPRINT as FPHA_DEVELOPMENT
from .fpha import load_fpha
from .locate import DatasetNotFoundError
from .sbu import RELEASE_FINGERPRINT as SBU_RELEASE
from .sbu import load_sbu
from .synthetic import SyntheticConfig, make_synthetic

DATASETS = ("synthetic", "sbu", "fpha")

__all__ = [
    "DATASETS", "DatasetNotFoundError", "SkeletonDataset", "Split", "SyntheticConfig",
    "data_fingerprint", "load_dataset", "load_fpha", "load_sbu", "make_synthetic",
]  # fmt: skip


@functools.lru_cache(maxsize=8)
def _load(name: str, root: str | None, options: tuple[tuple[str, Any], ...]) -> SkeletonDataset:
    if name == "synthetic":
        return make_synthetic(SyntheticConfig(**dict(options)))
    if options:
        raise UserError(f"the {name} dataset takes no options, got {dict(options)}")
    return load_sbu(root) if name == "sbu" else load_fpha(root)


def load_dataset(name: str, root: str | os.PathLike[str] | None = None, **options: Any) -> SkeletonDataset:
    """Load a dataset by name (cached per process); ``options`` configure the synthetic generator."""
    if name not in DATASETS:
        raise UserError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    return _load(name, None if root is None else str(root), tuple(sorted(options.items())))


# The fingerprints of the copies behind the committed runs, for looking those runs up without the data.
KNOWN_FINGERPRINTS = {"sbu": SBU_RELEASE, "fpha": FPHA_DEVELOPMENT}


def data_fingerprint(name: str, root: str | os.PathLike[str] | None = None, **options: Any) -> str:
    """The fingerprint of the dataset as loaded from ``root`` (:attr:`SkeletonDataset.fingerprint`).

    Where no folder is given and a real dataset is not in its default places, the fingerprint of the
    copy behind the committed runs (SBU's official release, FPHA's development split), so that those
    runs can be read without the raw data; training still loads the data and refuses a copy whose
    fingerprint differs. A folder given explicitly must hold the dataset.
    """
    try:
        return load_dataset(name, root, **options).fingerprint
    except DatasetNotFoundError:
        if root is not None or name not in KNOWN_FINGERPRINTS:
            raise
        return KNOWN_FINGERPRINTS[name]
