"""Attention heads as units: which rows of the projections are a head's, how much each head matters to the trained
network (:func:`head_importance`, apart from any pruner, as Torch-Pruning keeps its ``Importance``), and removing
whole heads before a method trains (:func:`remove_heads`)."""

from __future__ import annotations

import torch
from torch import nn

from ..model import GCN
from ..train import Trainer

HEAD_LAYERS = ("attention.query", "attention.key", "attention.value")


def head_rows(model: GCN, head: int) -> slice:
    """The rows of the query, key and value projections that belong to attention head ``head``."""
    d = model.config.head_channels
    return slice(head * d, (head + 1) * d)


@torch.no_grad()
def head_importance(model: GCN, trainer: Trainer) -> torch.Tensor:
    """Each attention head's importance: the training set's cross-entropy (evaluation mode, no augmentation) with
    the head's query, key and value rows zeroed, less the loss of the whole network; one value per head."""
    was_training = model.training
    model.eval()
    signals, labels = trainer.signals(trainer.train_x), trainer.train_y
    base = nn.functional.cross_entropy(model(signals), labels)
    layers = [model.get_submodule(name) for name in HEAD_LAYERS]
    rises = []
    for head in range(model.config.heads):
        rows = head_rows(model, head)
        saved = [layer.weight[rows].clone() for layer in layers]
        for layer in layers:
            layer.weight[rows] = 0.0
        rises.append(float(nn.functional.cross_entropy(model(signals), labels) - base))
        for layer, weight in zip(layers, saved):
            layer.weight[rows] = weight
    model.train(was_training)
    return torch.tensor(rises)


def remove_heads(model: GCN, trainer: Trainer, share: float) -> list[int]:
    """Prune whole attention heads before another method trains (its ``head_share`` option): keep ``share`` of the
    heads by :func:`head_importance`, zero every query, key and value row of the others and keep them zero (their
    gradients are masked, so Adam never moves them), so that the method's exact rate prunes them first and export
    removes them. Call it on the unmasked model, before the method attaches its masks; returns the pruned heads."""
    keep = kept_heads(share, model.config.heads)
    dropped = torch.argsort(head_importance(model, trainer), descending=True)[keep:].tolist()
    alive = torch.ones(model.config.heads * model.config.head_channels, 1)
    for head in dropped:
        alive[head_rows(model, head)] = 0.0
    for name in HEAD_LAYERS:
        weight = model.get_submodule(name).weight
        with torch.no_grad():
            weight.mul_(alive.to(weight))
        weight.register_hook(lambda grad, alive=alive: grad * alive.to(grad))
    return dropped


def kept_heads(share: float, heads: int) -> int:
    """How many of ``heads`` attention heads a ``share`` keeps: round(share · heads), at least one unless the share
    is 0 (no attention head: the fixed adjacency head alone)."""
    return 0 if share == 0 else max(1, round(share * heads))
