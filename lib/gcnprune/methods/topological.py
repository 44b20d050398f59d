"""Topologically consistent pruning (TC), after Sahbi, "Miniaturized GCNs with Topologically Consistent
Pruning" (our reconstruction).

A kept weight is useful only if it is both accessible (its source unit is reached from the inputs)
and co-accessible (its target unit reaches an output) in the unit graph (:mod:`..unit_graph`). While
training, PFM's threshold masks m = σ(T (z + δ)), z = (|Ŵ| − τ) / s (one threshold for the network by
default, as PFM), pass through the two supervisory
networks, the forward and backward passes with the smooth step tanh(κ x), so the weights see only
consistent edges m̃ = C(m). As in PFM (:mod:`.phase_field`), the budget is an exact constraint on a
gradual rate schedule k(p), now on the consistent masks that training uses:

    min  CE(Ŵ ⊙ m̃) + λ (Σ C(m⁰) / n − k(p))²     subject to   Σ m̃ / n = k(p),

solved for δ before every step by a bracketing root finder through the consistency passes (m̃ is non-decreasing in
δ; each evaluation is the two passes of matrix-vector products, small beside a training step), with
m⁰ = σ(T z) the learned thresholds' own masks. (The paper has the penalty alone; the constraint and
schedule are our changes.) The evaluated network keeps exactly c = (1 − r) n consistent edges of
largest margin (threshold, drop dangling edges, refill).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import torch

from ..masks import Mask, kept_count, latent_weights, magnitude_mask, parametrizations, set_mask
from ..model import GCN
from ..train import Trainer, cross_entropy
from ..unit_graph import consistent, consistent_magnitude_mask, dangling_fraction, layer_shapes, smooth_step
from .base import PruningMethod, added_setting, register
from .budget import BudgetConfig, flat
from .heads import remove_heads
from .phase_field import (  # fmt: skip
    ThresholdMask,
    attach_thresholds,
    create_budget,
    margins,
    mask_statistics,
    raw_margins,
)


class ConsistentThresholdMask(ThresholdMask):
    """A threshold mask whose training-time value is set from outside, after the consistency passes."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.current: torch.Tensor | None = None

    def soft(self, latent: torch.Tensor) -> torch.Tensor:
        return super().soft(latent) if self.current is None else self.current


@dataclass(frozen=True)
class TopologicalConfig(BudgetConfig):
    """The budget's options as in PFM (:class:`.budget.BudgetConfig`; the budget term on the consistent
    masks without offset), and κ = ``kappa``, the sharpness of the surrogate step in the supervisory passes."""

    temperature_end: float = 1000.0  # higher than PFM's: the smooth passes add up the masks' sigmoid tails
    kappa: float = 10.0
    # the share of attention heads kept whole before training (head_pruning.remove_heads); all by default
    head_share: float = added_setting(1.0)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.kappa > 0:
            raise ValueError(f"kappa must be positive, got {self.kappa}")
        if not 0.0 <= self.head_share <= 1.0:
            raise ValueError(f"head_share must be in [0, 1], got {self.head_share}")


def consistent_soft_masks(
    model: GCN, kappa: float, offset: torch.Tensor | float | None = None
) -> Mapping[str, torch.Tensor]:
    """m̃ = C(m): the threshold masks at ``offset`` (the solved, shared δ if None) through the smooth passes."""
    latent = latent_weights(model)
    raw = {name: ThresholdMask.soft_at(p, latent[name], p.offset if offset is None else offset)
           for name, p in parametrizations(model).items()}  # fmt: skip
    return consistent(raw, layer_shapes(model), model.config.heads, smooth_step(kappa))


@register
class Topological(PruningMethod):
    """TC: joint training of weights and consistency-aware masks, then exactly c consistent edges."""

    name = "topological"
    version: ClassVar[int] = 2  # 2: the budget is an exact constraint on the consistent masks, on a gradual schedule
    Config = TopologicalConfig
    parent_method = "dense"

    def fit(self, model: GCN, trainer: Trainer, rate: float) -> dict[str, Any]:
        c = self.config
        if c.head_share < 1.0:
            remove_heads(model, trainer, c.head_share)
        budget = create_budget(model, rate, c)
        count = budget.count
        attach_thresholds(model, rate, c.threshold, budget, ConsistentThresholdMask)
        keep = kept_count(count, rate)
        params = parametrizations(model)
        shapes, heads = layer_shapes(model), model.config.heads

        def objective(model: GCN, x: torch.Tensor, y: torch.Tensor, progress: float) -> torch.Tensor:
            masks = consistent_soft_masks(model, c.kappa)
            for name, p in params.items():
                p.current = masks[name]
            try:
                loss = cross_entropy(model, x, y, progress)
            finally:
                for p in params.values():
                    p.current = None
            offset_free = flat(consistent_soft_masks(model, c.kappa, 0.0)).mean()
            return loss + c.budget_weight * (offset_free - budget.kept_fraction(progress)).square()

        def passes(masks: Mapping[str, torch.Tensor]) -> Mapping[str, torch.Tensor]:
            return consistent(masks, shapes, heads, smooth_step(c.kappa))

        def on_step(model: GCN, progress: float) -> None:
            budget.update(progress, raw_margins(model), passes)

        trainer.fit(
            model, trainer.config.finetune_epochs, trainer.config.finetune_lr, objective, on_step, desc=self.name
        )
        budget.solve(budget.kept_fraction(1.0), raw_margins(model), passes)  # the budget at the final weights
        latent = latent_weights(model)
        with torch.no_grad():
            soft = flat(consistent_soft_masks(model, c.kappa))
        hard = Mask(consistent_magnitude_mask(margins(model), keep, shapes, heads))
        set_mask(model, hard)
        plain = magnitude_mask(latent, rate, "global")
        return {
            **mask_statistics(soft, flat(hard)),
            "final_offsets": {name: float(d) for name, d in budget.offsets.items()},
            "magnitude_dangling_fraction": dangling_fraction(plain, shapes, heads),
        }
