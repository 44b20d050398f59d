"""Topologically consistent pruning (TC), after Sahbi, "Miniaturized GCNs with Topologically Consistent
Pruning" (our reconstruction).

A kept weight is useful only if it is both accessible (its source unit is reached from the inputs)
and co-accessible (its target unit reaches an output) in the unit graph (:mod:`..unit_graph`). While
training, PFM's threshold masks m = σ(T (|Ŵ| − τ_l) / s_l) pass through the two supervisory networks, the
forward and backward passes with the smooth step tanh(κ x), so the weights see, and the budget term
λ (Σ m̃ / n − (1 − r))² counts, only consistent edges m̃. The evaluated network keeps exactly
c = (1 − r) n consistent edges of largest margin (|Ŵ| − τ_l) / s_l (threshold, drop dangling edges, refill).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import torch

from ..masks import Mask, latent_weights, parametrizations, set_mask
from ..model import GCN
from ..train import Trainer, cross_entropy
from ..unit_graph import consistent, consistent_magnitude_mask, dangling_fraction, layer_shapes, smooth_step
from .annealing import Annealing
from .base import PruningMethod, register
from .magnitude import kept_count, magnitude_mask
from .phase_field import ThresholdMask, attach_thresholds, margins, mask_statistics


class ConsistentThresholdMask(ThresholdMask):
    """A threshold mask whose training-time value is set from outside, after the consistency passes."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.current: torch.Tensor | None = None

    def soft(self, latent: torch.Tensor) -> torch.Tensor:
        return super().soft(latent) if self.current is None else self.current


@dataclass(frozen=True)
class TopologicalConfig:
    """λ = ``budget_weight``; κ = ``kappa``, the sharpness of the surrogate step in the supervisory
    passes; thresholds per ``layer`` or one per ``network``, as in PFM; the temperature rises
    geometrically from ``temperature_start`` to ``temperature_end``."""

    budget_weight: float = 1000.0
    kappa: float = 10.0
    threshold: Literal["network", "layer"] = "layer"
    temperature_start: float = 1.0
    temperature_end: float = 200.0

    def __post_init__(self) -> None:
        if not (self.budget_weight >= 0 and self.kappa > 0):
            raise ValueError("budget_weight must be non-negative and kappa positive")
        if self.threshold not in ("network", "layer"):
            raise ValueError(f"threshold must be 'network' or 'layer', got {self.threshold!r}")
        Annealing(self.temperature_start, self.temperature_end)


def consistent_soft_masks(model: GCN, kappa: float) -> dict[str, torch.Tensor]:
    """The raw threshold masks passed through the smooth forward and backward passes."""
    latent = latent_weights(model)
    raw = {name: ThresholdMask.soft(p, latent[name]) for name, p in parametrizations(model).items()}
    return consistent(raw, layer_shapes(model), model.config.heads, smooth_step(kappa))


@register
class Topological(PruningMethod):
    """TC: joint training of weights and consistency-aware masks, then exactly c consistent edges."""

    name = "topological"
    Config = TopologicalConfig
    pretrained = True

    def fit(self, model: GCN, trainer: Trainer, rate: float) -> dict[str, Any]:
        c = self.config
        annealing = Annealing(c.temperature_start, c.temperature_end)
        temperature = torch.tensor(annealing.start)
        count = attach_thresholds(model, rate, c.threshold, temperature, ConsistentThresholdMask)
        keep = kept_count(count, rate)
        params = parametrizations(model)

        def objective(model: GCN, x: torch.Tensor, y: torch.Tensor, progress: float) -> torch.Tensor:
            masks = consistent_soft_masks(model, c.kappa)
            for name, p in params.items():
                p.current = masks[name]
            try:
                loss = cross_entropy(model, x, y, progress)
            finally:
                for p in params.values():
                    p.current = None
            kept = torch.cat([m.flatten() for m in masks.values()]).mean()
            return loss + c.budget_weight * (kept - keep / count).square()

        def on_step(model: GCN, progress: float) -> None:
            temperature.fill_(annealing.at(progress))

        trainer.fit(model, trainer.config.finetune_epochs, trainer.config.finetune_lr, objective, on_step, desc=self.name)
        latent = latent_weights(model)
        shapes, heads = layer_shapes(model), model.config.heads
        with torch.no_grad():
            soft = torch.cat([m.flatten() for m in consistent_soft_masks(model, c.kappa).values()])
        hard = Mask(consistent_magnitude_mask(margins(model), keep, shapes, heads))
        set_mask(model, hard)
        plain = magnitude_mask(latent, rate, "global")
        return {**mask_statistics(soft, torch.cat([m.flatten() for m in hard.values()])),
                "magnitude_dangling_fraction": dangling_fraction(plain, shapes, heads)}  # fmt: skip
