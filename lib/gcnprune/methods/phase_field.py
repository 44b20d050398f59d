"""Phase-field pruning (PFM), after Sahbi, "Training Lightweight GCNs with Phase-field Models" (our reconstruction).

Masks and weights share latent weights Ŵ. Every entry has the margin z = (|Ŵ| − τ_l) / s_l, with learned
thresholds τ_l and s_l the mean |Ŵ_l| at the start (so the temperature T has no units). By default one
threshold τ and scale s serve the whole network (``threshold = "network"``), so the budget is spent where
the weights are largest, as global magnitude pruning spends it; ``"layer"`` gives every layer its own
threshold and budget. (Under the penalty-only budget a network-wide threshold emptied the attention layers;
with the exact budget it is the better one on SBU's validation splits, for TC too:
:mod:`gcnprune.book.chapters.tuning`.)
The masks are

    m = σ(T (z + δ)),   m⁰ = σ(T z),

with T annealed upward (near-binary masks by the end) and δ a common offset solved before every step
(a bracketing root finder, no gradient; :mod:`.budget`) so that the budget holds *exactly* as a constraint,

    min  CE(Ŵ ⊙ m) + λ (Σ m⁰ / n − k(p))² + μ Σ Φ(m) / n     subject to   Σ m / n = k(p),

where k(p) = round((1 − r(p)) n) / n follows the gradual schedule r(p) = r (1 − (1 − p/p₀)³) up to
p₀, then r (:class:`.annealing.GradualRate`): the network is not cut at once from dense. The
"ultra-local" phase-field potential Φ(u) = u² (1 − u)² has two wells, at 0 and 1, that split the entries
into two phases. The budget term, now on the masks without the offset, trains the learned thresholds
to carry the budget themselves, so δ stays a small correction. (The paper enforces the budget by the
penalty alone; at high rates that left the soft masks far above the budget, so a final cut removed
much of what training kept. The constraint and the schedule are our changes.) The staple-regularizer
baselines train the same way with Φ replaced (:mod:`.regularizers`). The evaluated network keeps the
c = (1 − r) n entries of largest margin, the order of the soft mask itself (the largest |Ŵ| for a
network-wide threshold), so its rate is exactly r, and with a near-binary soft mask of mean c / n it is
nearly the set {m > 0.5} that training used.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from ..masks import (
    Mask,
    MaskParametrization,
    attach,
    latent_weights,
    magnitude_mask,
    parametrizations,
    set_mask,
    soft_masks,
)
from ..model import GCN
from ..train import Trainer, cross_entropy
from .base import PruningMethod, register
from .budget import BudgetConfig, ExactBudget, flat, threshold_masks
from .regularizers import POTENTIALS

HISTOGRAM_AT = (0.05, 0.5, 0.95)  # training progress at which mask histograms are recorded
HISTOGRAM_BINS = 20


class ThresholdMask(MaskParametrization):
    """m = σ(T ((|Ŵ| − τ) / s + δ)): near 1 above the threshold τ − δ s, near 0 below it, sharper as T grows."""

    def __init__(
        self,
        shape: torch.Size,
        threshold: nn.Parameter,
        temperature: torch.Tensor,
        scale: float,
        offset: torch.Tensor | None = None,
    ) -> None:
        super().__init__(shape)
        self.threshold = threshold
        self.temperature = temperature  # shared with the method, which anneals it in place
        self.scale = scale
        self.offset = offset if offset is not None else torch.tensor(0.0)  # shared too, solved in place

    def soft(self, latent: torch.Tensor) -> torch.Tensor:
        return self.soft_at(latent, self.offset)

    def soft_at(self, latent: torch.Tensor, offset: torch.Tensor | float) -> torch.Tensor:
        """The mask at offset δ = ``offset`` (0 gives m⁰, the learned thresholds' own mask)."""
        return threshold_masks((latent.abs() - self.threshold) / self.scale, self.temperature, offset)

    def margin(self, latent: torch.Tensor) -> torch.Tensor:
        """(|Ŵ| − τ) / s: the soft mask's order, by which the hard mask keeps entries."""
        return (latent.detach().abs() - self.threshold.detach()) / self.scale


@dataclass(frozen=True)
class PhaseFieldConfig(BudgetConfig):
    """The budget's options (:class:`.budget.BudgetConfig`), and μ = ``potential_weight``."""

    potential_weight: float = 5.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.potential_weight >= 0:
            raise ValueError(f"potential_weight must be non-negative, got {self.potential_weight}")


def _quantile(values: torch.Tensor, rate: float) -> float:
    """The magnitude below which a fraction ``rate`` of ``values`` lies (the initial threshold)."""
    return float(np.quantile(values.detach().abs().cpu().numpy(), rate))


def mask_statistics(masks: torch.Tensor, hard: torch.Tensor) -> dict[str, float]:
    """How far the end-of-training soft masks are from the evaluated hard mask (both flat, over all
    prunable entries): the soft masks' own rate 1 − Σ m / n, the share of entries within 0.05 of 0 or 1,
    and ``kept_overlap`` = |{hard = 1} ∩ {m > 0.5}| / |{hard = 1}|, the share of the evaluated network's
    weights that training kept too (an agreement over all entries would be dominated by the pruned ones)."""
    kept = hard > 0.5
    overlap = float((kept & (masks > 0.5)).sum()) / float(kept.sum()) if bool(kept.any()) else 1.0
    return {
        "soft_rate": 1.0 - float(masks.mean()),
        "soft_binary_fraction": float(((masks < 0.05) | (masks > 0.95)).float().mean()),
        "kept_overlap": overlap,
    }


def attach_thresholds(
    model: GCN, rate: float, scope: str, budget: ExactBudget, mask: type[ThresholdMask] = ThresholdMask
) -> None:
    """Threshold masks on every prunable weight, reading the ``budget``'s temperature and offset, with τ
    starting at the r-quantile of |Ŵ| (per layer or for the whole network, s the matching mean |Ŵ|)."""
    weights = latent_weights(model)
    everything = torch.cat([w.detach().abs().flatten() for w in weights.values()])
    shared = nn.Parameter(torch.tensor(_quantile(everything, rate)))
    thresholds = {name: shared if scope == "network" else nn.Parameter(torch.tensor(_quantile(w, rate)))
                  for name, w in weights.items()}  # fmt: skip
    scales = {
        name: float(everything.mean() if scope == "network" else w.detach().abs().mean()) for name, w in weights.items()
    }
    attach(model, lambda name, layer: mask(layer.weight.shape, thresholds[name], budget.temperature, scales[name],
                                           budget.offsets[name]))  # fmt: skip


def layer_sizes(model: GCN) -> dict[str, int]:
    """n_l: the number of prunable weights of every layer."""
    return {name: w.numel() for name, w in latent_weights(model).items()}


def create_budget(model: GCN, rate: float, config: BudgetConfig) -> ExactBudget:
    """The exact budget of a PFM or TC run: per layer for ``layer`` thresholds, over the network otherwise."""
    return ExactBudget.create(config.annealing(), rate, config.rate_ramp, layer_sizes(model),
                              per_layer=config.threshold == "layer")  # fmt: skip


def raw_margins(model: GCN) -> OrderedDict[str, torch.Tensor]:
    """Every entry's margin z = (|Ŵ| − τ_l) / s_l, by layer (no gradient)."""
    latent = latent_weights(model)
    return OrderedDict((name, p.margin(latent[name])) for name, p in parametrizations(model).items())


def margins(model: GCN) -> dict[str, torch.Tensor]:
    """Every entry's margin with its layer's solved offset, z + δ_l (the soft mask's order), shifted so
    the smallest is 0 (scores for a magnitude ranking)."""
    out = {
        name: z + float(p.offset) for (name, z), p in zip(raw_margins(model).items(), parametrizations(model).values())
    }
    low = min(float(m.min()) for m in out.values())
    return {name: m - low for name, m in out.items()}


def margin_mask(model: GCN, rate: float) -> Mask:
    """Keep exactly c = (1 − r) n entries: those of largest margin over all layers."""
    return magnitude_mask(margins(model), rate, "global")


def offset_free_masks(model: GCN) -> torch.Tensor:
    """m⁰ = σ(T z), the learned thresholds' own masks (δ = 0), flat and differentiable."""
    latent = latent_weights(model)
    return flat(OrderedDict((name, p.soft_at(latent[name], 0.0)) for name, p in parametrizations(model).items()))


def histogram(masks: torch.Tensor) -> list[int]:
    return torch.histc(masks.detach(), HISTOGRAM_BINS, 0.0, 1.0).int().tolist()


class BudgetConstrained(PruningMethod):
    """Budget-constrained joint training of weights and threshold masks with potential Φ = ``potential``.

    Starts from the trained dense model and trains for the profile's ``finetune_epochs``, the same
    pruning-stage budget that magnitude pruning spends on fine-tuning.
    """

    potential: ClassVar[str]
    version: ClassVar[int] = 2  # 2: the budget is an exact constraint on a gradual rate schedule
    Config = PhaseFieldConfig
    parent_method = "dense"

    def fit(self, model: GCN, trainer: Trainer, rate: float) -> dict[str, Any]:
        c = self.config
        budget = create_budget(model, rate, c)
        attach_thresholds(model, rate, c.threshold, budget)
        potential = POTENTIALS[self.potential]
        histograms: dict[str, list[int]] = {}

        def current() -> torch.Tensor:
            return flat(soft_masks(model))

        def objective(model: GCN, x: torch.Tensor, y: torch.Tensor, progress: float) -> torch.Tensor:
            m = current()
            return (
                cross_entropy(model, x, y, progress)
                + c.budget_weight * (offset_free_masks(model).mean() - budget.kept_fraction(progress)).square()
                + c.potential_weight * potential(m).mean()
            )

        def on_step(model: GCN, progress: float) -> None:
            budget.update(progress, raw_margins(model))
            for at in HISTOGRAM_AT:
                if progress >= at and str(at) not in histograms:
                    histograms[str(at)] = histogram(current())

        trainer.fit(
            model, trainer.config.finetune_epochs, trainer.config.finetune_lr, objective, on_step, desc=self.name
        )
        budget.solve(budget.kept_fraction(1.0), raw_margins(model))  # the budget at the final weights
        with torch.no_grad():
            soft = current()
        for at in HISTOGRAM_AT:  # short runs never reach the later progress points
            histograms.setdefault(str(at), histogram(soft))
        hard = margin_mask(model, rate)
        set_mask(model, hard)
        return {**mask_statistics(soft, flat(hard)), "mask_histograms": histograms,
                "final_temperature": float(budget.temperature),
                "final_offsets": {name: float(d) for name, d in budget.offsets.items()}}  # fmt: skip


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
