"""SNIP's connection sensitivity |g ⊙ w| (Lee et al., 2019), scored here on the trained dense network.

Our reconstruction for the book's tutorial (notebooks/write-your-own-method.md): SNIP scores each weight
by how much the loss would change if it were removed, to first order, on one batch: s_i = |∂L/∂w_i · w_i|.
The paper scores the network at initialisation and trains the pruned one from scratch; here, to compare
with magnitude pruning at equal cost, it scores the trained dense network and fine-tunes like MP does.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..masks import latent_weights
from ..model import GCN
from ..train import Trainer, cross_entropy
from .base import register
from .one_shot import OneShotPruning, ScopeConfig


@dataclass(frozen=True)
class SnipConfig(ScopeConfig):
    """``scope``: one threshold over all layers (default) or the same rate in every layer."""


def connection_sensitivity(model: GCN, trainer: Trainer) -> dict[str, torch.Tensor]:
    """|∂L/∂w ⊙ w| of every prunable weight, the loss L taken on one batch of training sequences drawn
    with the run's seeded generator (no augmentation, no dropout, so the scores are reproducible)."""
    batch = torch.randperm(len(trainer.train_y), generator=trainer.generator)[: trainer.config.batch_size]
    weights = latent_weights(model)
    model.eval()  # dropout off: the scores depend on the batch only
    model.zero_grad(set_to_none=True)
    cross_entropy(model, trainer.signals(trainer.train_x[batch]), trainer.train_y[batch], 0.0).backward()
    scores = {name: (w.grad * w).abs().detach() for name, w in weights.items()}
    model.zero_grad(set_to_none=True)
    return scores


@register
class Snip(OneShotPruning):
    """Keep the weights of largest connection sensitivity on the trained dense model, then fine-tune."""

    name = "snip"
    Config = SnipConfig

    def scores(self, model: GCN, trainer: Trainer) -> dict[str, torch.Tensor]:
        return connection_sensitivity(model, trainer)
