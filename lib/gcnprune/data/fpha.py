"""FPHA, the First-Person Hand Action benchmark (Garcia-Hernando et al., 2018): 45 classes, 1,175 sequences."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import numpy as np

from .dataset import DatasetInfo, SkeletonDataset, Split
from .locate import DatasetNotFoundError, locate, malformed, read_rows, read_text

# The release's joint order: the wrist, the five MCP joints, then each finger's PIP, DIP and TIP in turn.
FINGERS = ("thumb", "index", "middle", "ring", "pinky")
HAND_JOINTS = (
    ("wrist",) + tuple(f"{f} MCP" for f in FINGERS) + tuple(f"{f} {j}" for f in FINGERS for j in ("PIP", "DIP", "TIP"))
)
HAND_BONES = tuple((0, 1 + f) for f in range(5)) + tuple(
    pair for f in range(5) for pair in ((1 + f, 6 + 3 * f), (6 + 3 * f, 7 + 3 * f), (7 + 3 * f, 8 + 3 * f))
)
ANNOTATIONS = "Hand_pose_annotation_v1"
SPLIT_FILE = "data_split_action_recognition.txt"
SECTIONS = {"Training": "train", "Test": "test"}
LAYOUT = (
    f"{ANNOTATIONS}/Subject_<1..6>/<action>/<sequence>/skeleton.txt plus {SPLIT_FILE} at the top, "
    f"e.g. {ANNOTATIONS}/Subject_1/charge_cell_phone/1/skeleton.txt"
)
VALUES_PER_LINE = 1 + 21 * 3
DEVELOPMENT_FINGERPRINT = (
    "d99256d5f9c60f48"  # SkeletonDataset.fingerprint of the training half with its development split
)
# The release's 45 actions by label (its split file names them; a loaded copy takes them from its own file).
CLASSES = (
    "open_juice_bottle", "close_juice_bottle", "pour_juice_bottle", "open_peanut_butter", "close_peanut_butter",
    "prick", "sprinkle", "scoop_spoon", "put_sugar", "stir", "open_milk", "close_milk", "pour_milk", "drink_mug",
    "put_tea_bag", "put_salt", "open_liquid_soap", "close_liquid_soap", "pour_liquid_soap", "wash_sponge",
    "flip_sponge", "scratch_sponge", "squeeze_sponge", "open_soda_can", "use_flash", "write", "tear_paper",
    "squeeze_paper", "open_letter", "take_letter_from_enveloppe", "read_letter", "flip_pages", "use_calculator",
    "light_candle", "charge_cell_phone", "unfold_glasses", "clean_glasses", "open_wallet", "give_coin",
    "receive_coin", "give_card", "pour_wine", "toast_wine", "handshake", "high_five",
)  # fmt: skip
INFO = DatasetInfo(
    name="fpha",
    class_names=CLASSES,
    joint_names=HAND_JOINTS,
    bones=HAND_BONES,
    centre_joints=(0,),
    palm=(0, 2, 3, 5),  # the wrist and the index, middle and little finger MCP joints
    protocol="official 600/575 split",
    splits=(Split("official", ("train",), ("test",)),),
)


def read_sequence(path: Path) -> np.ndarray:
    """Parse one ``skeleton.txt`` (frame index, then 21 joints' x y z in mm per line) into (frames, 21, 3)."""
    rows = read_rows(path, None, VALUES_PER_LINE)
    return rows[:, 1:].reshape(len(rows), 21, 3).astype(np.float32)


def read_split(path: Path) -> tuple[list[tuple[str, str, int]], tuple[str, ...]]:
    """Parse the split file into (subset, sequence, label) entries in file order, and the class names by label.

    Each ``Training <n>`` / ``Test <n>`` header must be followed by exactly ``n`` ``<subject>/<action>/<seq>
    <label>`` lines; a label names its action folder, so one label with two actions (or the reverse) is an error.
    """
    entries: list[tuple[str, str, int]] = []
    action_of: dict[int, str] = {}
    label_of: dict[str, int] = {}
    seen: set[str] = set()
    sections: set[str] = set()
    section, header_line, expected, remaining = "", 0, 0, 0
    number = 0
    for number, line in enumerate(read_text(path).splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        if remaining == 0:
            if len(fields) != 2 or fields[0] not in SECTIONS or not fields[1].isdecimal():
                hint = f"; the {section} header on line {header_line} announced {expected} sequences" if section else ""
                raise malformed(path, number, f"expected a 'Training <count>' or 'Test <count>' header{hint}")
            if fields[0] in sections:
                raise malformed(path, number, f"a second {fields[0]} section")
            section, header_line, expected = fields[0], number, int(fields[1])
            sections.add(section)
            remaining = expected
            if expected == 0:
                raise malformed(path, number, f"the {section} section must list at least one sequence")
            continue
        if fields[0] in SECTIONS:
            raise malformed(
                path,
                number,
                f"the {section} header on line {header_line} announced {expected} sequences "
                f"but {expected - remaining} follow",
            )
        parts = fields[0].split("/")
        if len(fields) != 2 or len(parts) != 3 or not all(parts):
            raise malformed(path, number, "expected '<subject>/<action>/<sequence> <label>'")
        if not fields[1].isdecimal():
            raise malformed(path, number, f"label {fields[1]!r} is not a non-negative integer")
        sequence, action, label = fields[0], parts[1], int(fields[1])
        if sequence in seen:
            raise malformed(path, number, f"{sequence} is listed twice")
        if action_of.setdefault(label, action) != action:
            raise malformed(path, number, f"label {label} names {action} here but {action_of[label]} earlier")
        if label_of.setdefault(action, label) != label:
            raise malformed(path, number, f"{action} has label {label} here but {label_of[action]} earlier")
        seen.add(sequence)
        entries.append((SECTIONS[section], sequence, label))
        remaining -= 1
    if remaining:
        raise malformed(
            path,
            number + 1,
            f"end of file: the {section} header on line {header_line} announced {expected} "
            f"sequences but {expected - remaining} follow",
        )
    missing = [name for name in SECTIONS if name not in sections]
    if missing:
        raise malformed(path, number + 1, f"end of file: no {' or '.join(missing)} section")
    count = max(action_of) + 1
    return entries, tuple(action_of.get(k, f"class_{k}") for k in range(count))


def load_fpha(root: str | os.PathLike[str] | None = None) -> SkeletonDataset:
    """Load the sequences named by the official split (see :func:`~gcnprune.data.locate.locate`).

    Sequence folders the split leaves out (a few hold empty files in the release) are not read.
    """
    folder = locate("fpha", root, LAYOUT)
    split_path, annotations = folder / SPLIT_FILE, folder / ANNOTATIONS
    if not split_path.is_file():
        raise DatasetNotFoundError(f"{split_path} is missing ({LAYOUT}); see data/README.md")
    if not annotations.is_dir():
        raise DatasetNotFoundError(f"{annotations} is missing ({LAYOUT}); see data/README.md")
    entries, class_names = read_split(split_path)
    sequences, sources = [], []
    for _, sequence, _ in entries:
        path = annotations / sequence / "skeleton.txt"
        if not path.is_file():
            raise DatasetNotFoundError(f"{path} is missing but listed in {split_path} ({LAYOUT})")
        sequences.append(read_sequence(path))
        sources.append(str(path.relative_to(folder)))
    return SkeletonDataset.from_info(
        replace(INFO, class_names=class_names),
        sequences=tuple(sequences),
        labels=np.asarray([label for _, _, label in entries], dtype=np.int64),
        subsets=tuple(subset for subset, _, _ in entries),
        sources=tuple(sources),
    )
