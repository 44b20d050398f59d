"""The in-memory skeleton dataset shared by every loader, and the facts of its skeleton and protocol."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields
from functools import cached_property
from typing import Any

import numpy as np

from ..errors import DataError, UserError


@dataclass(frozen=True)
class Split:
    """One train/test partition of a protocol, given by the subsets each side draws from."""

    name: str
    train: tuple[str, ...]
    test: tuple[str, ...]


def cross_validation(subsets: tuple[str, ...]) -> tuple[Split, ...]:
    """One split per subset, testing on it and training on all the others (k-fold cross-validation)."""
    return tuple(Split(name, tuple(n for n in subsets if n != name), (name,)) for name in subsets)


@dataclass(frozen=True, kw_only=True)
class DatasetInfo:
    """The facts of a dataset that hold for every copy of it and need none of its files: class names, the
    skeleton (joints, bones, centre and root joints, mirror permutation) and the evaluation protocol's
    splits. The book reads them to render committed runs without the data; the loaders build every
    :class:`SkeletonDataset` from them, so each fact is written once (see :func:`gcnprune.data.dataset_info`).

    ``centre_joints`` are the joints whose mean position becomes the origin when normalising.
    ``mirror`` is the joint permutation that, with x negated, turns a sample into another valid
    sample of the same class (SBU: swap the two people and each body's left and right), or empty
    where mirroring would change the class (a left-hand wave becomes a right-hand one).
    ``swap`` is the joint permutation that exchanges the people of a two-person sample without reflecting it
    (SBU: A's joints for B's), label-preserving for interactions; empty for one-person datasets.
    ``palm`` names a hand's wrist and index, middle and little finger knuckles, for the hand's own frame
    (:func:`gcnprune.graphs.hand_frame`; FPHA), empty where there is no hand.
    ``roots[j]`` is joint j's reference joint for joint-relative coordinates (its body's root: each
    person's torso in SBU, the wrist in FPHA); empty means the first centre joint for every joint.
    ``papers_split`` is the split (0-based) of the papers' protocol: train on the others, test on it (``--protocol
    papers``).
    """

    name: str
    class_names: tuple[str, ...]
    joint_names: tuple[str, ...]
    bones: tuple[tuple[int, int], ...]
    centre_joints: tuple[int, ...]
    protocol: str
    splits: tuple[Split, ...]
    mirror: tuple[int, ...] = ()
    swap: tuple[int, ...] = ()
    palm: tuple[int, ...] = ()
    roots: tuple[int, ...] = ()
    papers_split: int = 0  # the split the papers' author reports: SBU's fold 5 (his 65 test sequences)

    def __post_init__(self) -> None:
        joints = len(self.joint_names)
        for a, b in self.bones:
            if not (0 <= a < joints and 0 <= b < joints):
                raise ValueError(f"{self.name}: bone ({a}, {b}) names a joint outside 0..{joints - 1}")
        if not 0 <= self.papers_split < len(self.splits):
            raise ValueError(
                f"{self.name}: papers_split {self.papers_split} is not one of its {len(self.splits)} splits"
            )
        if self.roots and (len(self.roots) != joints or not all(0 <= r < joints for r in self.roots)):
            raise ValueError(
                f"{self.name}: roots must name one joint in 0..{joints - 1} for each of the {joints} joints"
            )
        for name in ("mirror", "swap"):
            if getattr(self, name) and sorted(getattr(self, name)) != list(range(joints)):
                raise ValueError(f"{self.name}: {name} must be a permutation of 0..{joints - 1}")

    @property
    def num_joints(self) -> int:
        return len(self.joint_names)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def info(self) -> DatasetInfo:
        """These facts alone (for a :class:`SkeletonDataset`, without its sequences)."""
        return DatasetInfo(**{f.name: getattr(self, f.name) for f in fields(DatasetInfo)})

    def joint_roots(self) -> tuple[int, ...]:
        """Each joint's reference joint for joint-relative coordinates."""
        return self.roots or (self.centre_joints[0],) * self.num_joints

    def adjacency(self) -> np.ndarray:
        """Symmetric 0/1 joint adjacency of the skeleton's bones (no self loops)."""
        a = np.zeros((self.num_joints, self.num_joints), dtype=np.float32)
        for i, j in self.bones:
            a[i, j] = a[j, i] = 1.0
        return a


