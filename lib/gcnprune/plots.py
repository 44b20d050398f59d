"""Figures and display tables for the book: skeleton frames, accuracy against pruning rate, the method
chapters' diagnostics (mask and weight histograms, achieved rates, the multi-rate curve, unit graphs),
and the comparisons the chapters draw their verdicts from.

Figures are built on :class:`matplotlib.figure.Figure` without pyplot, so nothing is shown twice in a
notebook: return the figure as a cell's last expression (or ``display`` it) to show it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .data.dataset import SkeletonDataset
from .data.stats import people

PERSON_COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:red")
# Fixed (colour, marker) for the methods and variants the chapters show, so a method looks the same
# in every figure of the book; variants and staple baselines are drawn dashed.
METHOD_STYLES = {
    "magnitude": ("tab:red", "o"),
    "magnitude (scope=layer)": ("tab:orange", "v"),
    "phase_field": ("tab:blue", "s"),
    "budget": ("tab:olive", "x"),
    "budget_l1": ("tab:brown", "P"),
    "budget_entropy": ("tab:pink", "D"),
    "topological": ("tab:green", "^"),
    "probabilistic": ("tab:purple", "D"),
    "probabilistic (kl_weight=0.0)": ("tab:gray", "X"),
    "multi_rate": ("tab:cyan", "*"),
}
DASHED = ("magnitude (scope=layer)", "budget", "budget_l1", "budget_entropy", "probabilistic (kl_weight=0.0)")
_OTHER_STYLES = [("tab:green", "s"), ("tab:purple", "^"), ("tab:brown", "D"), ("tab:pink", "v"), ("tab:olive", "P")]
WIDE_MARGIN = 5.0  # accuracy points: below this, differences between methods are within our fold noise
DPI = 110
# Which way is up in each dataset's coordinates (FPHA's camera frame has y pointing down).
UP_SIGN = {"fpha": -1.0}


def method_style(method: str, order: Sequence[str] = ()) -> tuple[str, str]:
    """A stable (colour, marker) for a method: fixed for known ones, else by position in ``order``."""
    if method in METHOD_STYLES:
        return METHOD_STYLES[method]
    others = [m for m in order if m not in METHOD_STYLES and m != "dense"]
    k = others.index(method) if method in others else abs(hash(method))
    return _OTHER_STYLES[k % len(_OTHER_STYLES)]


def example_sequences(dataset: SkeletonDataset) -> dict[int, int]:
    """For each class that has sequences, the index of its first sequence."""
    first: dict[int, int] = {}
    for i, label in enumerate(dataset.labels.tolist()):
        first.setdefault(label, i)
    return dict(sorted(first.items()))


def skeleton_frames(dataset: SkeletonDataset, frames: int = 4, ncols: int | None = None,
                    panel_size: tuple[float, float] = (3.2, 1.9)) -> Figure:
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
    fig = Figure(figsize=(panel_size[0] * ncols * (frames / 4) ** 0.5 * 1.4, panel_size[1] * nrows), layout="constrained", dpi=DPI)
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
            ax.text(k * step + width / 2, bottom - 0.06 * height, f"frame {picks[k] + 1}", ha="center", va="top", fontsize=7, color="0.4")
            for a, b in dataset.bones:
                ax.plot(pose[[a, b], 0], pose[[a, b], 1], color=PERSON_COLOURS[group_of[a] % len(PERSON_COLOURS)],
                        linewidth=1.4, solid_capstyle="round")  # fmt: skip
            for g, joints in enumerate(groups):
                ax.scatter(pose[joints, 0], pose[joints, 1], s=4, color=PERSON_COLOURS[g % len(PERSON_COLOURS)], zorder=3)
        ax.set_xlim(-0.05 * width, (len(xy) - 1) * step + 1.05 * width)
        ax.set_ylim(bottom - 0.2 * height, bottom + 1.05 * height)
        ax.set_aspect("equal")
        ax.set_title(f"{dataset.class_names[label]} ({len(sequence)} frames)", fontsize=9)
    if len(groups) > 1:
        handles = [Line2D([], [], color=PERSON_COLOURS[g % len(PERSON_COLOURS)], label=f"skeleton {chr(65 + g)}")
                   for g in range(len(groups))]  # fmt: skip
        fig.legend(handles=handles, loc="outside lower center", ncols=len(groups), fontsize=9, frameon=False)
    return fig


def accuracy_vs_rate(summary: pd.DataFrame, title: str | None = None, chance: float | None = None,
                     ax=None) -> Figure:
    """Accuracy (mean ± std error bars) against pruning rate, one line per method, dense as a band.

    ``summary`` is :func:`gcnprune.experiments.summarise` output (columns method, rate, mean, std). The
    x axis is logarithmic in 1 − rate, so 0.9, 0.99 and 0.999 are equally spaced, and is labelled with
    the rates themselves, increasing to the right.
    """  # fmt: skip
    if ax is None:
        fig = Figure(figsize=(7.0, 4.2), layout="constrained", dpi=DPI)
        ax = fig.subplots()
    else:
        fig = ax.figure
    methods = list(dict.fromkeys(summary["method"]))
    dense = summary[summary["method"] == "dense"]
    pruned = summary[(summary["method"] != "dense") & (summary["rate"] > 0)]
    rates = sorted(set(pruned["rate"]))
    if not dense.empty:
        mean, std = float(dense["mean"].mean()), float(dense["std"].fillna(0).mean())
        ax.axhspan(mean - std, mean + std, color="0.6", alpha=0.25, linewidth=0, label=f"dense: {mean:.1f} ± {std:.1f}")
        ax.axhline(mean, color="0.35", linewidth=1.2)
    for method in methods:
        if method == "dense":
            continue
        rows = pruned[pruned["method"] == method].sort_values("rate")
        colour, marker = method_style(method, methods)
        ax.errorbar(1.0 - rows["rate"], rows["mean"], yerr=rows["std"].fillna(0), color=colour, marker=marker,
                    markersize=5, capsize=3, linewidth=1.5, label=method)  # fmt: skip
    if chance is not None:
        ax.axhline(chance, color="0.3", linestyle=":", linewidth=1, label=f"chance: {chance:.1f}")
    if rates:
        ax.set_xscale("log")
        ticks = [1.0 - r for r in rates]
        ax.set_xticks(ticks, [f"{r:g}" for r in rates])
        ax.minorticks_off()
        lo, hi = min(ticks), max(ticks)
        ax.set_xlim(hi * 1.4, lo / 1.4)  # decreasing 1 − rate: the rate grows to the right
    ax.set_xlabel("pruning rate (log scale of 1 − rate)")
    ax.set_ylabel("accuracy (%)")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower left", fontsize=9)
    if title:
        ax.set_title(title)
    return fig


def summary_table(summary: pd.DataFrame, digits: int = 1) -> pd.DataFrame:
    """A display table from :func:`~gcnprune.experiments.summarise` output: one row per method and target rate."""
    out = pd.DataFrame({
        "method": summary["method"],
        "target rate": summary["rate"].map(lambda r: f"{r:g}"),
        "accuracy (%)": [f"{m:.{digits}f} ± {0.0 if pd.isna(s) else s:.{digits}f}" for m, s in zip(summary["mean"], summary["std"])],
        "runs": summary["runs"],
    })  # fmt: skip
    if "achieved_rate" in summary:
        out["achieved rate"] = summary["achieved_rate"].map(lambda r: f"{r:.4f}")
    if "prunable_nonzero" in summary and "prunable_dense" in summary:
        out["nonzero / dense prunable weights"] = [
            f"{int(round(nz)):,} / {int(round(d)):,}" for nz, d in zip(summary["prunable_nonzero"], summary["prunable_dense"])
        ]
    if "train_seconds" in summary:
        out["train s (mean)"] = summary["train_seconds"].map(lambda s: f"{s:.1f}")
    return out.set_index(["method", "target rate"])
