"""Head-aware magnitude pruning: remove whole attention heads, then prune the rest by magnitude.

A head's weights are few, but its time is not: each head costs its own attention products (a joints × joints matrix
and its softmax per sample), whatever its weight count, so a network that keeps a few weights in every head is small
and still slow. Here the network keeps a share of its attention heads (the fixed adjacency head always stays),
``head_share`` (:func:`kept_heads`); every query, key and value row of the others is pruned, so that export
removes those heads entirely (:mod:`gcnprune.deploy.compaction`), and the c = round((1 − r) n) largest |w| of what
remains are kept, so that the rate stays exact. Which heads stay is an :func:`head_importance` apart from the
pruner, as Torch-Pruning keeps its ``Importance``: the rise of the training loss when the head's rows are pruned
alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..masks import latent_weights
from ..model import GCN
from ..train import Trainer
from .base import register
from .one_shot import OneShotPruning, ScopeConfig

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


def kept_heads(share: float, heads: int) -> int:
    """How many of ``heads`` attention heads a ``share`` keeps: round(share · heads), at least one unless the share
    is 0 (no attention head: the fixed adjacency head alone)."""
    return 0 if share == 0 else max(1, round(share * heads))


@dataclass(frozen=True)
class HeadPruningConfig(ScopeConfig):
    """``head_share``: the share of the network's attention heads kept (:func:`kept_heads`; a quarter, 4 of 16
    heads, by default: a share reads the same on every profile's network); ``scope``: one magnitude threshold over
    the remaining weights (default) or the same rate in every layer."""

    head_share: float = 0.25

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0.0 <= self.head_share <= 1.0:
            raise ValueError(f"head_share (the share of attention heads kept) must be in [0, 1], got {self.head_share}")


@register
class HeadPruning(OneShotPruning):
    """Keep the ``head_share`` most important attention heads (:func:`head_importance`), prune every weight of the
    others, keep the largest |w| of the rest at the exact rate, then fine-tune with the mask fixed."""

    name = "head_magnitude"
    Config = HeadPruningConfig

    def scores(self, model: GCN, trainer: Trainer) -> dict[str, torch.Tensor]:
        keep = kept_heads(self.config.head_share, model.config.heads)
        dropped = torch.argsort(head_importance(model, trainer), descending=True)[keep:]
        scores = {name: w.detach().abs() for name, w in latent_weights(model).items()}
        for head in dropped.tolist():
            for name in HEAD_LAYERS:
                scores[name][head_rows(model, head)] = 0.0  # ranked below every remaining weight
        return scores
