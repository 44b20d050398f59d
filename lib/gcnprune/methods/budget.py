"""The pruning budget as an exact constraint on threshold masks (our reconstruction's fix to PFM and TC).

Threshold masks m_i = σ(T (z_i + δ_l)), with z_i = (|Ŵ_i| − τ_l) / s_l the learned margin, read an
offset δ_l per layer (by default one threshold, scale and offset serve every layer). Before every
training step the offsets are solved, without gradient, so that
the masks meet the scheduled budget exactly, over the network (the default: one threshold, one offset)
or in every layer,

    (1/n_l) Σ_{i ∈ l} m_i(δ_l) = k(p)   or   (1/n) Σ_i m_i(δ) = k(p),   k(p) = c(r(p)) / n,   c(r) = round((1 − r) n),

with r(p) the gradual rate schedule (:class:`.annealing.GradualRate`). The masks' mean is
non-decreasing in δ (also through TC's consistency passes), so a bracketing root finder (regula
falsi) finds it. A penalty λ (Σ m / n − k)² alone let the soft masks keep far more than c weights at
high rates, so the final exact cut removed much of what training kept; with the constraint, the soft
masks at the end of training already are (nearly) the evaluated network.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

import torch

from ..masks import kept_count
from .annealing import Annealing, GradualRate

SATURATION = 10.0  # the bracket's ends put every mask at or beyond σ(∓10), i.e. within 5e-5 of 0 or 1
TOLERANCE = 1e-7  # on the masks' mean: far below one weight in 1/n of any network here
ITERATIONS = 100  # at most; the Illinois method typically needs under 20


@dataclass(frozen=True)
class BudgetConfig:
    """The options of budget-constrained threshold masks that PFM and TC share (each adds its own): λ =
    ``budget_weight``, the weight of the budget term on the masks without offset; one threshold per
    ``network`` or per ``layer`` (the budget then holds per layer too; the network's, better on SBU's
    validation splits for both methods, is the default: :mod:`gcnprune.book.chapters.tuning`); the temperature rises
    geometrically from ``temperature_start`` to ``temperature_end``; the scheduled rate reaches the target
    at progress p₀ = ``rate_ramp``."""

    budget_weight: float = 1000.0
    threshold: Literal["network", "layer"] = "network"
    temperature_start: float = 1.0
    temperature_end: float = 200.0
    rate_ramp: float = 0.6

    def __post_init__(self) -> None:
        if not self.budget_weight >= 0:
            raise ValueError(f"budget_weight must be non-negative, got {self.budget_weight}")
        if self.threshold not in ("network", "layer"):
            raise ValueError(f"threshold must be 'network' or 'layer', got {self.threshold!r}")
        self.annealing()
        GradualRate(0.0, self.rate_ramp)

    def annealing(self) -> Annealing:
        """The temperature schedule T(p)."""
        return Annealing(self.temperature_start, self.temperature_end)


def flat(masks: Mapping[str, torch.Tensor]) -> torch.Tensor:
    """All layers' masks as one vector."""
    return torch.cat([m.flatten() for m in masks.values()])


def offset_bracket(margins: torch.Tensor, temperature: float) -> tuple[float, float]:
    """[−max z − B/T, −min z + B/T]: at its ends every σ(T (z + δ)) is at most σ(−B) or at least σ(B).

    A target outside what the bracket reaches (the dense start, k = 1) gives its end: masks ≥ σ(B).
    """
    pad = SATURATION / temperature
    return -float(margins.max()) - pad, -float(margins.min()) + pad


def solve_offset(
    mean_at: Callable[[float], float],
    target: float,
    low: float,
    high: float,
    tolerance: float = TOLERANCE,
    iterations: int = ITERATIONS,
) -> float:
    """δ ∈ [low, high] with mean_at(δ) = target to within ``tolerance``; ``mean_at`` must be non-decreasing.

    Regula falsi with the Illinois modification: the bracket always holds the root, as in bisection,
    but it converges superlinearly, in a handful of evaluations instead of a few dozen.
    """
    f_low, f_high = mean_at(low) - target, mean_at(high) - target
    if f_high <= 0:
        return high
    if f_low >= 0:
        return low
    side = 0
    for _ in range(iterations):
        middle = high - f_high * (high - low) / (f_high - f_low)
        f_middle = mean_at(middle) - target
        if abs(f_middle) <= tolerance:
            return middle
        if f_middle < 0:
            low, f_low = middle, f_middle
            f_high = f_high / 2 if side == -1 else f_high  # the same end kept twice: halve its weight
            side = -1
        else:
            high, f_high = middle, f_middle
            f_low = f_low / 2 if side == 1 else f_low
            side = 1
    return high - f_high * (high - low) / (f_high - f_low)


