"""A masked GCN folded into its compact network (:class:`~gcnprune.deploy.compact.CompactGCN`): the units that
survive pruning (a unit whose weights are all pruned, or whose output nothing reads, goes with every product
through it), their weights copied, constant units folded into the next layer's bias."""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from gcnprune.model import GCN

from .compact import CompactGCN, CompactShape


def _weights(module: nn.Linear | None, outputs: int, inputs: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A layer's evaluated weight (hard masks applied) and bias in float64; an absent layer is empty."""
    if module is None:
        return torch.zeros(outputs, inputs, dtype=torch.float64), torch.zeros(outputs, dtype=torch.float64)
    return module.weight.detach().double(), module.bias.detach().double()


def _rows(matrix: torch.Tensor, index: list[int]) -> torch.Tensor:
    """The rows of ``matrix`` at ``index``, a zero row where the index is -1 (padding)."""
    padded = torch.cat([matrix, torch.zeros(1, *matrix.shape[1:], dtype=matrix.dtype)])
    return padded[torch.tensor(index, dtype=torch.int64)] if index else matrix[:0]


def _pad(channels: list[list[int]], width: int) -> list[int]:
    return [c for group in channels for c in group + [-1] * (width - len(group))]


@torch.no_grad()
def compact_model(model: GCN, source: dict[str, Any] | None = None) -> CompactGCN:
    """The compact model of ``model`` as it evaluates (hard masks, no dropout): removed and folded
    structure as the module's docstring derives it; ``source`` (the run) goes into its file."""
    was_training = model.training
    model.eval()
    try:
        return _compact(model, source or {})
    finally:
        model.train(was_training)


@dataclass
class _Layers:
    """A GCN's layers as it evaluates, in float64, for export to read in one place: the attention's query, key
    and value projections (``heads`` × ``d`` channels each) and adjacency head, the graph convolution, the hidden
    layer (its weight viewed per joint and graph channel) and the classifier."""

    heads: int
    d: int
    adjacency: torch.Tensor
    wq: torch.Tensor
    bq: torch.Tensor
    wk: torch.Tensor
    bk: torch.Tensor
    wv: torch.Tensor
    bv: torch.Tensor
    wa: torch.Tensor
    ba: torch.Tensor
    wg: torch.Tensor
    bg: torch.Tensor
    wh3: torch.Tensor
    bh: torch.Tensor
    wc: torch.Tensor
    bc: torch.Tensor

    @property
    def value_channels(self) -> int:
        """How many value channels the heads have together (the adjacency head's channels follow them)."""
        return self.heads * self.d


@dataclass
class _Folded:
    """Which units vary with the input (the attention's value and adjacency channels together, graph channels,
    hidden units), and the biases with the constant units folded in: ``b1`` and ``b2`` the graph convolution's
    (through Â1 and Â²1), ``bh`` the hidden layer's, ``bc`` the classifier's."""

    u_var: torch.Tensor
    g_var: torch.Tensor
    h_var: torch.Tensor
    b1: torch.Tensor
    b2: torch.Tensor
    bh: torch.Tensor
    bc: torch.Tensor


def _layers(model: GCN) -> _Layers:
    """The evaluated weights and biases of ``model``'s layers (an absent adjacency head is empty), so that the
    steps of export all read the same float64 copies."""
    cfg, att = model.config, model.attention
    heads, d = cfg.heads, cfg.head_channels
    adjacency = model.graph_conv.adjacency.double()
    wq, bq = _weights(att.query, heads * d, 0)
    wk, bk = _weights(att.key, heads * d, 0)
    wv, bv = _weights(att.value, heads * d, 0)
    wa, ba = _weights(att.adjacency_value, 0, wq.shape[1])
    wg, bg = _weights(model.graph_conv.linear, 0, 0)
    wh, bh = _weights(model.hidden, 0, 0)
    wc, bc = _weights(model.classifier, 0, 0)
    wh3 = wh.view(wh.shape[0], adjacency.shape[0], wg.shape[0])
    return _Layers(heads, d, adjacency, wq, bq, wk, bk, wv, bv, wa, ba, wg, bg, wh3, bh, wc, bc)


def _fold_constants(w: _Layers) -> _Folded:
    """Forward: which units vary with the input; each constant unit's output is folded into the biases of the
    layer that reads it, exactly as the module's docstring derives."""
    value_channels, wg, wh3 = w.value_channels, w.wg, w.wh3
    v_var, a_var = (w.wv != 0).any(1), (w.wa != 0).any(1)
    u_var = torch.cat([v_var, a_var])
    one = torch.ones(w.adjacency.shape[0], dtype=torch.float64)
    a1, a2 = w.adjacency @ one, w.adjacency @ (w.adjacency @ one)
    b1 = w.bg + wg[:, :value_channels][:, ~v_var] @ torch.relu(w.bv[~v_var])
    b2 = wg[:, value_channels:][:, ~a_var] @ torch.relu(w.ba[~a_var])
    g_var = (wg[:, u_var] != 0).any(1)
    constant_graph = torch.relu(torch.outer(a1, b1) + torch.outer(a2, b2))  # (n, G): each channel's value if constant
    bh = w.bh + torch.einsum("ujg,jg->u", wh3[:, :, ~g_var], constant_graph[:, ~g_var])
    h_var = (wh3[:, :, g_var] != 0).flatten(1).any(1)
    bc = w.bc + w.wc[:, ~h_var] @ torch.relu(bh[~h_var])
    return _Folded(u_var, g_var, h_var, b1, b2, bh, bc)


def _read_units(w: _Layers, folded: _Folded) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Backward: the varying units that some kept weight carries towards the classes, the only ones the
    compact model keeps: (attention value and adjacency channels, graph channels, hidden units)."""
    h_use = folded.h_var & (w.wc != 0).any(0)
    g_use = folded.g_var & (w.wh3[h_use] != 0).any(0).any(0)
    u_use = folded.u_var & (w.wg[g_use] != 0).any(0)
    return u_use, g_use, h_use


def _kept_channels(w: _Layers, u_use: torch.Tensor) -> tuple[list[int], list[list[int]], list[list[int]], list[int]]:
    """The attention's kept heads (those with a read value channel), each one's query/key and value channels
    (as dense channel numbers), and the adjacency head's kept channels; a query/key pair stays only where the
    key varies and the query is not zero."""
    heads, d = w.heads, w.d
    v_use, a_use = u_use[: w.value_channels].view(heads, d), u_use[w.value_channels :]
    kept_heads = [h for h in range(heads) if bool(v_use[h].any())]
    query_matters = ((w.wq != 0).any(1) | (w.bq != 0)).view(heads, d)
    qk_use = (w.wk != 0).any(1).view(heads, d) & query_matters
    qk = [[h * d + c for c in range(d) if qk_use[h, c]] for h in kept_heads]
    values = [[h * d + c for c in range(d) if v_use[h, c]] for h in kept_heads]
    return kept_heads, qk, values, torch.nonzero(a_use).flatten().tolist()


def _projection(
    w: _Layers, qk_rows: list[int], value_rows: list[int], adjacency_rows: list[int]
) -> tuple[torch.Tensor, torch.Tensor]:
    """The compact model's one input projection and its bias: the kept query (scaled by 1/√d), key and value
    rows, padded per head, then the adjacency head's kept rows."""
    scale = 1.0 / math.sqrt(w.d)
    projection = torch.cat(
        [_rows(w.wq, qk_rows) * scale, _rows(w.wk, qk_rows), _rows(w.wv, value_rows), w.wa[adjacency_rows]]
    )
    projection_bias = torch.cat(
        [
            _rows(w.bq.unsqueeze(1), qk_rows).flatten() * scale,
            _rows(w.bk.unsqueeze(1), qk_rows).flatten(),
            _rows(w.bv.unsqueeze(1), value_rows).flatten(),
            w.ba[adjacency_rows],
        ]
    )
    return projection, projection_bias


def _compact(model: GCN, source: dict[str, Any]) -> CompactGCN:
    """The compact model of ``model`` (already in eval mode): fold the constant units into biases, keep the
    varying units that are read, and copy their weights into the compact layout."""
    w = _layers(model)
    n, features, d = w.adjacency.shape[0], w.wq.shape[1], w.d
    folded = _fold_constants(w)
    u_use, g_use, h_use = _read_units(w, folded)
    kept_heads, qk, values, adjacency_rows = _kept_channels(w, u_use)
    qk_width = max((len(g) for g in qk), default=0)
    value_width = max((len(g) for g in values), default=0)
    qk_rows, value_rows = _pad(qk, qk_width), _pad(values, value_width)
    projection, projection_bias = _projection(w, qk_rows, value_rows, adjacency_rows)
    columns = torch.nonzero((projection != 0).any(0)).flatten()
    concat = value_rows + [w.value_channels + c for c in adjacency_rows]  # the graph convolution's input channels
    graph_weight = _rows(w.wg[g_use].T, concat).T
    tensors = {
        "input_columns": columns, "adjacency": w.adjacency, "projection": projection[:, columns],
        "projection_bias": projection_bias, "graph": graph_weight,
        "graph_bias": torch.stack([folded.b1[g_use], folded.b2[g_use]]),
        "hidden": w.wh3[h_use][:, :, g_use].reshape(int(h_use.sum()), n * int(g_use.sum())),
        "hidden_bias": folded.bh[h_use], "classifier": w.wc[:, h_use], "classifier_bias": folded.bc,
    }  # fmt: skip
    shape = CompactShape(joints=n, in_features=features, classes=w.wc.shape[0], heads=len(kept_heads),
                         qk_width=qk_width, value_width=value_width,
                         adjacency_channels=len(adjacency_rows))  # fmt: skip
    structure = {
        "dense": {"in_features": features, "heads": w.heads, "head_channels": d, "adjacency_channels": w.wa.shape[0],
                  "graph_channels": w.wg.shape[0], "hidden_units": w.wh3.shape[0]},
        "heads": kept_heads, "qk_channels": [[c - h * d for c in g] for h, g in zip(kept_heads, qk)],
        "value_channels": [[c - h * d for c in g] for h, g in zip(kept_heads, values)],
        "adjacency_channels": adjacency_rows, "graph_channels": torch.nonzero(g_use).flatten().tolist(),
        "hidden_units": torch.nonzero(h_use).flatten().tolist(), "in_features": columns.tolist(),
    }  # fmt: skip
    return CompactGCN(shape, {k: v.to(torch.float32) if v.is_floating_point() else v for k, v in tensors.items()},
                      structure, source).eval()  # fmt: skip


def structure_summary(compact: CompactGCN) -> OrderedDict[str, tuple[int, int]]:
    """(dense, kept) counts of each kind of unit: input features, heads, query/key and value channels,
    adjacency-head channels, graph channels and hidden units."""
    s, dense = compact.structure, compact.structure["dense"]
    d, heads = dense["head_channels"], dense["heads"]
    return OrderedDict([
        ("input features", (dense["in_features"], len(s["in_features"]))),
        ("attention heads", (heads, len(s["heads"]))),
        ("query/key channels", (heads * d, sum(map(len, s["qk_channels"])))),
        ("value channels", (heads * d, sum(map(len, s["value_channels"])))),
        ("adjacency-head channels", (dense["adjacency_channels"], len(s["adjacency_channels"]))),
        ("graph channels", (dense["graph_channels"], len(s["graph_channels"]))),
        ("hidden units", (dense["hidden_units"], len(s["hidden_units"]))),
    ])  # fmt: skip


def removed_units(compact: CompactGCN) -> int:
    """How many units (of every kind in :func:`structure_summary`) export removed."""
    return sum(dense - kept for dense, kept in structure_summary(compact).values())
