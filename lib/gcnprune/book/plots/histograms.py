"""Histograms of what training did to a method's parameters: the phase-field chapter's soft mask values,
and the probabilistic chapter's latent weights against their prior."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch
from matplotlib.figure import Figure

from gcnprune.methods.priors import Prior
from gcnprune.methods.probabilistic import band_mass

from .style import DPI


def mask_histograms(
    histograms: Mapping[str, Mapping[str, Sequence[float]]], rate: float, title: str | None = None
) -> Figure:
    """Histograms of the soft mask values m ∈ [0, 1] early, midway and late in training, one panel per method.

    ``histograms`` maps a method to its runs' ``mask_histograms`` metric (summed over folds): training
    progress ("0.05", "0.5", "0.95") → counts in equal bins on [0, 1]. Counts are on a log scale, so
    the few entries still between the two phases stay visible.
    """
    methods = list(histograms)
    fig = Figure(figsize=(4.2 * max(1, len(methods)), 3.6), layout="constrained", dpi=DPI)
    axes = fig.subplots(1, max(1, len(methods)), squeeze=False, sharey=True)[0]
    shades = {"0.05": ("0.65", ":"), "0.5": ("tab:blue", "--"), "0.95": ("black", "-")}
    for ax, method in zip(axes, methods):
        for progress, counts in sorted(histograms[method].items(), key=lambda kv: float(kv[0])):
            counts = np.asarray(counts, dtype=float)
            edges = np.linspace(0.0, 1.0, len(counts) + 1)
            colour, style = shades.get(progress, (None, "-"))
            ax.stairs(np.where(counts > 0, counts, np.nan), edges, color=colour, linestyle=style, linewidth=1.6,
                      label=f"{100 * float(progress):g} % of training")  # fmt: skip
        ax.set_yscale("log")
        ax.set_xlim(0, 1)
        ax.set_xlabel("soft mask value m")
        ax.set_title(f"{method} at rate {rate:g}", fontsize=10)
        ax.grid(True, alpha=0.3)
    axes[0].set_ylabel("entries (log scale)")
    axes[0].legend(fontsize=8, loc="upper center")
    if title:
        fig.suptitle(title)
    return fig


def latent_histograms(
    panels: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    rate: float,
    family: str = "gaussian",
    span: float = 4.0,
    title: str | None = None,
) -> Figure:
    """Latent weights in units of their layer prior's std, at the start and end of training, against the prior.

    ``panels`` maps a label to (start counts, end counts), histograms of equal bins on ±``span``. The
    prior's density (the standard one of ``family``) is drawn over them, and the dotted lines mark
    ±a(r)/s, the prior's r-quantile of |w|: if the weights followed the prior, the band between them
    would hold a fraction r of them.
    """

    prior = Prior.with_std(family, 1.0)  # type: ignore[arg-type]
    band = prior.threshold(rate)
    fig = Figure(figsize=(4.4 * max(1, len(panels)), 3.6), layout="constrained", dpi=DPI)
    axes = fig.subplots(1, max(1, len(panels)), squeeze=False, sharey=True)[0]
    grid = np.linspace(-span, span, 400)
    density = np.exp(prior.log_density(torch.from_numpy(grid)).numpy())
    for ax, (label, (start, end)) in zip(axes, panels.items()):
        for counts, colour, name in ((start, "0.6", "start of training"), (end, "tab:purple", "end of training")):
            counts = np.asarray(counts, dtype=float)
            edges = np.linspace(-span, span, len(counts) + 1)
            width = edges[1] - edges[0]
            scaled = counts / max(counts.sum(), 1.0) / width
            inside = band_mass(counts, band, span)
            start = name.startswith("start")
            ax.stairs(
                scaled,
                edges,
                color=colour,
                linewidth=1.5,
                fill=start,
                alpha=0.5 if start else 1.0,
                label=f"{name}: {100 * inside:.1f} % inside the band",
            )
        ax.plot(grid, density, color="black", linewidth=1.2, linestyle="--", label=f"{family} prior")
        for x in (-band, band):
            ax.axvline(x, color="tab:red", linestyle=":", linewidth=1.2)
        ax.set_xlabel("latent weight / prior std")
        ax.set_xlim(-span, span)
        ax.set_title(f"{label}\n(rate {rate:g}: band ±{band:.2f})", fontsize=10)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7, loc="upper left")
    axes[0].set_ylabel("density")
    if title:
        fig.suptitle(title)
    return fig
