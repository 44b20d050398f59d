"""One-shot pruning, "score, then mask": score every prunable weight of the trained dense model once, keep
the highest-scoring ones at the target rate, then fine-tune the kept weights with the mask fixed.

A subclass gives only the score s_i of each weight (:meth:`OneShotPruning.scores`, as ``importance_scores``
in ``torch.nn.utils.prune`` or an ``Importance`` in Torch-Pruning); the mask and the fine-tuning are shared.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from typing import Any, Literal

import torch

from ..masks import magnitude_mask, set_mask
from ..model import GCN
from ..train import Trainer
from .base import PruningMethod


@dataclass(frozen=True)
class ScopeConfig:
    """``scope``: one threshold over all layers (default) or the same rate in every layer."""

    scope: Literal["global", "layer"] = "global"

    def __post_init__(self) -> None:
        if self.scope not in ("global", "layer"):
            raise ValueError(f"scope must be 'global' or 'layer', got {self.scope!r}")


class OneShotPruning(PruningMethod):
    """Keep the c = round((1 − r) n) weights of highest score s_i (ties by position) over all layers, or each
    layer's share of them for ``scope="layer"``, then fine-tune the kept weights with the mask fixed."""

    parent_method = "dense"  # start from the trained dense model of the same fold and seed

    @abstractmethod
    def scores(self, model: GCN, trainer: Trainer) -> dict[str, torch.Tensor]:
        """The score s_i ≥ 0 of every prunable weight, by layer name (the order of ``model.prunable_layers()``);
        the higher the score, the later the weight is pruned."""

    @property
    def scope(self) -> Literal["global", "layer"]:
        """The config's ``scope``, or one global ranking for a method without that hyperparameter."""
        return getattr(self.config, "scope", "global")

    def fit(self, model: GCN, trainer: Trainer, rate: float) -> dict[str, Any]:
        set_mask(model, magnitude_mask(self.scores(model, trainer), rate, self.scope))
        trainer.fit(model, trainer.config.finetune_epochs, trainer.config.finetune_lr, desc="fine-tune")
        return {}
