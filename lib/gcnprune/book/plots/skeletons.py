"""Pictures of a dataset's sequences: a few frames of one sequence per class, the skeleton's bones drawn."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from gcnprune.data.dataset import SkeletonDataset

from ..report.datasets import people
from .style import DPI

PERSON_COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:red")
# Which way is up in each dataset's coordinates (FPHA's camera frame has y pointing down).
UP_SIGN = {"fpha": -1.0}


def example_sequences(dataset: SkeletonDataset) -> dict[int, int]:
    """For each class that has sequences, the index of its first sequence."""
    first: dict[int, int] = {}
    for i, label in enumerate(dataset.labels.tolist()):
        first.setdefault(label, i)
    return dict(sorted(first.items()))


def skeleton_frames(
    dataset: SkeletonDataset, frames: int = 4, ncols: int | None = None, panel_size: tuple[float, float] = (3.2, 1.9)
) -> Figure:
    """One panel per class: ``frames`` evenly spaced frames of one sequence, side by side, bones drawn.

    Joints are projected on the (horizontal, vertical) image plane; each skeleton (connected set of
    bones: each person in SBU, the hand in FPHA) has its own colour.
    """  # fmt: skip
    examples = example_sequences(dataset)
    groups = people(dataset)
    group_of = {j: g for g, joints in enumerate(groups) for j in joints}
    up = UP_SIGN.get(dataset.name, 1.0)
    n = len(examples)
    ncols = ncols or (2 if len(groups) > 1 else 3 if n > 12 else 2)
    nrows = max(1, math.ceil(n / ncols))
    fig = Figure(
        figsize=(panel_size[0] * ncols * (frames / 4) ** 0.5 * 1.4, panel_size[1] * nrows),
        layout="constrained",
        dpi=DPI,
    )
    fig.get_layout_engine().set(wspace=0.08, hspace=0.04)  # room between neighbouring strips
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for ax in axes.flat:
        ax.set_axis_off()
    for ax, (label, index) in zip(axes.flat, examples.items()):
        sequence = dataset.sequences[index]
        picks = np.unique(np.linspace(0, len(sequence) - 1, frames).round().astype(int))
        xy = np.stack([sequence[:, :, 0], up * sequence[:, :, 1]], axis=-1)[picks]
        xy = xy - xy[..., 0].min()
        width = float(np.ptp(xy[..., 0])) or 1.0
        height = float(np.ptp(xy[..., 1])) or 1.0
        step = width + (0.4 if len(groups) > 1 else 0.25) * max(width, height)
        bottom = float(xy[..., 1].min())
        for k, pose in enumerate(xy):
            pose = pose + np.array([k * step, 0.0])
            if k:
                ax.axvline(k * step - (step - width) / 2, color="0.8", linewidth=0.8, linestyle="--")
            ax.text(
                k * step + width / 2,
                bottom - 0.06 * height,
                f"frame {picks[k] + 1}",
                ha="center",
                va="top",
                fontsize=7,
                color="0.4",
            )
            for a, b in dataset.bones:
                ax.plot(pose[[a, b], 0], pose[[a, b], 1], color=PERSON_COLOURS[group_of[a] % len(PERSON_COLOURS)],
                        linewidth=1.4, solid_capstyle="round")  # fmt: skip
            for g, joints in enumerate(groups):
                ax.scatter(
                    pose[joints, 0], pose[joints, 1], s=4, color=PERSON_COLOURS[g % len(PERSON_COLOURS)], zorder=3
                )
        ax.set_xlim(-0.05 * width, (len(xy) - 1) * step + 1.05 * width)
        ax.set_ylim(bottom - 0.2 * height, bottom + 1.05 * height)
        ax.set_aspect("equal")
        ax.set_title(f"{dataset.class_names[label]} ({len(sequence)} frames)", fontsize=9)
    if len(groups) > 1:
        handles = [Line2D([], [], color=PERSON_COLOURS[g % len(PERSON_COLOURS)], label=f"skeleton {chr(65 + g)}")
                   for g in range(len(groups))]  # fmt: skip
        fig.legend(handles=handles, loc="outside lower center", ncols=len(groups), fontsize=9, frameon=False)
    return fig
