"""Compact export: turn a pruned GCN into a :class:`~gcnprune.deploy.compact.CompactGCN` that computes the same
logits with only the structure that can matter, and a run into that model's file.

Every unit is first sorted forward by whether it *varies* with the input (some kept weight reads a
varying unit), then backward by whether it is *read* (a kept weight carries it to a read unit; the
classes are read). A varying unit that is not read is removed with its weights. A unit that does not
vary outputs a constant, which is folded into the biases of the units that read it, exactly:

- a value channel with no kept weight is its bias b_v at every joint, and attention rows sum to one,
  so the head outputs ReLU(b_v) whatever its attention: the graph convolution adds Â1 ReLU(b_v) W_G[:, c];
- an adjacency-head channel with no kept weight is Â1 b_A, so it outputs ReLU(b_A) Â1 (Â1 > 0) and
  the graph convolution adds Â²1 ReLU(b_A) W_G[:, c] (the compact model's second bias row);
- a graph channel g with no varying input outputs the per-joint constant ReLU(Â1 b₁[g] + Â²1 b₂[g]),
  added through the hidden weights to the hidden bias; a constant hidden unit ReLU(b_h) is added
  through the classifier to its bias.

Attention scores s_ij = Σ_c q_ic k_jc / √d: a key channel with no kept weight is a constant k_c, which
adds q_ic k_c to every score of row i, and softmax ignores a row's constant, so the query/key pair is
removed (a query with no kept weight still meets varying keys and stays, as its bias). A head whose
values are all removed is removed; one whose query/key pairs all are attends uniformly, which the
compact model computes as softmax of zero scores. Structure is thus removed only where it provably
cannot change the logits; :func:`check_logits` verifies that on a run's test sequences at every export.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from gcnprune.errors import UserError
from gcnprune.experiments.cache import load_run, stored_config
from gcnprune.experiments.config import RunConfig
from gcnprune.experiments.repo import DEFAULT_RESULTS
from gcnprune.experiments.runner import build, parent_weights, train_run
from gcnprune.model import GCN
from gcnprune.train import Trainer

from .compact import CompactGCN, CompactShape

LOGIT_TOLERANCE = 1e-5  # the largest |compact − masked| logit difference an export accepts, relative to logits above 1


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


@torch.no_grad()
def check_logits(model: GCN, compact: CompactGCN, signals: torch.Tensor, tolerance: float = LOGIT_TOLERANCE) -> float:
    """The largest |compact − masked| logit over ``signals``. It must be at most ``tolerance`` times the
    largest |logit| (or 1, if that is smaller): float32 resolves logits near 100 only to 8e-6, and the
    compact model sums in another order. Beyond that it is a bug in export, raised as a RuntimeError
    (an export never writes a model that computes something else)."""
    was_training = model.training
    model.eval()
    try:
        expected = model(signals)
        gap = float((compact(signals) - expected).abs().max()) if len(signals) else 0.0
    finally:
        model.train(was_training)
    scale = max(1.0, float(expected.abs().max())) if len(signals) else 1.0
    if not gap <= tolerance * scale:
        raise RuntimeError(
            f"the compact model's logits differ from the masked network's by {gap:.3g} (tolerance "
            f"{tolerance:g} × {scale:.3g}, the largest logit): export removed structure that matters"
        )
    return gap


def trained_model(
    config: RunConfig,
    results: str | os.PathLike[str] = DEFAULT_RESULTS,
    data_root: str | None = None,
    progress: bool = False,
) -> tuple[GCN, Trainer]:
    """A cached run's trained model and the trainer holding its fold's data.

    A run trained from scratch (the dense network's) loads its saved weights (``model.pt``;
    :func:`~gcnprune.experiments.runner.parent_weights` trains them again where they are missing). Pruned runs save no
    weights, so the run is trained again from its parent's (:func:`~gcnprune.experiments.runner.train_run`), which is
    bit-reproducible on the machine that ran it. Either way the model's accuracy must equal the one
    ``metrics.json`` records, else a UserError says the weights are not the run's.
    """
    results = Path(results)
    cached = load_run(config, results)
    if cached is None:
        raise UserError(f"run {config.run_hash()} is not in {results}; run it first (gcnprune grid)")
    if config.parent() is None:
        state = parent_weights(config, results, data_root, progress)
        model, trainer = build(config, data_root, progress)
        model.load_state_dict(state)
    else:
        model, trainer, _ = train_run(config, results, data_root, progress)
    model.eval()
    accuracy = trainer.evaluate(model)
    if accuracy != cached["accuracy"]:
        raise UserError(
            f"run {config.run_hash()}: the recomputed model's accuracy {accuracy:.6f} is not the "
            f"{cached['accuracy']:.6f} its metrics.json records, so these are not its weights (another "
            "machine, torch version or code); rerun it here (gcnprune clean --delete, then the grid) and export again"
        )
    return model, trainer


@dataclass(frozen=True)
class Export:
    """An exported run: its configuration, the masked network and trainer, the compact model, the
    largest logit difference on the run's test sequences, and the file (None if not written)."""

    config: RunConfig
    model: GCN
    trainer: Trainer
    compact: CompactGCN
    logit_gap: float
    path: Path | None


def source_of(config: RunConfig, accuracy: float) -> dict[str, Any]:
    """What a compact file records of its run: hash, dataset, method, rate, fold, seed, accuracy."""
    return {"run": config.run_hash(), "dataset": config.dataset, "method": config.method, "rate": config.rate,
            "fold": config.fold, "seed": config.seed, "method_config": dataclasses.asdict(config)["method_config"],
            "accuracy": accuracy}  # fmt: skip


def export_run(
    run_hash: str,
    results: str | os.PathLike[str] = DEFAULT_RESULTS,
    data_root: str | None = None,
    out: str | os.PathLike[str] | None = None,
    progress: bool = False,
) -> Export:
    """Export the cached run ``run_hash``: recompute its model (:func:`trained_model`), build the compact
    model, check its logits on the run's test sequences, and write it to ``out`` when given."""
    config = stored_config(run_hash, results)
    model, trainer = trained_model(config, results, data_root, progress)
    compact = compact_model(model, source_of(config, trainer.evaluate(model)))
    gap = check_logits(model, compact, trainer.signals(trainer.test_x))
    path = None
    if out is not None:
        path = Path(out)
        compact.save(path)
    return Export(config, model, trainer, compact, gap, path)
