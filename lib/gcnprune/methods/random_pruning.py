"""Random pruning at an exact rate: the sanity floor that any pruning criterion must beat.

Every prunable weight of the trained dense network gets a score drawn uniformly at random with the run's
seeded generator; the c = round((1 − r) n) highest scores are kept, and the kept weights are fine-tuned
like magnitude pruning's. Each layer keeps (1 − r) of its weights on average.
"""

from __future__ import annotations

from typing import Any

import torch

from ..masks import latent_weights, magnitude_mask, set_mask
from ..model import GCN
from ..train import Trainer
from .base import PruningMethod, register


@register
class RandomPruning(PruningMethod):
    """Keep a uniformly random set of exactly c weights of the trained dense model, then fine-tune."""

    name = "random"
    parent_method = "dense"

    def fit(self, model: GCN, trainer: Trainer, rate: float) -> dict[str, Any]:
        scores = {name: torch.rand(w.shape, generator=trainer.generator) for name, w in latent_weights(model).items()}
        set_mask(model, magnitude_mask(scores, rate))
        trainer.fit(model, trainer.config.finetune_epochs, trainer.config.finetune_lr, desc="fine-tune")
        return {}
