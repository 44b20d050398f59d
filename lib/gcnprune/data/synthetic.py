"""Synthetic skeleton actions: procedurally generated, deterministic from a seed, nothing to download.

Each class moves a 15-joint body (SBU's joint order) along its own end-effector trajectories; every
sample varies speed, amplitude, length, timing, viewpoint, subject size and noise, and subjects have
their own style, so that folds by subject test generalisation. Some classes differ only subtly (a
wave is a raised hand that oscillates), so a dense GCN is well above chance but not perfect.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .dataset import DatasetInfo, SkeletonDataset, cross_validation
from .sbu import BODY_BONES, BODY_JOINTS

# Rest pose in metres, Y up, facing +Z; "left" joints on +X.
REST = np.array([
    [0.00, 1.70, 0.00], [0.00, 1.50, 0.00], [0.00, 1.20, 0.00],
    [0.18, 1.45, 0.00], [0.22, 1.18, 0.02], [0.24, 0.92, 0.04],
    [-0.18, 1.45, 0.00], [-0.22, 1.18, 0.02], [-0.24, 0.92, 0.04],
    [0.10, 0.95, 0.00], [0.11, 0.52, 0.02], [0.12, 0.08, 0.00],
    [-0.10, 0.95, 0.00], [-0.11, 0.52, 0.02], [-0.12, 0.08, 0.00],
], dtype=np.float64)  # fmt: skip

HEAD, NECK, TORSO, LSH, LELB, LHAND, RSH, RELB, RHAND, LHIP, LKNEE, LFOOT, RHIP, RKNEE, RFOOT = range(15)
UPPER = [HEAD, NECK, LSH, LELB, LHAND, RSH, RELB, RHAND]

CLASSES = (
    "wave right hand", "raise right hand", "wave left hand", "punch right", "push both hands",
    "kick right", "squat", "jump", "bow", "clap",
)  # fmt: skip


def _limb(offsets: np.ndarray, joints: tuple[int, int], target: np.ndarray) -> None:
    """Move an end effector by ``target`` (frames × 3) and its middle joint by half of it."""
    middle, end = joints
    offsets[:, end] += target
    offsets[:, middle] += 0.5 * target


def _action(label: int, p: np.ndarray, amp: float, rng: np.random.Generator) -> np.ndarray:
    """Joint offsets (frames × 15 × 3) of class ``label`` at phases ``p`` in [0, 1]."""
    off = np.zeros((len(p), 15, 3))
    env = np.sin(np.pi * p)[:, None]  # go and come back
    wobble = rng.uniform(2.5, 4.0)
    if label in (0, 1, 2):  # raise a hand above the head, waving for 0 and 2
        side = (LELB, LHAND) if label == 2 else (RELB, RHAND)
        lift = np.array([0.0, 0.85, 0.12]) * amp * env
        if label != 1:
            lift[:, 0] += 0.16 * amp * np.sin(2 * np.pi * wobble * p) * env[:, 0]
        _limb(off, side, lift)
    elif label == 3:  # two quick right punches
        _limb(off, (RELB, RHAND), np.array([0.02, 0.42, 0.55]) * amp * np.abs(np.sin(2 * np.pi * p))[:, None])
    elif label == 4:  # one slow push with both hands
        for side in ((LELB, LHAND), (RELB, RHAND)):
            _limb(off, side, np.array([0.0, 0.42, 0.5]) * amp * env)
    elif label == 5:  # right kick
        _limb(off, (RKNEE, RFOOT), np.array([0.0, 0.35, 0.55]) * amp * env)
    elif label == 6:  # squat: everything above the knees goes down
        off[:, [HEAD, NECK, TORSO, LSH, LELB, LHAND, RSH, RELB, RHAND, LHIP, RHIP]] += (
            np.array([0.0, -0.4, 0.05]) * amp * env
        )[:, None]
        off[:, [LKNEE, RKNEE]] += (np.array([0.0, -0.15, 0.2]) * amp * env)[:, None]
    elif label == 7:  # jump: crouch, take off, land
        height = amp * (0.3 * np.clip(np.sin(2 * np.pi * (p - 0.25)), 0, None) - 0.12 * np.sin(np.pi * p) ** 8)
        off[:, :, 1] += height[:, None]
    elif label == 8:  # bow: pitch the upper body forward about the torso
        angle = 0.8 * amp * env[:, 0]
        rel = REST[UPPER] - REST[TORSO]
        y = rel[None, :, 1] * np.cos(angle)[:, None] - rel[None, :, 2] * np.sin(angle)[:, None]
        z = rel[None, :, 1] * np.sin(angle)[:, None] + rel[None, :, 2] * np.cos(angle)[:, None]
        off[:, UPPER, 1] += y - rel[None, :, 1]
        off[:, UPPER, 2] += z - rel[None, :, 2]
    elif label == 9:  # clap in front of the chest
        beat = (0.5 + 0.5 * np.cos(2 * np.pi * wobble * p))[:, None] * env
        for side, sign in (((LELB, LHAND), -1.0), ((RELB, RHAND), 1.0)):
            target = np.array([sign * 0.2, 0.35, 0.35]) * amp * env
            target[:, 0] += -sign * 0.06 * beat[:, 0]
            _limb(off, side, target)
    else:
        raise ValueError(f"unknown synthetic class {label}")
    return off


@dataclass(frozen=True)
class SyntheticConfig:
    """Size and difficulty of the synthetic dataset; every field enters the run hash."""

    num_subjects: int = 10
    per_class_per_subject: int = 4
    num_folds: int = 5
    min_frames: int = 20
    max_frames: int = 60
    max_view_deg: float = 45.0
    noise_m: float = 0.03
    seed: int = 0


def _sample(label: int, style: np.ndarray, config: SyntheticConfig, rng: np.random.Generator) -> np.ndarray:
    frames = int(rng.integers(config.min_frames, config.max_frames + 1))
    t = np.linspace(0.0, 1.0, frames)
    start, length = rng.uniform(0.0, 0.25), rng.uniform(0.6, 0.9)
    phase = np.clip((t - start) / length, 0.0, 1.0) ** (style[1] * rng.uniform(0.75, 1.33))  # timing and speed
    amp = style[0] * rng.uniform(0.7, 1.2)
    pose = REST[None] + _action(label, phase, amp, rng)
    pose[:, UPPER] += (
        0.03 * np.sin(2 * np.pi * rng.uniform(0.2, 1.0) * t + rng.uniform(0, 6.3))[:, None, None]
    )  # idle sway
    pose *= style[2] * rng.uniform(0.95, 1.05)  # subject size
    view = np.deg2rad(rng.uniform(-config.max_view_deg, config.max_view_deg))
    rot = np.array([[np.cos(view), 0, np.sin(view)], [0, 1, 0], [-np.sin(view), 0, np.cos(view)]])
    pose = pose @ rot.T + rng.normal(0, 0.3, size=3) * np.array([1, 0, 1])  # viewpoint and position
    pose += rng.normal(0, config.noise_m, size=pose.shape)
    return pose.astype(np.float32)


def synthetic_info(config: SyntheticConfig = SyntheticConfig()) -> DatasetInfo:
    """The synthetic dataset's classes, one-person body (SBU's joint order) and subject folds."""
    return DatasetInfo(
        name="synthetic",
        class_names=CLASSES,
        joint_names=BODY_JOINTS,
        bones=BODY_BONES,
        centre_joints=(TORSO,),
        protocol=f"{config.num_folds}-fold cross-validation by subject",
        splits=cross_validation(tuple(f"fold{k + 1}" for k in range(config.num_folds))),
    )


def make_synthetic(config: SyntheticConfig = SyntheticConfig()) -> SkeletonDataset:
    """Generate the dataset; folds group subjects (subject k is in fold k mod ``num_folds``)."""
    if config.num_subjects < config.num_folds or config.num_folds < 2:
        raise ValueError(
            f"need 2 <= num_folds <= num_subjects, got {config.num_folds} folds, {config.num_subjects} subjects"
        )
    if not 2 <= config.min_frames <= config.max_frames:
        raise ValueError(f"need 2 <= min_frames <= max_frames, got {config.min_frames}, {config.max_frames}")
    rng = np.random.default_rng(config.seed)
    sequences, labels, subsets, sources = [], [], [], []
    for subject in range(config.num_subjects):
        style = np.array([rng.uniform(0.8, 1.1), rng.uniform(0.8, 1.25), rng.uniform(0.85, 1.15)])
        for label in range(len(CLASSES)):
            for k in range(config.per_class_per_subject):
                sequences.append(_sample(label, style, config, rng))
                labels.append(label)
                subsets.append(f"fold{subject % config.num_folds + 1}")
                sources.append(f"subject{subject + 1:02d}/{label + 1:02d}/{k + 1:03d}")
    return SkeletonDataset.from_info(
        synthetic_info(config),
        sequences=tuple(sequences),
        labels=np.asarray(labels, dtype=np.int64),
        subsets=tuple(subsets),
        sources=tuple(sources),
        groups=tuple(source.split("/")[0] for source in sources),
    )
