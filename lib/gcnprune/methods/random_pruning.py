"""Random pruning at an exact rate: the sanity floor that any pruning criterion must beat.

Every prunable weight of the trained dense network gets a score s_i ~ U[0, 1) drawn with the run's seeded
generator; the c = round((1 − r) n) highest scores are kept, and the kept weights are fine-tuned like
magnitude pruning's. Each layer keeps (1 − r) of its weights on average.
"""

from __future__ import annotations

import torch

from ..masks import latent_weights
from ..model import GCN
from ..train import Trainer
from .base import register
from .one_shot import OneShotPruning


@register
class RandomPruning(OneShotPruning):
    """Keep a uniformly random set of exactly c weights of the trained dense model, then fine-tune."""

    name = "random"

    def scores(self, model: GCN, trainer: Trainer) -> dict[str, torch.Tensor]:
        return {name: torch.rand(w.shape, generator=trainer.generator) for name, w in latent_weights(model).items()}
