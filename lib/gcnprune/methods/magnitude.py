"""Magnitude pruning (MP): keep the largest-magnitude weights of the trained dense model, fine-tune."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..masks import latent_weights
from ..model import GCN
from ..train import Trainer
from .base import register
from .one_shot import OneShotPruning, ScopeConfig


@dataclass(frozen=True)
class MagnitudeConfig(ScopeConfig):
    """``scope``: one global threshold (default) or the same rate in every layer."""


@register
class Magnitude(OneShotPruning):
    """Prune the trained dense model once by magnitude, s_i = |w_i|, then fine-tune the kept weights with the
    mask fixed."""

    name = "magnitude"
    Config = MagnitudeConfig

    def scores(self, model: GCN, trainer: Trainer) -> dict[str, torch.Tensor]:
        return {name: w.detach().abs() for name, w in latent_weights(model).items()}
