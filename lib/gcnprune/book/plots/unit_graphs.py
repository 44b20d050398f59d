"""Drawings of a pruned network's unit graph (:func:`gcnprune.unit_graph.unit_layout`): kept weights as
edges between columns of units, the dangling ones in red, dead units hollow."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from gcnprune.unit_graph import UnitLayout, unit_layout

from ..report.toy_network import ToyPruning
from .style import DPI

COLUMN_LABELS = (
    "input\nfeatures",
    "Q, K, V and\nadjacency channels",
    "concatenated\nheads",
    "graph\nchannels",
    "hidden\nunits",
    "classes",
)


def _unit_graph_panel(ax, layout: UnitLayout, title: str) -> None:
    """One network's unit graph on ``ax``: one column of units per entry of ``layout.sizes``, one unit apart."""
    tallest = max(layout.sizes)
    y = [np.arange(n)[::-1] - (n - 1) / 2 for n in layout.sizes]  # centred, first unit on top

    for edge in layout.edges:
        colour, z, alpha = ("0.35", 2, 0.9) if edge.useful else ("tab:red", 3, 0.95)
        width = 0.8 + 2.2 * edge.weights / layout.joints if edge.column == 3 else 1.0  # thicker: more joints kept
        ax.plot([edge.column, edge.column + 1], [y[edge.column][edge.source], y[edge.column + 1][edge.target]],
                color=colour, linewidth=width, alpha=alpha, zorder=z, solid_capstyle="round")  # fmt: skip
    for channel, unit in layout.same_unit:
        ax.plot([1, 2], [y[1][channel], y[2][unit]], color="0.75", linestyle=":", linewidth=0.8, zorder=1)
    for h in layout.reached_hidden:  # the unprunable classifier, drawn faintly
        for c in range(layout.sizes[5]):
            ax.plot([4, 5], [y[4][h], y[5][c]], color="0.8", linewidth=0.5, zorder=1)
    for x, (ys, alive, label) in enumerate(zip(y, layout.alive, COLUMN_LABELS)):
        alive = np.asarray(alive, dtype=bool)
        ax.scatter(np.full(len(ys), x)[alive], ys[alive], s=28, color="black", zorder=5)
        ax.scatter(np.full(len(ys), x)[~alive], ys[~alive], s=28, facecolor="white", edgecolor="0.5", zorder=5)
        ax.text(x, -tallest / 2 - 0.8, label, ha="center", va="top", fontsize=9)
    for text, rows in layout.blocks:  # which projection (and head) each block of channels belongs to
        ax.text(1.1, float(np.mean(y[1][list(rows)])), text, fontsize=8, color="0.3", va="center")
    kept, dangling = layout.kept(), layout.kept(useful=False)
    share = 100.0 * dangling / kept if kept else 0.0
    ax.set_title(f"{title}: {kept} weights kept, {dangling} dangling ({share:.0f} %)", fontsize=11)
    ax.set_xlim(-0.3, 5.4)
    ax.set_ylim(-tallest / 2 - 2.2, tallest / 2 + 0.3)
    ax.set_axis_off()


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
        _unit_graph_panel(ax, unit_layout(masks, toy.shapes, toy.heads), rule)
    handles = [
        Line2D([], [], color="0.35", label="kept, useful"),
        Line2D([], [], color="tab:red", label="kept, dangling"),
        Line2D([], [], color="0.75", linestyle=":", label="same unit"),
        Line2D([], [], marker="o", color="black", linestyle="", label="live unit"),
        Line2D([], [], marker="o", markerfacecolor="white", markeredgecolor="0.5", linestyle="", label="dead unit"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize=9, frameon=False)
    if title:
        fig.suptitle(title)
    return fig
