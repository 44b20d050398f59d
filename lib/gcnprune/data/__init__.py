"""Skeleton datasets: SBU Kinect Interaction, FPHA hand actions, and embedded synthetic actions."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

from ..errors import UserError
from .dataset import DatasetInfo, SkeletonDataset, Split
from .fpha import DEVELOPMENT_FINGERPRINT as FPHA_DEVELOPMENT
from .fpha import INFO as FPHA_INFO
from .fpha import LAYOUT as FPHA_LAYOUT
from .fpha import load_fpha
from .locate import DatasetNotFoundError
from .locate import locate as locate_dataset  # renamed: the package's attribute ``locate`` stays the module
from .sbu import INFO as SBU_INFO
from .sbu import LAYOUT as SBU_LAYOUT
from .sbu import RELEASE_FINGERPRINT as SBU_RELEASE
from .sbu import load_sbu
from .synthetic import SyntheticConfig, make_synthetic, synthetic_info

DATASETS = ("synthetic", "sbu", "fpha")

__all__ = [
    "DATASETS", "DatasetInfo", "DatasetNotFoundError", "SkeletonDataset", "Split", "SyntheticConfig",
    "data_fingerprint", "data_folder", "dataset_info", "load_dataset", "load_fpha", "load_sbu", "make_synthetic",
]  # fmt: skip


@functools.lru_cache(maxsize=8)
def _load(name: str, root: str | None, options: tuple[tuple[str, Any], ...]) -> SkeletonDataset:
    if name == "synthetic":
        return make_synthetic(SyntheticConfig(**dict(options)))
    return load_sbu(root) if name == "sbu" else load_fpha(root)


def _check(name: str, options: dict[str, Any]) -> None:
    """Refuse an unknown dataset, or options for a real one (only the synthetic generator takes them)."""
    if name not in DATASETS:
        raise UserError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    if name != "synthetic" and options:
        raise UserError(f"the {name} dataset takes no options, got {options}")


def dataset_info(name: str, **options: Any) -> DatasetInfo:
    """The facts of a dataset that need none of its files (classes, skeleton, protocol splits), the same
    as :func:`load_dataset` gives; ``options`` configure the synthetic generator. For FPHA, the release's
    45 class names (a loaded copy names its classes after its own split file)."""
    _check(name, options)
    if name == "synthetic":
        return synthetic_info(SyntheticConfig(**options))
    return SBU_INFO if name == "sbu" else FPHA_INFO


def data_folder(name: str, root: str | os.PathLike[str] | None = None) -> Path | None:
    """The folder a real dataset would be loaded from (``root``, else ``$GCNPRUNE_DATA/<name>``, else
    ``data/<name>``), or None where none exists and no folder was given; the synthetic set, which needs
    none, gives None. A ``root`` given explicitly must exist (:class:`DatasetNotFoundError` otherwise)."""

    _check(name, {})
    if name == "synthetic":
        return None
    try:
        return locate_dataset(name, root, SBU_LAYOUT if name == "sbu" else FPHA_LAYOUT)
    except DatasetNotFoundError:
        if root is not None:
            raise
        return None


def load_dataset(name: str, root: str | os.PathLike[str] | None = None, **options: Any) -> SkeletonDataset:
    """Load a dataset by name (cached per process); ``options`` configure the synthetic generator."""
    _check(name, options)
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