@dataclass(frozen=True, kw_only=True)
class SkeletonDataset(DatasetInfo):
    """Skeleton sequences with labels, on the skeleton and protocol of their :class:`DatasetInfo`.

    ``sequences[i]`` is a float32 array of shape (frames, joints, 3); ``subsets[i]`` names the part
    of the protocol it belongs to (an SBU set fold, FPHA's ``train``/``test``); ``splits`` lists the
    protocol's train/test partitions (five folds for SBU, one official split for FPHA).
    ``groups[i]`` names the unit that a validation split must not cut through (SBU: the unordered
    pair of actors, who also appear with roles swapped in another set; synthetic: the subject), or is
    empty where each sequence is its own unit.
    """

    sequences: tuple[np.ndarray, ...]
    labels: np.ndarray
    subsets: tuple[str, ...]
    sources: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()

    @classmethod
    def from_info(cls, info: DatasetInfo, **data: Any) -> SkeletonDataset:
        """The dataset of ``info``'s skeleton and protocol holding ``data`` (sequences, labels, subsets,
        sources, groups)."""
        return cls(**{f.name: getattr(info, f.name) for f in fields(DatasetInfo)}, **data)

    def __post_init__(self) -> None:
        super().__post_init__()
        n = len(self.sequences)
        if self.groups and len(self.groups) != n:
            raise ValueError(f"{self.name}: {n} sequences but {len(self.groups)} groups")
        if len(self.labels) != n or len(self.subsets) != n:
            raise ValueError(
                f"{self.name}: {n} sequences but {len(self.labels)} labels and {len(self.subsets)} subsets"
            )
        joints = len(self.joint_names)
        for i, seq in enumerate(self.sequences):
            if seq.ndim != 3 or seq.shape[1:] != (joints, 3) or seq.shape[0] < 1:
                raise ValueError(f"{self.name}: sequence {i} has shape {seq.shape}, expected (frames, {joints}, 3)")
        if n and (self.labels.min() < 0 or self.labels.max() >= len(self.class_names)):
            raise ValueError(f"{self.name}: labels must lie in 0..{len(self.class_names) - 1}")
        known = set(self.subsets)
        for split in self.splits:
            missing = (set(split.train) | set(split.test)) - known
            if missing:
                raise ValueError(f"{self.name}: split {split.name} names unknown subsets {sorted(missing)}")
        for i, seq in enumerate(self.sequences):
            if not np.isfinite(seq).all():
                raise DataError(f"{self.source(i)}: holds coordinates that are not finite numbers (overflow or NaN)")
        self._check_no_leak()

    def source(self, i: int) -> str:
        """Where sequence ``i`` came from: its file, or its index where the dataset was generated."""
        return f"{self.name} {self.sources[i]}" if self.sources else f"{self.name} sequence {i}"

    def _check_no_leak(self) -> None:
        """Refuse a sequence that stands, to the bit, on both sides of a split (a test sequence copied into
        the training sets). Copies on one side are the dataset's own (FPHA's training half holds three)."""
        first: dict[bytes, int] = {}
        twins = []
        for i, seq in enumerate(self.sequences):
            key = hashlib.sha1(np.ascontiguousarray(seq).tobytes()).digest()
            if key in first:
                twins.append((first[key], i))
            first.setdefault(key, i)
        for split in self.splits:
            for a, b in twins:
                sides = {self.subsets[a] in split.test, self.subsets[b] in split.test}
                if len(sides) == 2 and {self.subsets[a], self.subsets[b]} <= set(split.train) | set(split.test):
                    where = f"{self.source(a)} and {self.source(b)}"
                    raise DataError(f"{where} are the same sequence on both sides of split {split.name}: a test "
                                    "sequence leaks into training; remove the copy")  # fmt: skip

    def __len__(self) -> int:
        return len(self.sequences)

    def split_indices(self, fold: int) -> tuple[np.ndarray, np.ndarray]:
        """Indices of the training and test sequences of split number ``fold`` (0-based)."""
        if not 0 <= fold < len(self.splits):
            raise UserError(
                f"{self.name} has {len(self.splits)} split(s) under its {self.protocol} protocol; "
                f"fold must be in 0..{len(self.splits) - 1}, got {fold}"
            )
        split = self.splits[fold]
        subsets = np.asarray(self.subsets)
        return (np.flatnonzero(np.isin(subsets, split.train)), np.flatnonzero(np.isin(subsets, split.test)))

    def frame_counts(self) -> np.ndarray:
        return np.array([len(s) for s in self.sequences])

    @cached_property
    def fingerprint(self) -> str:
        """SHA-256 (16 hex digits) of everything a run learns from: every sequence's coordinates, the
        labels, subsets, groups and the protocol's splits. It enters every run's hash, so a cache filled
        from another copy of the data (a label swapped, a set missing) is never read as this one's. (The
        skeleton's bones, centre and root joints are the loader's code: changing them bumps
        :data:`gcnprune.train.TRAINING_VERSION`.)"""
        digest = hashlib.sha256()
        for part in (self.name, self.class_names, self.joint_names, self.subsets, self.groups, self.splits):
            digest.update(repr(part).encode())
        digest.update(np.ascontiguousarray(self.labels, dtype=np.int64).tobytes())
        for sequence in self.sequences:
            digest.update(repr(sequence.shape).encode())
            digest.update(np.ascontiguousarray(sequence, dtype=np.float32).tobytes())
        return digest.hexdigest()[:16]
