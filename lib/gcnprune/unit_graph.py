"""The GCN as a layered graph of units, and which kept weights are useful in it.

Every prunable weight is an edge from an input unit to an output unit of its layer (a Linear weight
of shape (out, in) is the adjacency of those units). Our mapping for the GCN:

- ``query``, ``key``, ``value``, ``adjacency_value``: from the F input features to the channels of
  each head (H·d for the three projections, d for the fixed adjacency head);
- ``graph_conv.linear``: from the C = (H + 1)·d concatenated value channels (the values and the
  adjacency head; attention mixes joints, not channels) to the G graph-convolution channels;
- ``hidden``: from the n·G flattened (joint, channel) units to the hidden units; unit (j, g) is
  reached whenever channel g is, because Â has self loops;
- ``classifier``: from the hidden units to the classes (all kept unless it is prunable).

A value channel reaches the concatenation whatever the attention (a head with dead queries or keys
still averages its values uniformly), so the attention branch only matters through its scores, and
only while head k still carries some useful value channel. A query channel (k, c) whose key channel is
unreached is useless: the key is then its bias alone, which adds the same amount to every score of a
row, and softmax ignores that. The converse does not hold: a key channel whose query is unreached
still meets the query's bias, which weights it differently for every column.

An edge is *accessible* when its source unit is reached from the inputs through kept edges (forward
pass α_l = step(M_l α_{l−1})) and *co-accessible* when its target unit reaches an output (backward
pass β_{l−1} = step(M_lᵀ β_l)); the consistent mask is M_l ⊙ (β_l α_{l−1}ᵀ). With the hard step 1[x > 0]
this finds the dangling edges; with a smooth surrogate such as tanh(κ x) it is differentiable.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

Step = Callable[[torch.Tensor], torch.Tensor]
PROJECTIONS = ("attention.query", "attention.key", "attention.value", "attention.adjacency_value")


def hard_step(x: torch.Tensor) -> torch.Tensor:
    return (x > 0).float()


def smooth_step(kappa: float) -> Step:
    """tanh(κ x): a differentiable surrogate of 1[x > 0] for non-negative x."""
    return lambda x: torch.tanh(kappa * x)


def _mask(masks: Mapping[str, torch.Tensor], shapes: Mapping[str, tuple[int, int]], name: str) -> torch.Tensor:
    return masks[name] if name in masks else torch.ones(shapes[name])


def unit_states(
    masks: Mapping[str, torch.Tensor], shapes: Mapping[str, tuple[int, int]], heads: int, step: Step = hard_step
) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """Per layer, the accessibility of its input units (α) and the co-accessibility of its output units (β).

    ``shapes`` gives every weight's (out, in) shape, including unprunable layers (taken as all kept).
    """
    m = {name: _mask(masks, shapes, name) for name in shapes}
    adjacency_head = "attention.adjacency_value" in shapes
    features = shapes["attention.query"][1]
    graph_channels = shapes["graph_conv.linear"][0]
    joints = shapes["hidden"][1] // graph_channels

    alpha_in = torch.ones(features)
    reach = {name: step(m[name] @ alpha_in) for name in PROJECTIONS if name in shapes}
    alpha_concat = torch.cat(
        [reach["attention.value"]] + ([reach["attention.adjacency_value"]] if adjacency_head else [])
    )
    alpha_graph = step(m["graph_conv.linear"] @ alpha_concat)
    alpha_flat = alpha_graph.repeat(joints)
    alpha_hidden = step(m["hidden"] @ alpha_flat)

    beta_hidden = step(m["classifier"].T @ torch.ones(shapes["classifier"][0]))
    beta_flat = step(m["hidden"].T @ beta_hidden)
    beta_graph = step(beta_flat.view(joints, graph_channels).sum(dim=0))
    beta_concat = step(m["graph_conv.linear"].T @ beta_graph)
    value_channels = shapes["attention.value"][0]
    beta_value = beta_concat[:value_channels]
    head_alive = step((reach["attention.value"] * beta_value).view(heads, -1).sum(dim=1))
    alive = head_alive.repeat_interleave(value_channels // heads)

    alpha = {name: alpha_in for name in PROJECTIONS if name in shapes}
    alpha.update({"graph_conv.linear": alpha_concat, "hidden": alpha_flat, "classifier": alpha_hidden})
    beta = {"attention.query": reach["attention.key"] * alive, "attention.key": alive,
            "attention.value": beta_value, "graph_conv.linear": beta_graph, "hidden": beta_hidden,
            "classifier": torch.ones(shapes["classifier"][0])}  # fmt: skip
    if adjacency_head:
        beta["attention.adjacency_value"] = beta_concat[value_channels:]
    return alpha, beta


def consistent(
    masks: Mapping[str, torch.Tensor], shapes: Mapping[str, tuple[int, int]], heads: int, step: Step = hard_step
) -> OrderedDict[str, torch.Tensor]:
    """M_l ⊙ (β_l α_{l−1}ᵀ) for every masked layer; with the hard step, repeated until nothing changes."""
    current = OrderedDict(masks)
    while True:
        alpha, beta = unit_states(current, shapes, heads, step)
        updated = OrderedDict((name, mask * torch.outer(beta[name], alpha[name])) for name, mask in current.items())
        if step is not hard_step or all(torch.equal(updated[n], current[n]) for n in current):
            return updated
        current = updated


def dangling_fraction(masks: Mapping[str, torch.Tensor], shapes: Mapping[str, tuple[int, int]], heads: int) -> float:
    """Fraction of the kept weights that are not both accessible and co-accessible."""
    kept = sum(float(m.sum()) for m in masks.values())
    useful = sum(float(m.sum()) for m in consistent(masks, shapes, heads).values())
    return 0.0 if kept == 0 else 1.0 - useful / kept


def consistent_magnitude_mask(
    scores: Mapping[str, torch.Tensor], keep: int, shapes: Mapping[str, tuple[int, int]], heads: int
) -> OrderedDict[str, torch.Tensor]:
    """Exactly ``keep`` consistent edges, largest scores first: threshold, drop dangling edges, refill.

    Keeping the top t scores and dropping their dangling edges leaves a consistent set that only
    grows with t, so a bisection finds the largest t whose consistent set fits in ``keep``. Its deficit
    is refilled with the largest-scoring edges whose source is reached and whose target reaches an
    output: each such edge is consistent and cannot make another one dangling.
    """
    names = list(scores)
    sizes = [scores[n].numel() for n in names]
    flat = torch.cat([scores[n].flatten() for n in names])
    if not 0 < keep <= len(flat):
        raise ValueError(f"cannot keep {keep} of {len(flat)} weights")
    order = torch.sort(flat, descending=True, stable=True).indices

    def unflatten(chosen: torch.Tensor) -> OrderedDict[str, torch.Tensor]:
        return OrderedDict((n, part.view_as(scores[n])) for n, part in zip(names, torch.split(chosen, sizes)))

    def top(t: int) -> OrderedDict[str, torch.Tensor]:
        chosen = torch.zeros(len(flat))
        chosen[order[:t]] = 1.0
        return consistent(unflatten(chosen), shapes, heads)

    def count(masks: Mapping[str, torch.Tensor]) -> int:
        return int(sum(float(m.sum()) for m in masks.values()))

    lo, hi = keep, len(flat)  # count(top(lo)) <= keep; find the largest such t
    if count(top(hi)) <= keep:
        lo = hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if count(top(mid)) <= keep else (lo, mid)
    masks = refill(top(lo), flat, keep, shapes, heads, unflatten)
    if masks is None:  # a single edge revived more than the budget: shrink the larger set instead
        masks = top(hi)
        while count(masks) > keep:
            chosen = torch.cat([m.flatten() for m in masks.values()])
            ranked = torch.sort(torch.where(chosen > 0, flat, torch.full_like(flat, torch.inf)), stable=True).indices
            ranked = ranked[: int(chosen.sum())]
            # drop the whole surplus at once, else the lowest edge that is not a bridge to everything
            attempts = [ranked[: count(masks) - keep]] + [ranked[i : i + 1] for i in range(len(ranked))]
            for drop in attempts:
                trial = chosen.clone()
                trial[drop] = 0.0
                smaller = consistent(unflatten(trial), shapes, heads)
                if count(smaller) >= keep:
                    masks = smaller
                    break
                if (filled := refill(smaller, flat, keep, shapes, heads, unflatten)) is not None:
                    return filled
            else:
                raise ValueError(f"no consistent network keeps exactly {keep} weights here")
    return masks


def refill(
    masks: Mapping[str, torch.Tensor],
    flat: torch.Tensor,
    keep: int,
    shapes: Mapping[str, tuple[int, int]],
    heads: int,
    unflatten: Callable[[torch.Tensor], OrderedDict[str, torch.Tensor]],
) -> OrderedDict[str, torch.Tensor] | None:
    """Add the largest-scoring edges that are consistent as they are until ``keep`` are kept; None if too few."""
    have = int(sum(float(m.sum()) for m in masks.values()))
    if have == keep:
        return OrderedDict(masks)
    alpha, beta = unit_states(masks, shapes, heads)
    eligible = torch.cat([((1 - m) * torch.outer(beta[n], alpha[n])).flatten() for n, m in masks.items()]).bool()
    if int(eligible.sum()) < keep - have:
        return None
    chosen = torch.cat([m.flatten() for m in masks.values()])
    candidates = torch.where(eligible, flat, torch.full_like(flat, -torch.inf))
    chosen[torch.sort(candidates, descending=True, stable=True).indices[: keep - have]] = 1.0
    return unflatten(chosen)


def layer_shapes(model: torch.nn.Module) -> OrderedDict[str, tuple[int, int]]:
    """(out, in) of every weight of the GCN's unit graph, prunable or not."""
    names = [*PROJECTIONS, "graph_conv.linear", "hidden", "classifier"]
    out = OrderedDict()
    for name in names:
        module = model.attention.adjacency_value if name == "attention.adjacency_value" else model.get_submodule(name)
        if module is not None:
            out[name] = tuple(module.weight.shape)
    return out


