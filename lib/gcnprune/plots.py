"""Figures and display tables for the book: skeleton frames, accuracy against pruning rate, the method
chapters' diagnostics (mask and weight histograms, achieved rates, the multi-rate curve, unit graphs),
and the comparisons the chapters draw their verdicts from.

Figures are built on :class:`matplotlib.figure.Figure` without pyplot, so nothing is shown twice in a
notebook: return the figure as a cell's last expression (or ``display`` it) to show it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .data.dataset import SkeletonDataset
from .data.stats import people
from .methods.probabilistic import band_mass
from .toy_network import ToyPruning

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
    "probabilistic (threshold=empirical)": ("tab:purple", "x"),
    "probabilistic (alignment_weight=0.0)": ("tab:gray", "X"),
    "multi_rate": ("tab:cyan", "*"),
}
DASHED = ("magnitude (scope=layer)", "budget", "budget_l1", "budget_entropy", "probabilistic (threshold=empirical)",
          "probabilistic (alignment_weight=0.0)")
_OTHER_STYLES = [("tab:green", "s"), ("tab:purple", "^"), ("tab:brown", "D"), ("tab:pink", "v"), ("tab:olive", "P")]
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


def _rate_axis(ax, rates: Sequence[float], axis: str = "x", label: bool = True) -> None:
    """A pruning-rate axis: logarithmic in 1 − rate, labelled with the rates, increasing away from the origin."""
    rates = sorted({float(r) for r in rates if 0 < r < 1})
    if not rates:
        return
    ticks = [1.0 - r for r in rates]
    lo, hi = min(ticks), max(ticks)
    labels = [f"{r:g}" for r in rates]
    if axis == "x":
        ax.set_xscale("log")
        ax.set_xticks(ticks, labels)
        ax.set_xlim(hi * 1.4, lo / 1.4)  # decreasing 1 − rate: the rate grows to the right
        if label:
            ax.set_xlabel("pruning rate (log scale of 1 − rate)")
    else:
        ax.set_yscale("log")
        ax.set_yticks(ticks, labels)
        ax.set_ylim(hi * 1.4, lo / 1.4)
        if label:
            ax.set_ylabel("rate (log scale of 1 − rate)")
    ax.minorticks_off()
    if axis == "x" and len(rates) > 6:
        for tick in ax.get_xticklabels():
            tick.set_rotation(45)


def _dense_band(ax, summary: pd.DataFrame) -> None:
    dense = summary[summary["method"] == "dense"]
    if not dense.empty:
        mean, std = float(dense["mean"].mean()), float(dense["std"].fillna(0).mean())
        ax.axhspan(mean - std, mean + std, color="0.6", alpha=0.25, linewidth=0, label=f"dense: {mean:.1f} ± {std:.1f}")
        ax.axhline(mean, color="0.35", linewidth=1.2)


def accuracy_vs_rate(summary: pd.DataFrame, title: str | None = None, chance: float | None = None,
                     ax=None, methods: Sequence[str] | None = None) -> Figure:
    """Accuracy (mean ± std error bars) against pruning rate, one line per method, dense as a band.

    ``summary`` is :func:`gcnprune.experiments.summarise` output (columns method, rate, mean, std);
    ``methods`` picks and orders the lines (default: every method in ``summary``). The x axis is
    logarithmic in 1 − rate, so 0.9, 0.99 and 0.999 are equally spaced, and is labelled with the rates
    themselves, increasing to the right. Methods at the same rate are offset slightly sideways so
    their error bars do not hide each other.
    """  # fmt: skip
    own = ax is None
    if own:
        fig = Figure(figsize=(8.4, 4.2), layout="constrained", dpi=DPI)
        ax = fig.subplots()
    else:
        fig = ax.figure
    order = list(dict.fromkeys(summary["method"]))
    lines = [m for m in (methods if methods is not None else order) if m != "dense" and m in order]
    pruned = summary[summary["method"].isin(lines) & (summary["rate"] > 0)]
    _dense_band(ax, summary)
    for k, method in enumerate(lines):
        rows = pruned[pruned["method"] == method].sort_values("rate")
        colour, marker = method_style(method, order)
        shift = math.exp(0.035 * (k - (len(lines) - 1) / 2))
        ax.errorbar((1.0 - rows["rate"]) * shift, rows["mean"], yerr=rows["std"].fillna(0), color=colour, marker=marker,
                    markersize=5, capsize=3, linewidth=1.5, linestyle="--" if method in DASHED else "-",
                    label=method)  # fmt: skip
    if chance is not None:
        ax.axhline(chance, color="0.3", linestyle=":", linewidth=1, label=f"chance: {chance:.1f}")
    _rate_axis(ax, pruned["rate"])
    ax.set_xlabel("pruning rate (log scale of 1 − rate)")
    ax.set_ylabel("accuracy (%)")
    ax.grid(True, alpha=0.3)
    if own:  # outside the axes, so it never hides a point
        fig.legend(*ax.get_legend_handles_labels(), loc="outside right upper", fontsize=8)
    else:
        ax.legend(loc="lower left", fontsize=8)
    if title:
        ax.set_title(title)
    return fig


def summary_table(summary: pd.DataFrame, digits: int = 1, dangling: bool = False,
                  methods: Sequence[str] | None = None) -> pd.DataFrame:
    """A display table from :func:`~gcnprune.experiments.summarise` output: one row per method and target rate.

    With ``dangling``, a column gives the share of kept weights that cannot affect the output (see
    :mod:`gcnprune.unit_graph`); ``methods`` picks and orders the methods shown.
    """
    if methods is not None:
        summary = pd.concat([summary[summary["method"] == m] for m in methods if (summary["method"] == m).any()])
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
    if dangling and "dangling_fraction" in summary:
        out["dangling kept weights (%)"] = summary["dangling_fraction"].map(lambda f: f"{100 * f:.1f}")
    if "train_seconds" in summary:
        out["train s (mean)"] = summary["train_seconds"].map(lambda s: f"{s:.1f}")
    return out.set_index(["method", "target rate"])


# ----------------------------------------------------------------------------- rates


def rates_vs_target(runs: pd.DataFrame, series: Sequence[tuple[str, str, str]], title: str | None = None) -> Figure:
    """Measured rates against the target rate, each a mean over runs, with the identity as a thick grey line.

    ``series`` lists (method, column, legend label): e.g. ("phase_field", "soft_rate", "soft mask").
    Both axes are logarithmic in 1 − rate and labelled with rates, increasing to the right and upwards,
    so a point above the diagonal pruned more than asked.
    """
    fig = Figure(figsize=(6.2, 4.4), layout="constrained", dpi=DPI)
    ax = fig.subplots()
    targets = sorted({float(r) for r in runs["rate"] if r > 0})
    values = list(targets)
    markers = ["o", "s", "^", "D", "v", "P", "X", "*"]
    for k, (method, column, label) in enumerate(series):
        rows = runs[(runs["method"] == method) & (runs["rate"] > 0)]
        if rows.empty or column not in rows:
            continue
        means = rows.groupby("rate")[column].mean().dropna()
        values += means.tolist()
        colour = METHOD_STYLES.get(method, (None, None))[0]
        ax.plot(1.0 - means.index.to_numpy(), 1.0 - means.to_numpy(), marker=markers[k % len(markers)],
                linestyle="-" if column == "achieved_rate" else ":", color=colour, label=label, markersize=6,
                markerfacecolor="none" if column != "achieved_rate" else None)  # fmt: skip
    if targets:
        ends = np.array([1.0 - min(targets), 1.0 - max(targets)])
        ax.plot(ends, ends, color="0.7", linewidth=5, alpha=0.5, solid_capstyle="round", zorder=0, label="measured = target")
    _rate_axis(ax, targets)
    ax.set_xlabel("target rate (log scale of 1 − rate)")
    top = max(values) if values else 0.0  # rates above the highest target get ticks of their own
    above = [r for r in (0.998, 0.999, 0.9995, 0.9999) if targets and top > max(targets) and r <= top * 1.0002]
    _rate_axis(ax, targets + above, axis="y", label=False)
    kept = [1.0 - v for v in values if v < 1]
    if kept:
        ax.set_ylim(max(kept) * 1.4, min(kept) / 1.4)
    ax.set_ylabel("measured rate (log scale of 1 − rate)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    if title:
        ax.set_title(title)
    return fig


def _display_index(table: pd.DataFrame, labels: Mapping[str, str] | None = None) -> pd.MultiIndex:
    """A (method, target rate) index for display: methods renamed by ``labels``, rates as text."""
    labels = labels or {}
    return pd.MultiIndex.from_tuples([(labels.get(m, m), f"{r:g}") for m, r in table.index], names=["method", "target rate"])


def soft_mask_table(fidelity: pd.DataFrame, labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """A display table of :func:`~gcnprune.fidelity.soft_mask_fidelity`: per method and target rate, the
    soft masks' own rate (mean over runs) and its largest distance from the target, and the evaluated
    network's kept weights that training kept too (mean and lowest over runs, %)."""
    out = pd.DataFrame({
        "runs": fidelity["runs"].astype(int),
        "soft-mask rate": fidelity["soft_rate"].map(lambda v: f"{v:.4f}"),
        "largest |soft rate − target|": fidelity["soft_gap_max"].map(lambda v: f"{v:.4f}"),
        "kept overlap, mean (%)": fidelity["kept_overlap"].map(lambda v: f"{100 * v:.1f}"),
        "kept overlap, lowest (%)": fidelity["kept_overlap_min"].map(lambda v: f"{100 * v:.1f}"),
        "binary entries (%)": fidelity["soft_binary_fraction"].map(lambda v: f"{100 * v:.1f}"),
    }, index=fidelity.index)  # fmt: skip
    out.index = _display_index(fidelity, labels)
    return out