def threshold_masks(
    margins: torch.Tensor,
    temperature: torch.Tensor | float,
    offset: torch.Tensor | float,
    out: torch.Tensor | None = None,
) -> torch.Tensor:
    """m = σ(T (z + δ)): the threshold masks of margins z at temperature T and offset δ.

    With ``out`` (a tensor like ``margins``; no gradient), the masks are computed in it in place: the
    same values bit for bit, without the two temporaries, for the root finders that evaluate them many
    times per step.
    """
    if out is None:
        return torch.sigmoid(temperature * (margins + offset))
    return torch.add(margins, offset, out=out).mul_(temperature).sigmoid_()


Passes = Callable[[Mapping[str, torch.Tensor]], Mapping[str, torch.Tensor]]


@dataclass
class ExactBudget:
    """The temperature T(p) and the offsets δ_l(p) that the threshold masks of a model read, and their schedules.

    ``temperature`` and each of ``offsets`` (one per layer) are 0-d tensors the masks hold and read;
    :meth:`update` sets them before every step: T from the annealing, the offsets so that the masks'
    mean is the scheduled kept fraction k(p). With ``per_layer``, every layer's own masks have mean
    k(p) (each layer pruned at the scheduled rate, as per-layer magnitude pruning does); otherwise one
    offset is shared and only the network's mean is fixed. With consistency ``passes`` (TC), a common
    shift ε is then added to every offset so that the mean of the consistent masks is k(p).
    """

    annealing: Annealing
    rates: GradualRate
    count: int
    temperature: torch.Tensor
    offsets: dict[str, torch.Tensor]
    per_layer: bool = True

    @classmethod
    def create(
        cls, annealing: Annealing, rate: float, until: float, sizes: Mapping[str, int], per_layer: bool = True
    ) -> ExactBudget:
        """A budget for layers of ``sizes`` (name → number of prunable weights), at the annealing's start."""
        offsets = {name: torch.tensor(0.0) for name in sizes}
        return cls(annealing, GradualRate(rate, until), sum(sizes.values()), torch.tensor(annealing.start), offsets,
                   per_layer)  # fmt: skip

    def kept_fraction(self, progress: float) -> float:
        """k(p) = round((1 − r(p)) n) / n: exactly c / n once the ramp is over."""
        return kept_count(self.count, self.rates.at(progress)) / self.count

    def update(self, progress: float, margins: Mapping[str, torch.Tensor], passes: Passes | None = None) -> None:
        """Set T(p), then the offsets so that the masks of ``margins`` (through ``passes``, if any) have mean k(p)."""
        self.temperature.fill_(self.annealing.at(progress))
        self.solve(self.kept_fraction(progress), margins, passes)

    def solve(self, kept: float, margins: Mapping[str, torch.Tensor], passes: Passes | None = None) -> None:
        """Set the offsets so that the mean of σ(T (z + δ_l)) (per layer, or over the network), or of
        ``passes`` of it (TC's consistent masks, over the network), is ``kept``."""
        temperature = float(self.temperature)
        with torch.no_grad():
            base = {name: _solve_mean(z, temperature, kept) if self.per_layer else 0.0 for name, z in margins.items()}
            shift = 0.0
            if passes is not None or not self.per_layer:
                shifted = {name: z + base[name] for name, z in margins.items()}
                buffers = {name: torch.empty_like(z) for name, z in shifted.items()}

                def mean_at(delta: float) -> float:
                    masks = {name: threshold_masks(z, temperature, delta, buffers[name]) for name, z in shifted.items()}
                    return float(flat(passes(masks) if passes is not None else masks).mean())

                shift = solve_offset(mean_at, kept, *offset_bracket(flat(shifted), temperature))
            for name in margins:
                self.offsets[name].fill_(base[name] + shift)


def _solve_mean(margins: torch.Tensor, temperature: float, kept: float) -> float:
    """δ with mean σ(T (z + δ)) = ``kept`` over one group of margins z."""
    buffer = torch.empty_like(margins)
    return solve_offset(lambda d: float(threshold_masks(margins, temperature, d, buffer).mean()), kept,
                        *offset_bracket(margins, temperature))  # fmt: skip
