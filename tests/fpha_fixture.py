"""A tiny FPHA dataset on disk in exactly the release's format, with the values the loader should return."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

ANNOTATIONS = "Hand_pose_annotation_v1"
SPLIT_FILE = "data_split_action_recognition.txt"
# Labels deliberately not in alphabetical order of the action names.
ACTIONS = {"charge_cell_phone": 0, "pour_milk": 1, "open_juice_bottle": 2}
SUBJECTS = ("Subject_1", "Subject_2")
UNLISTED_EMPTY = "Subject_2/pour_milk/3"


@dataclass(frozen=True)
class FphaFixture:
    """Where the fixture was written and what loading it must give, in split-file order."""

    folder: Path
    subsets: tuple[str, ...]
    sequences: tuple[str, ...]
    labels: tuple[int, ...]
    arrays: tuple[np.ndarray, ...]
    class_names: tuple[str, ...]

    def skeleton(self, sequence: str) -> Path:
        return self.folder / ANNOTATIONS / sequence / "skeleton.txt"

    @property
    def split_file(self) -> Path:
        return self.folder / SPLIT_FILE


def write_skeleton(path: Path, joints: np.ndarray) -> None:
    """Write (frames, 21, 3) coordinates as FPHA does: frame index then 63 numbers per line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [" ".join([str(t)] + [repr(float(v)) for v in frame.reshape(-1)]) for t, frame in enumerate(joints)]
    path.write_text("\n".join(lines) + "\n")


def write_split(path: Path, sections: dict[str, list[tuple[str, int]]], counts: dict[str, int] | None = None) -> None:
    """Write a split file; ``counts`` overrides a section's header count (to make it disagree)."""
    counts = counts or {}
    lines = []
    for header, entries in sections.items():
        lines.append(f"{header} {counts.get(header, len(entries))}")
        lines += [f"{sequence} {label}" for sequence, label in entries]
    path.write_text("\n".join(lines) + "\n")


def write_fpha(root: Path, seed: int = 0) -> FphaFixture:
    """Two subjects × three actions × two sequences (first to training, second to test), 5–12 frames each.

    The training lines are written in a shuffled order so that loading must follow the split file, not the
    folders; ``Subject_2/pour_milk/3`` holds an empty skeleton file and is left out of the split, as in the release.
    """
    rng = np.random.default_rng(seed)
    folder = root / "fpha"
    listed = {"Training": [], "Test": []}
    arrays = {}
    for subject in SUBJECTS:
        for action, label in ACTIONS.items():
            for number, header in ((1, "Training"), (2, "Test")):
                sequence = f"{subject}/{action}/{number}"
                frames = int(rng.integers(5, 13))
                joints = np.round(rng.normal(0.0, 80.0, size=(frames, 21, 3)) + [0.0, 0.0, 400.0], 4)
                write_skeleton(folder / ANNOTATIONS / sequence / "skeleton.txt", joints)
                arrays[sequence] = joints.astype(np.float32)
                listed[header].append((sequence, label))
    listed["Training"] = [listed["Training"][k] for k in rng.permutation(len(listed["Training"]))]
    empty = folder / ANNOTATIONS / UNLISTED_EMPTY / "skeleton.txt"
    empty.parent.mkdir(parents=True)
    empty.write_text("")
    write_split(folder / SPLIT_FILE, listed)
    subset_of = {"Training": "train", "Test": "test"}
    order = [(subset_of[h], s, label) for h, entries in listed.items() for s, label in entries]
    names = sorted(ACTIONS, key=ACTIONS.get)
    return FphaFixture(
        folder=folder,
        subsets=tuple(subset for subset, _, _ in order),
        sequences=tuple(s for _, s, _ in order),
        labels=tuple(label for _, _, label in order),
        arrays=tuple(arrays[s] for _, s, _ in order),
        class_names=tuple(names),
    )
