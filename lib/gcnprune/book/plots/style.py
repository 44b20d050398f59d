"""How the book's figures look: each method's colour and marker, the figures' resolution, and the
pruning-rate axis (logarithmic in 1 − rate) with the dense network's accuracy band drawn on it."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

# Fixed (colour, marker) for the methods and variants the chapters show, so a method looks the same
# in every figure of the book; variants and staple baselines are drawn dashed.
METHOD_STYLES = {
    "magnitude": ("tab:red", "o"),
    "magnitude (scope=layer)": ("tab:orange", "v"),
    "gradual_magnitude": ("darkred", "<"),  # GMP, gradual magnitude pruning: magnitude's reds
    "phase_field": ("tab:blue", "s"),
    "budget": ("tab:olive", "x"),
    "budget_l1": ("tab:brown", "P"),
    "budget_entropy": ("tab:pink", "D"),
    "topological": ("tab:green", "^"),
    "probabilistic": ("tab:purple", "D"),
    "probabilistic (threshold=empirical)": ("tab:purple", "x"),
    "probabilistic (alignment_weight=0.0)": ("tab:gray", "X"),
    "probabilistic (scope=layer)": ("mediumorchid", "d"),
    "multi_rate": ("tab:cyan", "*"),
    "multi_rate (scope=layer)": ("darkcyan", "p"),
    "snip": ("darkgoldenrod", "h"),  # the teaching chapter's methods
    "random": ("black", "x"),
    "head_magnitude": ("tab:pink", "s"),  # whole heads first (what pruning buys)
    "head_magnitude (head_share=0.125)": ("deeppink", "^"),
    "head_magnitude (head_share=0.0)": ("palevioletred", "v"),
    "probabilistic (head_share=0.25)": ("rebeccapurple", "s"),
    "probabilistic (head_share=0.125)": ("indigo", "^"),
    "topological (head_share=0.25)": ("darkgreen", "s"),
    "topological (head_share=0.125)": ("olivedrab", "^"),
}
DASHED = (
    "magnitude (scope=layer)",
    "budget",
    "budget_l1",
    "budget_entropy",
    "probabilistic (threshold=empirical)",
    "probabilistic (alignment_weight=0.0)",
    "probabilistic (scope=layer)",
    "multi_rate (scope=layer)",
    "random",
)
_OTHER_STYLES = [("tab:green", "s"), ("tab:purple", "^"), ("tab:brown", "D"), ("tab:pink", "v"), ("tab:olive", "P")]
DPI = 110


def method_style(method: str, order: Sequence[str] = ()) -> tuple[str, str]:
    """A stable (colour, marker) for a method: fixed for known ones, else by position in ``order``."""
    if method in METHOD_STYLES:
        return METHOD_STYLES[method]
    others = [m for m in order if m not in METHOD_STYLES and m != "dense"]
    k = others.index(method) if method in others else abs(hash(method))
    return _OTHER_STYLES[k % len(_OTHER_STYLES)]


def rate_axis(ax, rates: Sequence[float], axis: str = "x", label: bool = True) -> None:
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


def dense_band(ax, summary: pd.DataFrame) -> None:
    """The dense network's accuracy, mean ± std over its runs in ``summary``, as a grey band with its mean."""
    dense = summary[summary["method"] == "dense"]
    if not dense.empty:
        mean, std = float(dense["mean"].mean()), float(dense["std"].fillna(0).mean())
        label = f"dense: {mean:.1f}" + (f" ± {std:.1f}" if round(std, 1) else "")  # no "± 0.0" for one run
        ax.axhspan(mean - std, mean + std, color="0.6", alpha=0.25, linewidth=0, label=label)
        ax.axhline(mean, color="0.35", linewidth=1.2)
