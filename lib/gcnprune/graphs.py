"""Input graphs: one graph per sequence whose nodes are joints and whose node signals are trajectories.

A sequence is normalised (centred on its centre joints, scaled to unit RMS radius), cut into M
temporal chunks whose mean positions are concatenated, optionally with the chunk-to-chunk velocities
and with the joint-relative positions p̄_j^t − p̄_{root(j)}^t (the joint seen from its body's root, the
torso or the wrist, which separates a hand's or a body's articulation from its motion as a whole):
node j's signal is x_j = [p̄_j^1, …, p̄_j^M] ∈ R^{3M}, then the optional parts in that order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from .data import SkeletonDataset
from .errors import DataError
from .settings import added_setting


@dataclass(frozen=True)
class FeatureConfig:
    """How node signals are built: ``chunks`` temporal chunks, velocities and joint-relative positions
    appended or not, and, with ``hand_frame``, each sequence seen in its hand's own frame (:func:`hand_frame`;
    datasets that declare a palm, FPHA) before it is normalised."""

    chunks: int = 24  # chosen with relative on validation: ties 12 on SBU, several points better on FPHA
    velocities: bool = False
    relative: bool = True  # +1.9 points on SBU validation (900 epochs), +12 on the FPHA development split
    hand_frame: bool = added_setting(False)

    def __post_init__(self) -> None:
        if self.chunks < 1:
            raise ValueError(f"chunks must be at least 1, got {self.chunks}")

    def signal_size(self) -> int:
        return 3 * self.chunks * (1 + self.velocities + self.relative)


def normalise(sequence: np.ndarray, centre_joints: tuple[int, ...]) -> np.ndarray:
    """Centre on the mean position of ``centre_joints`` over all frames and scale to unit RMS radius."""
    centred = sequence - sequence[:, list(centre_joints)].mean(axis=(0, 1))
    radius = np.sqrt((centred**2).sum(axis=-1).mean())
    if not np.isfinite(radius) or radius == 0:
        raise ValueError("cannot normalise a sequence whose joints all coincide")
    return (centred / radius).astype(np.float32)


def hand_frame(sequence: np.ndarray, palm: tuple[int, int, int, int]) -> np.ndarray:
    """``sequence`` (frames, joints, 3) in its hand's frame, from the sequence's mean pose: the origin at the palm's
    centre (the mean of the wrist and the index, middle and little finger knuckles ``palm``), the length unit the
    wrist-to-middle-knuckle distance, the x axis along it, the z axis normal to the palm's plane (spanned by the
    wrist's vectors to the index and little knuckles), so that a hand's articulation reads the same whichever way
    the hand is held. One frame for the whole sequence: the hand's motion within it is kept."""
    wrist, index, middle, little = palm
    mean = sequence.mean(axis=0)
    x = mean[middle] - mean[wrist]
    scale = float(np.linalg.norm(x))
    normal = np.cross(mean[index] - mean[wrist], mean[little] - mean[wrist])
    if scale == 0 or not np.isfinite(scale) or np.linalg.norm(normal) == 0:
        raise ValueError("cannot find the hand's frame: its palm joints coincide or lie on a line")
    x = x / scale
    z = normal - (normal @ x) * x
    z = z / np.linalg.norm(z)
    rotation = np.stack([x, np.cross(z, x), z])  # rows: the frame's axes
    origin = mean[list(palm)].mean(axis=0)
    return ((sequence - origin) @ rotation.T / scale).astype(np.float32)


def chunk_means(sequence: np.ndarray, chunks: int) -> np.ndarray:
    """Mean joint positions over ``chunks`` contiguous, near-equal chunks of time: (chunks, joints, 3).

    A sequence shorter than ``chunks`` frames is first resampled by nearest frame so every chunk is
    non-empty.
    """
    frames = len(sequence)
    if frames < chunks:
        sequence = sequence[np.floor(np.arange(chunks) * frames / chunks).astype(int)]
    return np.stack([part.mean(axis=0) for part in np.array_split(sequence, chunks)]).astype(np.float32)


def trajectories(dataset: SkeletonDataset, config: FeatureConfig) -> torch.Tensor:
    """Normalised chunk means of every sequence: a tensor (sequences, chunks, joints, 3); a sequence that cannot
    be normalised is a :class:`~gcnprune.errors.DataError` naming its file."""
    if config.hand_frame and not dataset.palm:
        raise ValueError(f"hand_frame needs the dataset's palm joints, and {dataset.name} declares none (FPHA does)")
    chunks = []
    for i, sequence in enumerate(dataset.sequences):
        try:
            framed = hand_frame(sequence, dataset.palm) if config.hand_frame else sequence
            chunks.append(chunk_means(normalise(framed, dataset.centre_joints), config.chunks))
        except ValueError as error:
            raise DataError(f"{dataset.source(i)}: {error}") from None
    return torch.from_numpy(np.stack(chunks))


def node_signals(chunked: torch.Tensor, config: FeatureConfig, roots: Sequence[int] | None = None) -> torch.Tensor:
    """Turn chunk means (batch, chunks, joints, 3) into node signals (batch, joints, signal_size);
    ``roots`` (each joint's reference joint, :meth:`SkeletonDataset.joint_roots`) are needed for
    joint-relative positions."""
    parts = [chunked]
    if config.velocities:
        parts.append(torch.diff(chunked, dim=1, prepend=chunked[:, :1]))
    if config.relative:
        if roots is None:
            raise ValueError("joint-relative positions need each joint's root joint (SkeletonDataset.joint_roots())")
        parts.append(chunked - chunked[:, :, list(roots)])
    x = torch.cat(parts, dim=-1)  # batch, chunks, joints, 3 or 6
    return x.permute(0, 2, 1, 3).reshape(x.shape[0], x.shape[2], -1)


def normalised_adjacency(adjacency: np.ndarray) -> torch.Tensor:
    """Symmetrically normalised adjacency with self loops, D^{-1/2} (A + I) D^{-1/2} (Kipf & Welling)."""
    a = adjacency + np.eye(len(adjacency), dtype=np.float32)
    d = 1.0 / np.sqrt(a.sum(axis=1))
    return torch.from_numpy((a * d[:, None] * d[None, :]).astype(np.float32))