def cut_drift_table(drift: pd.DataFrame, labels: Mapping[str, str] | None = None, tolerance: float | None = None) -> pd.DataFrame:
    """A display table of :func:`~gcnprune.fidelity.cut_drift`: per method and target rate, the cut's
    rate (mean over runs), its mean drift from the target, its largest drift over the runs, and whether
    that is within ``tolerance`` (the column is left out without one)."""
    out = pd.DataFrame({
        "runs": drift["runs"].astype(int),
        "cut's rate": drift["cut_rate"].map(lambda v: f"{v:.4f}"),
        "cut − target (mean)": drift["drift"].map(lambda v: f"{v:+.4f}"),
        "largest |cut − target|": drift["drift_max"].map(lambda v: f"{v:.4f}"),
    }, index=drift.index)  # fmt: skip
    if tolerance is not None:
        out[f"within {tolerance:g}"] = ["—" if pd.isna(g) else "yes" if w else "no"
                                        for g, w in zip(drift["drift_max"], drift["within"])]
    out.index = _display_index(drift, labels)
    return out


# ----------------------------------------------------------------------------- phase-field masks


def mask_histograms(histograms: Mapping[str, Mapping[str, Sequence[float]]], rate: float,
                    title: str | None = None) -> Figure:
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


# ----------------------------------------------------------------------------- probabilistic weights


