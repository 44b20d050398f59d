"""SBU Kinect Interaction (Yun et al., 2012): 8 two-person interactions, 282 sequences, 5-fold by set."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import DataError
from .dataset import DatasetInfo, SkeletonDataset, cross_validation
from .locate import DatasetNotFoundError, locate, read_rows

CLASSES = ("approaching", "departing", "kicking", "punching", "pushing", "hugging", "shaking hands", "exchanging")
BODY_JOINTS = (
    "head", "neck", "torso", "left shoulder", "left elbow", "left hand", "right shoulder", "right elbow",
    "right hand", "left hip", "left knee", "left foot", "right hip", "right knee", "right foot",
)  # fmt: skip
BODY_BONES = (
    (0, 1),
    (1, 2),
    (1, 3),
    (3, 4),
    (4, 5),
    (1, 6),
    (6, 7),
    (7, 8),
    (2, 9),
    (9, 10),
    (10, 11),
    (2, 12),
    (12, 13),
    (13, 14),
)
FOLDS = (
    ("s01s02", "s03s04", "s05s02", "s06s04"),
    ("s02s03", "s02s07", "s03s05", "s05s03"),
    ("s01s03", "s01s07", "s07s01", "s07s03"),
    ("s02s01", "s02s06", "s03s02", "s03s06"),
    ("s04s02", "s04s03", "s04s06", "s06s02", "s06s03"),
)
BODY_LEFT_RIGHT = (0, 1, 2, 6, 7, 8, 3, 4, 5, 12, 13, 14, 9, 10, 11)  # each joint's mirror image in one body
LAYOUT = "<set>/<class 01..08>/<sequence>/skeleton_pos.txt, e.g. s01s02/01/001/skeleton_pos.txt"
VALUES_PER_LINE = 1 + 2 * 15 * 3
RELEASE_FINGERPRINT = (
    "7c49cd1ed677266f"  # SkeletonDataset.fingerprint of the official release (README: sha256 a42ff9b6…)
)
FOLD_NAMES = tuple(f"fold{k + 1}" for k in range(len(FOLDS)))  # the protocol's subsets: fold k tests on FOLDS[k - 1]
INFO = DatasetInfo(
    name="sbu",
    class_names=CLASSES,
    joint_names=tuple(f"{p} {j}" for p in ("A", "B") for j in BODY_JOINTS),
    bones=BODY_BONES + tuple((a + 15, b + 15) for a, b in BODY_BONES),
    centre_joints=(2, 17),
    protocol="5-fold cross-validation by set",
    splits=cross_validation(FOLD_NAMES),
    mirror=tuple(j + 15 for j in BODY_LEFT_RIGHT) + BODY_LEFT_RIGHT,
    swap=tuple(range(15, 30)) + tuple(range(15)),  # person B's joints first: the same interaction
    roots=(2,) * 15 + (17,) * 15,  # each person's torso
    papers_split=4,  # fold 5: the author's "standard train-test split" tests on its 65 sequences
)


def to_world(normalised: np.ndarray) -> np.ndarray:
    """Undo SBU's normalisation: X = 1280 − 2560x, Y = 960 − 1920y, Z = 10000 z / 7.8125 (Y points up)."""
    x, y, z = normalised[..., 0], normalised[..., 1], normalised[..., 2]
    return np.stack([1280 - 2560 * x, 960 - 1920 * y, 10000 * z / 7.8125], axis=-1).astype(np.float32)


def actor_pair(set_name: str) -> str:
    """The unordered pair of actors of a set: s01s02 and s02s01 are the same two people, "s01+s02"."""
    return "+".join(sorted((set_name[:3], set_name[3:])))


def read_sequence(path: Path) -> np.ndarray:
    """Parse one ``skeleton_pos.txt`` into (frames, 30, 3) world coordinates (person A's joints first)."""
    rows = read_rows(path, ",", VALUES_PER_LINE)
    return to_world(rows[:, 1:].reshape(len(rows), 30, 3))


def check_complete(folder: Path, present: set[str]) -> None:
    """Refuse a copy that lacks any of the protocol's 21 sets: its folds would be incomplete (or, with a
    whole fold gone, the others renumbered), so "fold 2" would not be the protocol's fold 2."""
    missing = [(k + 1, s) for k, sets in enumerate(FOLDS) for s in sets if s not in present]
    if missing:
        named = ", ".join(f"{s} (fold {k})" for k, s in missing)
        raise DataError(
            f"the SBU folder {folder} lacks {len(missing)} of the protocol's 21 sets: {named}; its 5-fold "
            f"protocol needs every set ({LAYOUT}); see data/README.md for the complete release"
        )


def load_sbu(root: str | os.PathLike[str] | None = None) -> SkeletonDataset:
    """Load every sequence under ``root`` (see :func:`~gcnprune.data.locate.locate`) with its set fold; every
    set of the protocol must be there (:func:`check_complete`)."""
    folder = locate("sbu", root, LAYOUT)
    fold_of = {s: FOLD_NAMES[k] for k, sets in enumerate(FOLDS) for s in sets}
    sequences, labels, subsets, sources, groups = [], [], [], [], []
    for set_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        if set_dir.name not in fold_of:
            raise DatasetNotFoundError(f"{set_dir}: unknown SBU set; expected one of {sorted(fold_of)} ({LAYOUT})")
        for class_dir in sorted(p for p in set_dir.iterdir() if p.is_dir()):
            if not (class_dir.name.isdigit() and 1 <= int(class_dir.name) <= len(CLASSES)):
                raise DatasetNotFoundError(f"{class_dir}: class folders are 01..08 ({LAYOUT})")
            for seq_dir in sorted(p for p in class_dir.iterdir() if p.is_dir()):
                path = seq_dir / "skeleton_pos.txt"
                if not path.is_file():
                    raise DatasetNotFoundError(f"{path} is missing ({LAYOUT})")
                sequences.append(read_sequence(path))
                labels.append(int(class_dir.name) - 1)
                subsets.append(fold_of[set_dir.name])
                groups.append(actor_pair(set_dir.name))
                sources.append(str(path.relative_to(folder)))
    if not sequences:
        raise DatasetNotFoundError(f"no SBU sequences under {folder} ({LAYOUT}); see data/README.md")
    check_complete(folder, {Path(source).parts[0] for source in sources})
    return SkeletonDataset.from_info(
        INFO,
        sequences=tuple(sequences),
        labels=np.asarray(labels, dtype=np.int64),
        subsets=tuple(subsets),
        sources=tuple(sources),
        groups=tuple(groups),
    )
