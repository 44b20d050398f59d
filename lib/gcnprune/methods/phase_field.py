"""Phase-field pruning (PFM), after Sahbi, "Training Lightweight GCNs with Phase-field Models" (our reconstruction).

Masks and weights share latent weights Ŵ: m = σ(T (|Ŵ| − τ_l) / s_l), with learned thresholds τ_l, a
temperature T annealed upward and s_l the mean |Ŵ_l| at the start (so T has no units). By default each
layer has its own threshold and scale: default initialisations give layers weights of very different
sizes, and one network-wide threshold would empty the layers with the smallest ones. The loss is

    CE + λ (Σ m / n − (1 − r))² + μ Σ Φ(m) / n,

where the budget term couples all entries to enforce the rate and the "ultra-local" phase-field
potential Φ(u) = u² (1 − u)² has two wells, at 0 and 1, that split the entries into two phases. The
staple-regularizer baselines train the same way with Φ replaced (:mod:`.regularizers`). The evaluated
network keeps the c = (1 − r) n entries of largest margin (|Ŵ| − τ_l) / s_l, the order of the soft
mask itself (the largest |Ŵ| for a network-wide threshold), so its rate is exactly r.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
import torch
from torch import nn

from ..masks import Mask, MaskParametrization, attach, latent_weights, parametrizations, set_mask, soft_masks
from ..model import GCN
from ..train import Trainer, cross_entropy
from .annealing import Annealing
from .base import PruningMethod, register
from .magnitude import kept_count, magnitude_mask
from .regularizers import POTENTIALS

HISTOGRAM_AT = (0.05, 0.5, 0.95)  # training progress at which mask histograms are recorded
HISTOGRAM_BINS = 20


class ThresholdMask(MaskParametrization):
    """m = σ(T (|Ŵ| − τ) / s): near 1 above the threshold τ, near 0 below it, sharper as T grows."""

    def __init__(self, shape: torch.Size, threshold: nn.Parameter, temperature: torch.Tensor, scale: float) -> None:
        super().__init__(shape)
        self.threshold = threshold
        self.temperature = temperature  # shared with the method, which anneals it in place
        self.scale = scale

    def soft(self, latent: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.temperature * (latent.abs() - self.threshold) / self.scale)

    def margin(self, latent: torch.Tensor) -> torch.Tensor:
        """(|Ŵ| − τ) / s: the soft mask's order, by which the hard mask keeps entries."""
        return (latent.detach().abs() - self.threshold.detach()) / self.scale


@dataclass(frozen=True)
class PhaseFieldConfig:
    """λ = ``budget_weight``, μ = ``potential_weight``; one threshold per ``network`` or per ``layer``;
    the temperature rises geometrically from ``temperature_start`` to ``temperature_end``."""

    budget_weight: float = 1000.0
    potential_weight: float = 5.0
    threshold: Literal["network", "layer"] = "layer"
    temperature_start: float = 1.0
    temperature_end: float = 200.0

    def __post_init__(self) -> None:
        if not (self.budget_weight >= 0 and self.potential_weight >= 0):
            raise ValueError("budget_weight and potential_weight must be non-negative")
        if self.threshold not in ("network", "layer"):
            raise ValueError(f"threshold must be 'network' or 'layer', got {self.threshold!r}")
        Annealing(self.temperature_start, self.temperature_end)


def _quantile(values: torch.Tensor, rate: float) -> float:
    """The magnitude below which a fraction ``rate`` of ``values`` lies (the initial threshold)."""
    return float(np.quantile(values.detach().abs().numpy(), rate))


def mask_statistics(masks: torch.Tensor, hard: torch.Tensor) -> dict[str, float]:
    """How far the soft masks are from the evaluated hard mask: their own rate, binariness, agreement."""
    return {
        "soft_rate": 1.0 - float(masks.mean()),
        "soft_binary_fraction": float(((masks < 0.05) | (masks > 0.95)).float().mean()),
        "soft_hard_agreement": float(((masks > 0.5).float() == hard).float().mean()),
    }