def latent_histograms(panels: Mapping[str, tuple[Sequence[float], Sequence[float]]], rate: float,
                      family: str = "gaussian", span: float = 4.0, title: str | None = None) -> Figure:
    """Latent weights in units of their layer prior's std, at the start and end of training, against the prior.

    ``panels`` maps a label to (start counts, end counts), histograms of equal bins on ±``span``. The
    prior's density (the standard one of ``family``) is drawn over them, and the dotted lines mark
    ±a(r)/s, the prior's r-quantile of |w|: if the weights followed the prior, the band between them
    would hold a fraction r of them.
    """
    import torch

    from .methods.priors import Prior

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
            ax.stairs(scaled, edges, color=colour, linewidth=1.5, fill=start, alpha=0.5 if start else 1.0,
                      label=f"{name}: {100 * inside:.1f} % inside the band")
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


# ----------------------------------------------------------------------------- multi-rate curve


def rate_curve(curves: Sequence[tuple[Sequence[float], Sequence[float]]], summary: pd.DataFrame | None = None,
               training_rates: Sequence[float] = (), label: str = "multi_rate (one model)", title: str | None = None,
               chance: float | None = None, methods: Sequence[str] | None = None) -> Figure:
    """Accuracy of one multi-rate model as a continuous function of the rate, mean ± std over folds as a band,
    with other methods' runs (``summary`` rows, mean ± std error bars) as points on it.

    ``curves`` holds one (rates, accuracy in [0, 1]) pair per fold, on the same rates; triangles under
    the curve mark the ``training_rates``, the rates the model was trained for.
    """
    fig = Figure(figsize=(8.6, 4.4), layout="constrained", dpi=DPI)
    ax = fig.subplots()
    rates = np.asarray(curves[0][0], dtype=float) if curves else np.array([])
    if curves:
        values = 100.0 * np.asarray([c[1] for c in curves], dtype=float)
        mean, std = values.mean(axis=0), values.std(axis=0)
        colour = METHOD_STYLES["multi_rate"][0]
        ax.fill_between(1.0 - rates, mean - std, mean + std, color=colour, alpha=0.25, linewidth=0, zorder=4)
        ax.plot(1.0 - rates, mean, color=colour, linewidth=2.2, label=f"{label}, {len(curves)} fold(s)", zorder=5)
    shown = list(rates)
    if summary is not None:
        _dense_band(ax, summary)
        order = list(dict.fromkeys(summary["method"]))
        lines = [m for m in (methods if methods is not None else order) if m != "dense" and m in order]
        for k, method in enumerate(lines):
            rows = summary[(summary["method"] == method) & (summary["rate"] > 0)].sort_values("rate")
            colour, marker = method_style(method, order)
            shift = math.exp(0.035 * (k - (len(lines) - 1) / 2))
            ax.errorbar((1.0 - rows["rate"]) * shift, rows["mean"], yerr=rows["std"].fillna(0), color=colour, marker=marker,
                        markersize=5, capsize=3, linewidth=0 if method == "multi_rate" else 1.0,
                        linestyle="--" if method in DASHED else "-", label=method)  # fmt: skip
            shown += rows["rate"].tolist()
    if chance is not None:
        ax.axhline(chance, color="0.3", linestyle=":", linewidth=1, label=f"chance: {chance:.1f}")
    ticks = sorted({*training_rates, *(r for r in shown if summary is not None and r in set(summary["rate"]))})
    _rate_axis(ax, ticks or shown)
    if len(rates):
        ax.set_xlim((1.0 - rates.min()) * 1.25, (1.0 - rates.max()) / 1.25)
    for r in training_rates:
        ax.plot([1.0 - r], [0.0], marker="^", color="black", markersize=7, transform=ax.get_xaxis_transform(), clip_on=False)
    ax.set_ylabel("accuracy (%)")
    ax.grid(True, alpha=0.3)
    fig.legend(*ax.get_legend_handles_labels(), loc="outside right upper", fontsize=8)
    if title:
        ax.set_title(title)
    return fig


