"""Where the GCN's parameters and multiply-adds sit, layer by layer, measured on a forward pass, and what
a pruning mask leaves of each layer's weights and units.

Multiply-adds are counted by torch's FLOP counter (two FLOPs per multiply-add) on a forward pass, per
sequence: the products with weights and the parameter-free products (attention A_k = softmax(QKᵀ/√d),
its mixing A_k V, the skeleton head's Â U W^A and the graph convolution's Â H W) each get their own row;
biases, softmax and ReLU are left out, as in :func:`gcnprune.deploy.bench.gcn_macs`, whose total they match.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import torch
from torch.utils.flop_counter import FlopCounterMode

from gcnprune.masks import magnitude_mask
from gcnprune.model import GCN
from gcnprune.unit_graph import PROJECTIONS

# rows without parameters: what a module computes beyond its children, named for the reader
PRODUCTS = {"attention": "attention products (QKᵀ, A V, Â U)", "graph_conv": "graph mixing (Â H)"}


def _flops(counts: Mapping[str, Mapping[object, int]], root: str, name: str) -> int:
    return sum(counts.get(f"{root}.{name}", {}).values())


def layer_costs(model: GCN, inputs: torch.Tensor | None = None) -> pd.DataFrame:
    """One row per layer in forward order: its weight shape (out × in), parameters (weights and biases),
    multiply-adds per sequence counted on a forward pass of ``inputs`` (None: one sequence of zeros, as
    only shapes matter), whether its weights are prunable, and its shares (%) of the network's totals."""
    joints, features = model.graph_conv.adjacency.shape[0], model.attention.query.in_features
    inputs = torch.zeros(1, joints, features) if inputs is None else inputs
    if inputs.dim() != 3 or tuple(inputs.shape[1:]) != (joints, features):
        raise ValueError(f"inputs must be (sequences, {joints} joints, {features} features), got {tuple(inputs.shape)}")
    was_training = model.training
    model.eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(inputs)
    model.train(was_training)
    counts, root, per = counter.get_flop_counts(), type(model).__name__, 2 * len(inputs)
    prunable = model.prunable_layers()
    layers = [
        name
        for name in PROJECTIONS
        if name != "attention.adjacency_value" or model.attention.adjacency_value is not None
    ]
    rows = []
    for name in [*layers, "attention", "graph_conv.linear", "graph_conv", "hidden", "classifier"]:
        if name in PRODUCTS:
            children = layers if name == "attention" else ["graph_conv.linear"]
            macs = _flops(counts, root, name) - sum(_flops(counts, root, child) for child in children)
            rows.append((PRODUCTS[name], "", 0, macs // per, False))
            continue
        layer = model.attention.adjacency_value if name == "attention.adjacency_value" else model.get_submodule(name)
        out, inp = layer.weight.shape
        rows.append((name, f"{out} × {inp}", out * inp + out, _flops(counts, root, name) // per, name in prunable))
    table = pd.DataFrame(rows, columns=["layer", "weights (out × in)", "parameters", "multiply-adds", "prunable"])
    if table["multiply-adds"].sum() * per != counter.get_total_flops():
        raise AssertionError("the layers' multiply-adds do not add up to the forward pass's: a layer is not counted")
    for column in ("parameters", "multiply-adds"):
        table[f"{column} (%)"] = 100 * table[column] / table[column].sum()
    return table.set_index("layer")


def kept_units(masks: Mapping[str, torch.Tensor]) -> pd.DataFrame:
    """Per masked layer: the share (%) of its weights kept, and how many of its output units (rows) and
    input units (columns) keep at least one weight: a unit with none is removed whole, with every
    multiply-add it costs; a unit with one kept weight costs a full row of a dense implementation."""
    rows = []
    for name, m in masks.items():
        rows.append((name, 100 * float(m.mean()), int((m.sum(dim=1) > 0).sum()), m.shape[0],
                     int((m.sum(dim=0) > 0).sum()), m.shape[1]))  # fmt: skip
    table = pd.DataFrame(rows, columns=["layer", "weights kept (%)", "output units left", "output units",
                                        "input units left", "input units"])  # fmt: skip
    return table.set_index("layer")


def pruning_patterns(weights: Mapping[str, torch.Tensor], rate: float) -> pd.DataFrame:
    """:func:`kept_units` of global and of per-layer magnitude pruning of ``weights`` at ``rate``, side by
    side (columns "MP, global" and "MP, layer"), with each layer's output units."""
    patterns = {scope: kept_units(magnitude_mask(weights, rate, scope)) for scope in ("global", "layer")}
    shown = ["weights kept (%)", "output units left"]
    return pd.concat({f"MP, {scope}": units[shown] for scope, units in patterns.items()}
                     | {"": patterns["global"][["output units"]]}, axis=1)  # fmt: skip
