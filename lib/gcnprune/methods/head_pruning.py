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

from ..masks import latent_weights
from ..model import GCN
from ..train import Trainer
from .base import register
from .heads import HEAD_LAYERS, head_importance, head_rows, kept_heads
from .one_shot import OneShotPruning, ScopeConfig

__all__ = ["HEAD_LAYERS", "HeadPruning", "HeadPruningConfig", "head_importance", "head_rows", "kept_heads"]


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