# ----------------------------------------------------------------------------- unit graphs


def _unit_graph_panel(ax, masks: Mapping[str, Any], shapes: Mapping[str, tuple[int, int]], heads: int,
                      title: str) -> dict[str, int]:
    import torch

    from .unit_graph import consistent, unit_states

    masks = {n: torch.as_tensor(m, dtype=torch.float32) for n, m in masks.items()}
    useful = consistent(masks, shapes, heads)
    alpha, beta = unit_states(masks, shapes, heads)
    features = shapes["attention.query"][1]
    d = shapes["attention.query"][0] // heads
    adjacency = "attention.adjacency_value" in shapes
    graph = shapes["graph_conv.linear"][0]
    hidden = shapes["hidden"][0]
    joints = shapes["hidden"][1] // graph
    classes = shapes["classifier"][0]

    # projection units, grouped by head: Q_k, K_k, V_k, then the adjacency head's channels
    proj: list[tuple[str, int]] = []
    for k in range(heads):
        for name in ("attention.query", "attention.key", "attention.value"):
            proj += [(name, k * d + c) for c in range(d)]
    if adjacency:
        proj += [("attention.adjacency_value", c) for c in range(d)]
    concat = [("attention.value", i) for i in range(heads * d)]
    concat += [("attention.adjacency_value", c) for c in range(d)] if adjacency else []
    columns = [features, len(proj), len(concat), graph, hidden, classes]
    tallest = max(columns)

    def ys(n: int) -> np.ndarray:  # one unit apart, centred, first unit on top
        return np.arange(n)[::-1] - (n - 1) / 2

    xs = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    y_in, y_proj, y_cat, y_graph, y_hid, y_cls = (ys(n) for n in columns)
    proj_index = {unit: i for i, unit in enumerate(proj)}
    counts = {"useful": 0, "dangling": 0}

    def edge(x0, y0, x1, y1, status, width=1.0):
        colour, z, alpha_ = {"useful": ("0.35", 2, 0.9), "dangling": ("tab:red", 3, 0.95)}[status]
        ax.plot([x0, x1], [y0, y1], color=colour, linewidth=width, alpha=alpha_, zorder=z, solid_capstyle="round")

    for name in ("attention.query", "attention.key", "attention.value", "attention.adjacency_value"):
        if name not in masks:
            continue
        kept, good = masks[name], useful[name]
        for o, i in zip(*torch.nonzero(kept, as_tuple=True)):
            status = "useful" if good[o, i] > 0 else "dangling"
            counts[status] += 1
            edge(xs[0], y_in[int(i)], xs[1], y_proj[proj_index[(name, int(o))]], status)
    # identity: a value channel is a unit of the concatenation
    for j, unit in enumerate(concat):
        ax.plot([xs[1], xs[2]], [y_proj[proj_index[unit]], y_cat[j]], color="0.75", linestyle=":", linewidth=0.8, zorder=1)
    kept, good = masks["graph_conv.linear"], useful["graph_conv.linear"]
    for o, i in zip(*torch.nonzero(kept, as_tuple=True)):
        status = "useful" if good[o, i] > 0 else "dangling"
        counts[status] += 1
        edge(xs[2], y_cat[int(i)], xs[3], y_graph[int(o)], status)
    # hidden: the weights from (joint, channel g) to unit h all share one status; draw one edge g → h
    # whose width grows with the number of joints whose weight is kept
    kept = masks["hidden"].view(hidden, joints, graph)
    good = useful["hidden"].view(hidden, joints, graph)
    for h in range(hidden):
        for g in range(graph):
            n_kept = int(kept[h, :, g].sum())
            if n_kept:
                status = "useful" if int(good[h, :, g].sum()) else "dangling"
                counts[status] += n_kept
                edge(xs[3], y_graph[g], xs[4], y_hid[h], status, width=0.8 + 2.2 * n_kept / joints)
    # classifier: not prunable, every weight kept; drawn faintly from the hidden units that are reached
    for h in range(hidden):
        if alpha["classifier"][h] > 0:
            for c in range(classes):
                ax.plot([xs[4], xs[5]], [y_hid[h], y_cls[c]], color="0.8", linewidth=0.5, zorder=1)

    def units(x, y, alive, label):
        alive = np.asarray(alive, dtype=bool)
        ax.scatter(np.full(len(y), x)[alive], y[alive], s=28, color="black", zorder=5)
        ax.scatter(np.full(len(y), x)[~alive], y[~alive], s=28, facecolor="white", edgecolor="0.5", zorder=5)
        ax.text(x, -tallest / 2 - 0.8, label, ha="center", va="top", fontsize=9)

    touched_in = torch.zeros(features)
    for name in ("attention.query", "attention.key", "attention.value", "attention.adjacency_value"):
        if name in useful:
            touched_in += useful[name].sum(dim=0)
    proj_alive = []
    for name, c in proj:
        proj_alive.append(bool(useful[name][c].sum() > 0))
    cat_alive = [proj_alive[proj_index[u]] for u in concat]
    graph_alive = (useful["graph_conv.linear"].sum(dim=1) > 0) & (beta["graph_conv.linear"] > 0)
    hidden_alive = (alpha["classifier"] > 0) & (beta["hidden"] > 0)
    units(xs[0], y_in, touched_in > 0, "input\nfeatures")
    units(xs[1], y_proj, proj_alive, "Q, K, V and\nadjacency channels")
    units(xs[2], y_cat, cat_alive, "concatenated\nheads")
    units(xs[3], y_graph, graph_alive.numpy(), "graph\nchannels")
    units(xs[4], y_hid, hidden_alive.numpy(), "hidden\nunits")
    units(xs[5], y_cls, np.full(classes, bool(hidden_alive.any())), "classes")
    # which projection (and head) each block of channels belongs to
    blocks = [(f"{short}{k + 1}", name, k * d) for k in range(heads)
              for short, name in (("Q", "attention.query"), ("K", "attention.key"), ("V", "attention.value"))]
    blocks += [("A", "attention.adjacency_value", 0)] if adjacency else []
    for text, name, first in blocks:
        rows = [proj_index[(name, first + c)] for c in range(d)]
        ax.text(xs[1] + 0.1, float(np.mean(y_proj[rows])), text, fontsize=8, color="0.3", va="center")
    kept_total = counts["useful"] + counts["dangling"]
    share = 100.0 * counts["dangling"] / kept_total if kept_total else 0.0
    ax.set_title(f"{title}: {kept_total} weights kept, {counts['dangling']} dangling ({share:.0f} %)", fontsize=11)
    ax.set_xlim(-0.3, 5.4)
    ax.set_ylim(-tallest / 2 - 2.2, tallest / 2 + 0.3)
    ax.set_axis_off()
    return counts


