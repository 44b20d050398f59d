"""Accuracy and rates against the pruning rate: each method's accuracy, the rates the methods reached
against their targets, and one multi-rate model's accuracy as a continuous function of the rate; and
accuracy against what a compact model costs (bytes, latency) and against a network's size (the design grid)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from ..names import readable
from .style import DASHED, DPI, METHOD_STYLES, dense_band, method_style, rate_axis


def method_error_bars(
    ax,
    summary: pd.DataFrame,
    methods: Sequence[str] | None = None,
    linewidth: float = 1.5,
    points_only: Sequence[str] = (),
) -> list[float]:
    """Accuracy mean ± std error bars against 1 − rate, one line per pruned method of ``summary`` (dense left
    out); returns the rates drawn.

    ``methods`` picks and orders the lines (default: every method in ``summary``); those in ``points_only``
    get no line between their points. Methods at the same rate are offset slightly sideways so their error
    bars do not hide each other.
    """
    order = list(dict.fromkeys(summary["method"]))
    lines = [m for m in (methods if methods is not None else order) if m != "dense" and m in order]
    drawn: list[float] = []
    for k, method in enumerate(lines):
        rows = summary[(summary["method"] == method) & (summary["rate"] > 0)].sort_values("rate")
        colour, marker = method_style(method, order)
        shift = math.exp(0.035 * (k - (len(lines) - 1) / 2))
        ax.errorbar((1.0 - rows["rate"]) * shift, rows["mean"], yerr=rows["std"].fillna(0), color=colour, marker=marker,
                    markersize=5, capsize=3, linewidth=0 if method in points_only else linewidth,
                    linestyle="--" if method in DASHED else "-", label=readable(method))  # fmt: skip
        drawn += rows["rate"].tolist()
    return drawn


def _finish(fig: Figure, ax, title: str | None) -> Figure:
    """An accuracy axis's label and grid, the legend outside the axes (so it never hides a point), the title."""
    ax.set_ylabel("accuracy (%)")
    ax.grid(True, alpha=0.3)
    fig.legend(*ax.get_legend_handles_labels(), loc="outside right upper", fontsize=8)
    if title:
        ax.set_title(title)
    return fig


def _chance(ax, chance: float | None) -> None:
    if chance is not None:
        ax.axhline(chance, color="0.3", linestyle=":", linewidth=1, label=f"chance: {chance:.1f}")


def accuracy_vs_rate(
    summary: pd.DataFrame,
    title: str | None = None,
    chance: float | None = None,
    ax=None,
    methods: Sequence[str] | None = None,
) -> Figure:
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
    dense_band(ax, summary)
    drawn = method_error_bars(ax, summary, methods)
    _chance(ax, chance)
    rate_axis(ax, drawn)
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
        ax.plot(
            ends, ends, color="0.7", linewidth=5, alpha=0.5, solid_capstyle="round", zorder=0, label="measured = target"
        )
    rate_axis(ax, targets)
    ax.set_xlabel("target rate (log scale of 1 − rate)")
    top = max(values) if values else 0.0  # rates above the highest target get ticks of their own
    above = [r for r in (0.998, 0.999, 0.9995, 0.9999) if targets and top > max(targets) and r <= top * 1.0002]
    rate_axis(ax, targets + above, axis="y", label=False)
    kept = [1.0 - v for v in values if v < 1]
    if kept:
        ax.set_ylim(max(kept) * 1.4, min(kept) / 1.4)
    ax.set_ylabel("measured rate (log scale of 1 − rate)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    if title:
        ax.set_title(title)
    return fig


def rate_curve(
    curves: Sequence[tuple[Sequence[float], Sequence[float]]],
    summary: pd.DataFrame | None = None,
    training_rates: Sequence[float] = (),
    label: str = "multi_rate (one model)",
    title: str | None = None,
    chance: float | None = None,
    methods: Sequence[str] | None = None,
) -> Figure:
    """Accuracy of one multi-rate model as a continuous function of the rate, mean ± std over its models as a band,
    with other methods' runs (``summary`` rows, mean ± std error bars) as points on it.

    ``curves`` holds one (rates, accuracy in [0, 1]) pair per model (a split and seed), on the same rates;
    triangles under the curve mark the ``training_rates``, the rates the model was trained for.
    """
    fig = Figure(figsize=(8.6, 4.4), layout="constrained", dpi=DPI)
    ax = fig.subplots()
    rates = np.asarray(curves[0][0], dtype=float) if curves else np.array([])
    if curves:
        values = 100.0 * np.asarray([c[1] for c in curves], dtype=float)
        mean, std = values.mean(axis=0), values.std(axis=0)
        colour = METHOD_STYLES["multi_rate"][0]
        ax.fill_between(1.0 - rates, mean - std, mean + std, color=colour, alpha=0.25, linewidth=0, zorder=4)
        ax.plot(1.0 - rates, mean, color=colour, linewidth=2.2, label=f"{label}, {len(curves)} model(s)", zorder=5)
    shown = list(rates)
    if summary is not None:
        dense_band(ax, summary)
        shown += method_error_bars(ax, summary, methods, linewidth=1.0, points_only=("multi_rate",))
    _chance(ax, chance)
    ticks = sorted({*training_rates, *(r for r in shown if summary is not None and r in set(summary["rate"]))})
    rate_axis(ax, ticks or shown)
    if len(rates):
        ax.set_xlim((1.0 - rates.min()) * 1.25, (1.0 - rates.max()) / 1.25)
    for r in training_rates:
        ax.plot(
            [1.0 - r], [0.0], marker="^", color="black", markersize=7, transform=ax.get_xaxis_transform(), clip_on=False
        )
    return _finish(fig, ax, title)


def _short(value: float) -> str:
    """A tick's number, short: 2, 50, 200 k, 1 M."""
    for scale, suffix in ((1e6, " M"), (1e3, " k")):
        if value >= scale:
            return f"{value / scale:g}{suffix}"
    return f"{value:g}"


def pareto_front(points: pd.DataFrame, cost: str, value: str = "accuracy") -> pd.DataFrame:
    """The rows of ``points`` that no other row beats on both counts (a lower ``cost`` and a ``value`` at least as
    high, or the same cost and a higher value), by increasing cost: the accuracy-against-cost frontier."""
    ordered = points.sort_values([cost, value], ascending=[True, False])
    best, keep = -math.inf, []
    for index, row in ordered.iterrows():
        if row[value] > best:
            keep.append(index)
            best = row[value]
    return ordered.loc[keep]


def accuracy_vs_cost(bench: pd.DataFrame, costs: Sequence[tuple[str, str]] = (("bytes", "bytes on disk"),
                     ("latency_64", "latency at batch 64 (ms, one thread)"))) -> Figure:  # fmt: skip
    """Accuracy against each cost (log scale), one panel a cost: each method's compact models joined
    across rates (labelled with the rate), the dense network a black star, and the frontier (:func:`pareto_front`:
    the models that no other is both cheaper and more accurate than) as a dashed grey line. ``bench`` holds
    :func:`gcnprune.deploy.bench.bench_runs` rows (columns method, rate, format, accuracy and the costs)."""
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
            ax.plot(x, y, color=colour, marker=marker, linewidth=1.5, label=readable(method))
            for xi, yi, rate in zip(x, y, rows["rate"]):
                ax.annotate(f"{rate:g}", (xi, yi), textcoords="offset points", xytext=(4, 4), fontsize=7, color=colour)
        front = pareto_front(compact, cost)
        ax.step(front[cost] * scale.get(cost, 1), 100 * front["accuracy"], where="post", color="grey",
                linestyle="--", linewidth=1, zorder=1, label="frontier")  # fmt: skip
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))  # 1, 2, 5 per decade, labelled as numbers
        ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: _short(value)))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel(f"{label} (log scale)")
        ax.set_ylabel("accuracy (%)")
        ax.grid(True, alpha=0.3)
    axes[0].legend(loc="lower right", fontsize=8)
    return fig


