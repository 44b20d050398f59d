"""The unpruned baseline: train the dense GCN."""

from __future__ import annotations

from typing import Any

from ..model import GCN
from ..train import Trainer
from .base import PruningMethod, register


@register
class Dense(PruningMethod):
    """Train every weight for ``epochs``; the reference every pruned network is compared with."""

    name = "dense"
    rate_zero_only = True
    keeps_weights = True

    def fit(self, model: GCN, trainer: Trainer, rate: float) -> dict[str, Any]:
        if rate != 0:
            raise ValueError(f"the dense method prunes nothing; its rate must be 0, got {rate}")
        trainer.fit(model, trainer.config.epochs, trainer.config.lr, desc="dense")
        return {}
