"""Magnitude pruning (MP): keep the largest-magnitude weights of the trained dense model, fine-tune."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ..masks import latent_weights, magnitude_mask, set_mask
from ..model import GCN
from ..train import Trainer
from .base import PruningMethod, register


@dataclass(frozen=True)
class MagnitudeConfig:
    """``scope``: one global threshold (default) or the same rate in every layer."""

    scope: Literal["global", "layer"] = "global"

    def __post_init__(self) -> None:
        if self.scope not in ("global", "layer"):
            raise ValueError(f"scope must be 'global' or 'layer', got {self.scope!r}")


@register
class Magnitude(PruningMethod):
    """Prune the trained dense model once by magnitude, then fine-tune the kept weights with the mask fixed."""

    name = "magnitude"
    Config = MagnitudeConfig
    parent_method = "dense"

    def fit(self, model: GCN, trainer: Trainer, rate: float) -> dict[str, Any]:
        set_mask(model, magnitude_mask(latent_weights(model), rate, self.config.scope))
        trainer.fit(model, trainer.config.finetune_epochs, trainer.config.finetune_lr, desc="fine-tune")
        return {}