# One (colour, marker) per design point after the first (the profile's network, drawn black)
DESIGN_STYLES = [("tab:blue", "s"), ("tab:orange", "^"), ("tab:green", "D"), ("tab:purple", "v"), ("tab:brown", "P"),
                 ("tab:pink", "X"), ("tab:olive", "*"), ("tab:cyan", "<")]  # fmt: skip


def accuracy_vs_size(design: pd.DataFrame, pruned: pd.DataFrame | None = None, title: str | None = None) -> Figure:
    """Accuracy (mean ± std) against parameters: one point per design of
    :func:`gcnprune.book.chapters.design.design_summary` (dense networks of other features and widths), and, from
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
        ax.errorbar(
            grouped["size"],
            100 * grouped["mean"],
            yerr=100 * grouped["std"].fillna(0),
            color=colour,
            marker=marker,
            markersize=5,
            capsize=3,
            linewidth=1.2,
            label="the profile's network, global MP",
        )
        for rate, row in grouped.iterrows():
            ax.annotate(f"{rate:g}", (row["size"], 100 * row["mean"]), textcoords="offset points", xytext=(4, -10),
                        fontsize=7, color=colour)  # fmt: skip
    ax.set_xscale("log")
    ax.set_xlabel("parameters (nonzero, log scale)")
    return _finish(fig, ax, title)


def ladder_figure(gains: pd.DataFrame, title: str | None = None) -> Figure:
    """The ablation ladder as a picture: one panel per rate, one row per rung (bottom to top, as the rungs
    climb), its paired gain over the rung below as a point with its 95 % t interval, and zero marked, so a
    rung whose interval clears zero is one that pays. ``gains`` is
    :func:`gcnprune.book.report.paired.ladder_gains` output."""
    rates = sorted(set(gains["rate"])) if len(gains) else []
    fig = Figure(figsize=(3.2 * max(len(rates), 1) + 2.2, 0.55 * max(gains["rung"].nunique(), 1) + 1.4),
                 layout="constrained", dpi=DPI)  # fmt: skip
    axes = fig.subplots(1, max(len(rates), 1), sharey=True, squeeze=False)[0]
    order = list(dict.fromkeys(gains["rung"])) if len(gains) else []
    for ax, rate in zip(axes, rates):
        rows = gains[gains["rate"] == rate]
        y = [order.index(r) for r in rows["rung"]]
        low = (rows["mean"] - rows["low"]).fillna(0).clip(lower=0)
        high = (rows["high"] - rows["mean"]).fillna(0).clip(lower=0)
        paying = (rows["low"] > 0).tolist()
        for k, (yy, mean) in enumerate(zip(y, rows["mean"])):
            colour = "tab:green" if paying[k] else "0.45"
            ax.errorbar(mean, yy, xerr=[[low.iloc[k]], [high.iloc[k]]], fmt="o", color=colour, capsize=4)
        ax.axvline(0.0, color="0.2", linewidth=1)
        ax.set_title(f"rate {rate:g}", fontsize=10)
        ax.set_xlabel("gain over the rung below (points)")
        ax.grid(True, axis="x", alpha=0.3)
    axes[0].set_yticks(range(len(order)), order)
    if title:
        fig.suptitle(title)
    return fig