def unit_graphs(toy: ToyPruning, title: str | None = None) -> Figure:
    """The unit graph of a pruned network under each of ``toy``'s masks, one above the other.

    Columns of units, left to right: input features, the channels of the query (Q), key (K) and value
    (V) projections of each head and of the adjacency head (A), the concatenated heads (the value and
    adjacency channels themselves, joined by dotted lines), graph-convolution channels, hidden units,
    classes. Kept weights that are both accessible and co-accessible are grey, dangling ones red;
    hollow units are unreached from the inputs or reach no output. An edge from a graph channel to a
    hidden unit stands for its weights at every joint (they share one status), thicker when more are
    kept; the unprunable classifier is drawn faintly. Query and key channels act through their head's
    attention scores, not through edges to the concatenation.
    """
    panels = list(toy.masks.items())
    fig = Figure(figsize=(8.0, 4.6 * len(panels) + 0.4), layout="constrained", dpi=DPI)
    axes = fig.subplots(len(panels), 1, squeeze=False)[:, 0]
    for ax, (rule, masks) in zip(axes, panels):
        _unit_graph_panel(ax, masks, toy.shapes, toy.heads, rule)
    handles = [Line2D([], [], color="0.35", label="kept, useful"), Line2D([], [], color="tab:red", label="kept, dangling"),
               Line2D([], [], color="0.75", linestyle=":", label="same unit"),
               Line2D([], [], marker="o", color="black", linestyle="", label="live unit"),
               Line2D([], [], marker="o", markerfacecolor="white", markeredgecolor="0.5", linestyle="", label="dead unit")]  # fmt: skip
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize=9, frameon=False)
    if title:
        fig.suptitle(title)
    return fig