@dataclass(frozen=True)
class UnitEdge:
    """A kept weight (or, from a graph channel to a hidden unit, its weights at every joint, which share one
    status) between ``source`` in column ``column`` and ``target`` in the next column of a :class:`UnitLayout`."""

    column: int
    source: int
    target: int
    useful: bool
    weights: int  # how many kept weights the edge stands for


@dataclass(frozen=True)
class UnitLayout:
    """The unit graph of a masked GCN as columns of units, left to right: input features, the projection
    channels grouped by head (Q_k, K_k, V_k of each head, then the adjacency head's channels), the
    concatenated heads (the value and adjacency channels themselves), graph-convolution channels, hidden
    units, classes; a unit is alive when a useful kept weight reaches it and it reaches an output."""

    sizes: tuple[int, ...]  # units per column
    alive: tuple[np.ndarray, ...]  # per column, which units are alive
    edges: tuple[UnitEdge, ...]  # the prunable layers' kept weights
    same_unit: tuple[tuple[int, int], ...]  # (projection channel, concatenated unit): one unit in two columns
    reached_hidden: tuple[int, ...]  # hidden units reached from the inputs (the classifier's weights from them act)
    blocks: tuple[tuple[str, tuple[int, ...]], ...]  # (Q1, K1, V1, ..., A) → its rows in the projection column
    joints: int

    def kept(self, useful: bool | None = None) -> int:
        """Kept prunable weights: all, or only the useful (True) or dangling (False) ones."""
        return sum(e.weights for e in self.edges if useful is None or e.useful == useful)