def attach_thresholds(model: GCN, rate: float, scope: str, temperature: torch.Tensor,
                      mask: type[ThresholdMask] = ThresholdMask) -> int:
    """Threshold masks on every prunable weight, τ starting at the r-quantile of |Ŵ| (per layer or for
    the whole network, with s the matching mean |Ŵ|); returns the number of prunable weights."""
    weights = latent_weights(model)
    everything = torch.cat([w.detach().abs().flatten() for w in weights.values()])
    shared = nn.Parameter(torch.tensor(_quantile(everything, rate)))
    thresholds = {name: shared if scope == "network" else nn.Parameter(torch.tensor(_quantile(w, rate)))
                  for name, w in weights.items()}  # fmt: skip
    scales = {name: float(everything.mean() if scope == "network" else w.detach().abs().mean()) for name, w in weights.items()}
    attach(model, lambda name, layer: mask(layer.weight.shape, thresholds[name], temperature, scales[name]))
    return len(everything)


def margins(model: GCN) -> dict[str, torch.Tensor]:
    """Every entry's margin (|Ŵ| − τ_l) / s_l, shifted so the smallest is 0 (scores for a magnitude ranking)."""
    latent = latent_weights(model)
    out = {name: p.margin(latent[name]) for name, p in parametrizations(model).items()}
    low = min(float(m.min()) for m in out.values())
    return {name: m - low for name, m in out.items()}


def margin_mask(model: GCN, rate: float) -> Mask:
    """Keep exactly c = (1 − r) n entries: those of largest margin over all layers."""
    return magnitude_mask(margins(model), rate, "global")


class BudgetConstrained(PruningMethod):
    """Budget-constrained joint training of weights and threshold masks with potential Φ = ``potential``.

    Starts from the trained dense model and trains for the profile's ``finetune_epochs``, the same
    pruning-stage budget that magnitude pruning spends on fine-tuning.
    """

    potential: ClassVar[str]
    Config = PhaseFieldConfig
    pretrained = True

    def fit(self, model: GCN, trainer: Trainer, rate: float) -> dict[str, Any]:
        c = self.config
        annealing = Annealing(c.temperature_start, c.temperature_end)
        temperature = torch.tensor(annealing.start)
        count = attach_thresholds(model, rate, c.threshold, temperature)
        kept = kept_count(count, rate) / count
        potential = POTENTIALS[self.potential]
        histograms: dict[str, list[int]] = {}

        def objective(model: GCN, x: torch.Tensor, y: torch.Tensor, progress: float) -> torch.Tensor:
            m = torch.cat([mask.flatten() for mask in soft_masks(model).values()])
            return cross_entropy(model, x, y, progress) + c.budget_weight * (m.mean() - kept).square() \
                + c.potential_weight * potential(m).mean()

        def on_step(model: GCN, progress: float) -> None:
            temperature.fill_(annealing.at(progress))
            for at in HISTOGRAM_AT:
                if progress >= at and str(at) not in histograms:
                    with torch.no_grad():
                        m = torch.cat([mask.flatten() for mask in soft_masks(model).values()])
                    histograms[str(at)] = torch.histc(m, HISTOGRAM_BINS, 0.0, 1.0).int().tolist()

        trainer.fit(model, trainer.config.finetune_epochs, trainer.config.finetune_lr, objective, on_step, desc=self.name)
        with torch.no_grad():
            soft = torch.cat([mask.flatten() for mask in soft_masks(model).values()])
        for at in HISTOGRAM_AT:  # short runs never reach the later progress points
            histograms.setdefault(str(at), torch.histc(soft, HISTOGRAM_BINS, 0.0, 1.0).int().tolist())
        hard = margin_mask(model, rate)
        set_mask(model, hard)
        flat_hard = torch.cat([m.flatten() for m in hard.values()])
        return {**mask_statistics(soft, flat_hard), "mask_histograms": histograms,
                "final_temperature": float(temperature)}  # fmt: skip


@register
class PhaseField(BudgetConstrained):
    """PFM: the budget term plus the double-well phase-field potential."""

    name = "phase_field"
    potential = "phase_field"


@register
class BudgetOnly(BudgetConstrained):
    """Staple baseline: the budget term alone."""

    name = "budget"
    potential = "none"


@register
class BudgetL1(BudgetConstrained):
    """Staple baseline: the budget term plus ℓ1 on the mask."""

    name = "budget_l1"
    potential = "l1"


@register
class BudgetEntropy(BudgetConstrained):
    """Staple baseline: the budget term plus the masks' binary entropy."""

    name = "budget_entropy"
    potential = "entropy"