# ----------------------------------------------------------------------------- results across chapters


def results_table(summary: pd.DataFrame, expected_runs: int, methods: Sequence[str] | None = None,
                  tolerance: float = 1e-3, digits: int = 1, rates: Sequence[float] | None = None) -> pd.DataFrame:
    """Methods × target rates, cells "mean ± std" over folds and seeds, marked where they are incomplete.

    A cell with fewer than ``expected_runs`` runs shows "(k/expected)"; a cell whose mean achieved rate
    differs from its target by more than ``tolerance`` is marked "≠" (then it is not compared at an
    equal rate). ``rates`` picks the columns (default: every rate the methods ran at).
    """
    order = methods if methods is not None else list(dict.fromkeys(summary["method"]))
    if rates is not None:
        summary = summary[summary["rate"].apply(lambda r: any(np.isclose(r, x) for x in rates))]
    cells: dict[str, dict[str, str]] = {}
    for _, row in summary.iterrows():
        if row["method"] not in order:
            continue
        std = 0.0 if pd.isna(row["std"]) else row["std"]
        text = f"{row['mean']:.{digits}f}\u202f±\u202f{std:.{digits}f}"  # narrow no-break spaces: a cell never wraps
        if int(row["runs"]) < expected_runs:
            text += f" ({int(row['runs'])}/{expected_runs})"
        if "achieved_rate" in row and abs(float(row["achieved_rate"]) - float(row["rate"])) > tolerance:
            text += " ≠"
        cells.setdefault(row["method"], {})[f"{row['rate']:g}"] = text
    columns = [f"{r:g}" for r in sorted(set(summary[summary["method"].isin(order)]["rate"]))]
    table = pd.DataFrame.from_dict(cells, orient="index").reindex(index=[m for m in order if m in cells], columns=columns)
    table.index.name = "method"
    table.columns.name = "target rate"
    return table.fillna("")


# ----------------------------------------------------------------------------- what pruning buys


