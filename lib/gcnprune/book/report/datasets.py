"""The datasets page's sentences: which datasets this machine holds, and what stands in for a dataset whose
files are not here."""

from __future__ import annotations

import html
import os
from collections.abc import Iterable, Mapping, Sized
from typing import Any

import numpy as np
import pandas as pd

from gcnprune.data import DATASETS, dataset_info, load_dataset
from gcnprune.data.dataset import DatasetInfo, SkeletonDataset
from gcnprune.data.locate import DatasetNotFoundError
from gcnprune.experiments.profiles import get_profile

NOT_HERE = "Its files were not on the machine that built this page; data/README.md says where to get it."


def found_lines(found: Mapping[str, Sized], missing: Mapping[str, str]) -> str:
    """One Markdown list item per dataset: loaded (with its number of sequences), or why it was not found."""
    lines = [f"- **{name}**: loaded ({len(data)} sequences)" for name, data in found.items()]
    lines += [f"- **{name}**: not found. {html.escape(reason)}" for name, reason in missing.items()]
    return "\n".join(lines)


def counts_unavailable(dataset: str, info: DatasetInfo) -> str:
    """What the class-count table's place says when the build's dataset files are not on this machine."""
    return (
        f"Counting sequences needs the {dataset.upper()} files, which are not on this machine (this build reads its "
        f"committed runs); its classes are {', '.join(info.class_names)}."
    )


def not_drawn(dataset: str) -> str:
    """What the drawings' place says when the build's dataset files are not on this machine."""
    return (f"The {dataset.upper()} sequences are not on this machine, so they are not drawn; the "
            f"datasets found are drawn below, each under its name.")  # fmt: skip


def people(dataset: DatasetInfo) -> list[list[int]]:
    """The skeleton's connected components (joint indices, in order): one per person or hand."""
    parent = list(range(dataset.num_joints))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in dataset.bones:
        parent[root(a)] = root(b)
    groups: dict[int, list[int]] = {}
    for joint in range(dataset.num_joints):
        groups.setdefault(root(joint), []).append(joint)
    return sorted(groups.values())


NO_DATA = "(no data)"  # a count that needs the dataset's files, for a dataset known only by its facts


def _counts(dataset: DatasetInfo) -> dict[str, Any]:
    """The sizes that need the sequences: their number, frames per sequence, each split's train/test sizes."""
    if not isinstance(dataset, SkeletonDataset):
        return dict.fromkeys(("sequences", "frames min", "frames mean", "frames max", "train/test sizes"), NO_DATA)
    frames = dataset.frame_counts()
    sizes = [tuple(len(part) for part in dataset.split_indices(k)) for k in range(len(dataset.splits))]
    return {
        "sequences": len(dataset),
        "frames min": int(frames.min()) if len(frames) else 0,
        "frames mean": round(float(frames.mean()), 1) if len(frames) else 0.0,
        "frames max": int(frames.max()) if len(frames) else 0,
        "train/test sizes": ", ".join(f"{tr}/{te}" for tr, te in sizes),
    }


def describe(dataset: DatasetInfo) -> dict[str, Any]:
    """One dataset's size and protocol: classes, sequences, frames per sequence, joints, splits. Given the
    facts alone (a :class:`DatasetInfo` that is not a loaded :class:`SkeletonDataset`), the sizes that
    need the files read :data:`NO_DATA`."""
    counts = _counts(dataset)
    return {
        "dataset": dataset.name,
        "classes": dataset.num_classes,
        "sequences": counts["sequences"],
        "frames min": counts["frames min"],
        "frames mean": counts["frames mean"],
        "frames max": counts["frames max"],
        "joints": dataset.num_joints,
        "skeletons": len(people(dataset)),
        "bones": len(dataset.bones),
        "protocol": dataset.protocol,
        "splits": len(dataset.splits),
        "train/test sizes": counts["train/test sizes"],
    }


def describe_table(datasets: Iterable[DatasetInfo], by: str = "row") -> pd.DataFrame:
    """:func:`describe` of each dataset: one row per dataset (indexed by name), or one column with ``by="column"``."""
    table = pd.DataFrame([describe(d) for d in datasets]).set_index("dataset")
    return table.T.astype(str) if by == "column" else table


def class_counts(dataset: SkeletonDataset) -> pd.DataFrame:
    """Sequences per class and per protocol subset (rows: classes; columns: subsets, then the total)."""
    frame = pd.DataFrame({"class": np.asarray(dataset.class_names)[dataset.labels], "subset": dataset.subsets})
    table = pd.crosstab(frame["class"], frame["subset"])
    table = table.reindex(index=list(dataset.class_names), fill_value=0)
    table["total"] = table.sum(axis=1)
    return table


def find_datasets(
    names: Iterable[str],
    roots: Mapping[str, str | os.PathLike[str] | None] | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
) -> tuple[dict[str, SkeletonDataset], dict[str, str]]:
    """Load each named dataset that can be found; return the loaded ones and, for the others, why not.

    ``roots`` gives explicit folders per name (default: the usual search, see ``data/README.md``);
    ``options`` are passed to the loader (the synthetic generator's settings).
    """  # fmt: skip

    loaded: dict[str, SkeletonDataset] = {}
    missing: dict[str, str] = {}
    for name in names:
        try:
            loaded[name] = load_dataset(name, (roots or {}).get(name), **dict((options or {}).get(name, {})))
        except DatasetNotFoundError:  # its message names the build machine's folders, which tell a reader nothing
            missing[name] = NOT_HERE
    return loaded, missing


# the names the datasets notebook uses
__all__ = ["DATASETS", "class_counts", "counts_unavailable", "dataset_info", "describe_table",
           "find_datasets", "found_lines", "get_profile", "not_drawn"]  # fmt: skip
