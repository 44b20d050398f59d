"""Figures for the book: skeleton frames, accuracy against pruning rate, the method chapters' diagnostics
(mask and weight histograms, achieved rates, the multi-rate curve, unit graphs), and accuracy against a
compact model's size and latency, and against a network's size. The book's tables are in
:mod:`gcnprune.book.report.tables`.

Figures are built on :class:`matplotlib.figure.Figure` without pyplot, so nothing is shown twice in a
notebook: return the figure as a cell's last expression (or ``display`` it) to show it.
"""

from .curves import (
    accuracy_vs_cost,
    accuracy_vs_rate,
    accuracy_vs_size,
    ladder_figure,
    method_error_bars,
    pareto_front,
    rate_curve,
    rates_vs_target,
)
from .histograms import latent_histograms, mask_histograms
from .skeletons import PERSON_COLOURS, UP_SIGN, example_sequences, skeleton_frames
from .style import DASHED, DPI, METHOD_STYLES, dense_band, method_style, rate_axis
from .unit_graphs import unit_graphs

__all__ = [
    "DASHED", "DPI", "METHOD_STYLES", "PERSON_COLOURS", "UP_SIGN", "accuracy_vs_cost", "accuracy_vs_rate",
    "accuracy_vs_size", "dense_band", "example_sequences", "ladder_figure", "latent_histograms",
    "mask_histograms", "method_error_bars", "method_style", "pareto_front", "rate_axis", "rate_curve",
    "rates_vs_target", "skeleton_frames", "unit_graphs",
]  # fmt: skip