def accuracy_vs_cost(bench: pd.DataFrame, costs: Sequence[tuple[str, str]] = (("bytes", "bytes on disk"),
                     ("latency_64", "latency at batch 64 (ms, one thread)"))) -> Figure:  # fmt: skip
    """Accuracy against each cost (log scale), one panel a cost: each method's compact models joined
    across rates (labelled with the rate), the dense network a black star. ``bench`` holds
    :func:`gcnprune.bench.bench_runs` rows (columns method, rate, format, accuracy and the costs)."""
    fig = Figure(figsize=(10.5, 4.2), layout="constrained", dpi=DPI)
    axes = fig.subplots(1, len(costs), squeeze=False)[0]
    compact = bench[bench["format"] == "compact"]
    scale = {"latency_1": 1e3, "latency_64": 1e3}
    for ax, (cost, label) in zip(axes, costs):
        for method, rows in compact.groupby("method", sort=False):
            rows = rows.sort_values("rate")
            x, y = rows[cost] * scale.get(cost, 1), 100 * rows["accuracy"]
            if method == "dense":
                ax.scatter(x, y, marker="*", s=160, color="black", zorder=3, label="dense")
                continue
            colour, marker = method_style(method)
            ax.plot(x, y, color=colour, marker=marker, linewidth=1.5, label=method)
            for xi, yi, rate in zip(x, y, rows["rate"]):
                ax.annotate(f"{rate:g}", (xi, yi), textcoords="offset points", xytext=(4, 4), fontsize=7, color=colour)
        ax.set_xscale("log")
        ax.set_xlabel(f"{label} (log scale)")
        ax.set_ylabel("accuracy (%)")
        ax.grid(True, alpha=0.3)
    axes[0].legend(loc="lower right", fontsize=8)
    return fig


# ----------------------------------------------------------------------------- design against pruning


# One (colour, marker) per design point after the first (the profile's network, drawn black)
DESIGN_STYLES = [("tab:blue", "s"), ("tab:orange", "^"), ("tab:green", "D"), ("tab:purple", "v"), ("tab:brown", "P"),
                 ("tab:pink", "X"), ("tab:olive", "*"), ("tab:cyan", "<")]  # fmt: skip


def accuracy_vs_size(design: pd.DataFrame, pruned: pd.DataFrame | None = None, title: str | None = None) -> Figure:
    """Accuracy (mean ± std) against parameters: one point per design of
    :func:`gcnprune.design_grid.design_summary` (dense networks of other features and widths), and, from
    ``pruned`` runs (one row each: rate, accuracy, params_nonzero), the profile's network pruned at each
    rate, counted by its nonzero parameters. The x axis is logarithmic."""
    fig = Figure(figsize=(8.4, 4.2), layout="constrained", dpi=DPI)
    ax = fig.subplots()
    for k, (name, row) in enumerate(design.iterrows()):
        colour, marker = DESIGN_STYLES[(k - 1) % len(DESIGN_STYLES)] if k else ("0.2", "o")
        ax.errorbar(row["parameters"], row["accuracy"], yerr=0 if pd.isna(row["std"]) else row["std"], color=colour,
                    marker=marker, markersize=6, capsize=3, linestyle="none", label=name)  # fmt: skip
    if pruned is not None and len(pruned):
        grouped = pruned.groupby("rate").agg(size=("params_nonzero", "mean"), mean=("accuracy", "mean"),
                                             std=("accuracy", lambda a: a.std(ddof=0)))  # fmt: skip
        colour, marker = METHOD_STYLES["magnitude"]
        ax.errorbar(grouped["size"], 100 * grouped["mean"], yerr=100 * grouped["std"].fillna(0), color=colour,
                    marker=marker, markersize=5, capsize=3, linewidth=1.2, label="the profile's network, global MP")
        for rate, row in grouped.iterrows():
            ax.annotate(f"{rate:g}", (row["size"], 100 * row["mean"]), textcoords="offset points", xytext=(4, -10),
                        fontsize=7, color=colour)  # fmt: skip
    ax.set_xscale("log")
    ax.set_xlabel("parameters (nonzero, log scale)")
    ax.set_ylabel("accuracy (%)")
    ax.grid(True, alpha=0.3)
    fig.legend(*ax.get_legend_handles_labels(), loc="outside right upper", fontsize=8)
    if title:
        ax.set_title(title)
    return fig