def unit_layout(masks: Mapping[str, Any], shapes: Mapping[str, tuple[int, int]], heads: int) -> UnitLayout:
    """The :class:`UnitLayout` of a network under ``masks`` (tensors or arrays, by layer name)."""
    masks = {n: torch.as_tensor(m, dtype=torch.float32) for n, m in masks.items()}
    useful = consistent(masks, shapes, heads)
    alpha, beta = unit_states(masks, shapes, heads)
    features, d = shapes["attention.query"][1], shapes["attention.query"][0] // heads
    adjacency = "attention.adjacency_value" in shapes
    graph, hidden, classes = shapes["graph_conv.linear"][0], shapes["hidden"][0], shapes["classifier"][0]
    joints = shapes["hidden"][1] // graph
    proj: list[tuple[str, int]] = []
    for k in range(heads):
        for name in PROJECTIONS[:3]:
            proj += [(name, k * d + c) for c in range(d)]
    proj += [("attention.adjacency_value", c) for c in range(d)] if adjacency else []
    concat = [("attention.value", i) for i in range(heads * d)]
    concat += [("attention.adjacency_value", c) for c in range(d)] if adjacency else []
    proj_index = {unit: i for i, unit in enumerate(proj)}

    edges = []
    for name in PROJECTIONS:
        if name in masks:
            for o, i in zip(*torch.nonzero(masks[name], as_tuple=True)):
                edges.append(UnitEdge(0, int(i), proj_index[(name, int(o))], bool(useful[name][o, i] > 0), 1))
    for o, i in zip(*torch.nonzero(masks["graph_conv.linear"], as_tuple=True)):
        edges.append(UnitEdge(2, int(i), int(o), bool(useful["graph_conv.linear"][o, i] > 0), 1))
    kept, good = masks["hidden"].view(hidden, joints, graph), useful["hidden"].view(hidden, joints, graph)
    for h in range(hidden):
        for g in range(graph):
            if n_kept := int(kept[h, :, g].sum()):
                edges.append(UnitEdge(3, g, h, bool(int(good[h, :, g].sum())), n_kept))

    touched_in = torch.zeros(features)
    for name in PROJECTIONS:
        if name in useful:
            touched_in += useful[name].sum(dim=0)
    proj_alive = [bool(useful[name][c].sum() > 0) for name, c in proj]
    graph_alive = (useful["graph_conv.linear"].sum(dim=1) > 0) & (beta["graph_conv.linear"] > 0)
    hidden_alive = (alpha["classifier"] > 0) & (beta["hidden"] > 0)
    alive = (
        np.asarray(touched_in > 0),
        np.asarray(proj_alive),
        np.asarray([proj_alive[proj_index[u]] for u in concat]),
        graph_alive.cpu().numpy(),
        hidden_alive.cpu().numpy(),
        np.full(classes, bool(hidden_alive.any())),
    )
    blocks = [
        (f"{short}{k + 1}", name, k * d)
        for k in range(heads)
        for short, name in (("Q", "attention.query"), ("K", "attention.key"), ("V", "attention.value"))
    ]
    blocks += [("A", "attention.adjacency_value", 0)] if adjacency else []
    return UnitLayout(
        sizes=(features, len(proj), len(concat), graph, hidden, classes), alive=alive, edges=tuple(edges),
        same_unit=tuple((proj_index[u], j) for j, u in enumerate(concat)),
        reached_hidden=tuple(h for h in range(hidden) if alpha["classifier"][h] > 0),
        blocks=tuple((text, tuple(proj_index[(name, first + c)] for c in range(d))) for text, name, first in blocks),
        joints=joints,
    )  # fmt: skip
