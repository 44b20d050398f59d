"""Weight priors Q for probabilistic magnitude pruning, their |w| quantiles, and two divergences that
align the weights' distribution P with Q.

If the latent weights follow Q, pruning |w| < a(r) with a(r) the r-quantile of |w| under Q removes a
fraction r of them, with no sorting: Gaussian N(0, s²): a = s √2 erfinv(r); Laplace with scale b:
a = −b ln(1 − r); uniform on [−u, u]: a = u r.

The alignment divergence is either a kernel estimate of D_KL(P ‖ Q) (``"kl"``) or the squared
1-D Wasserstein-2 distance between the weights' magnitudes and |w| under Q (``"quantile"``), which
pins every quantile of |w|, and so the cut at every a(r), directly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
import torch

Family = Literal["gaussian", "laplace", "uniform"]
FAMILIES = ("gaussian", "laplace", "uniform")
Alignment = Literal["kl", "quantile"]
ALIGNMENTS = ("kl", "quantile")


@dataclass(frozen=True)
class Prior:
    """A zero-mean prior of the given family; ``scale`` is s (Gaussian), b (Laplace) or u (uniform)."""

    family: Family
    scale: float

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"prior family must be one of {FAMILIES}, got {self.family!r}")
        if not self.scale > 0:
            raise ValueError(f"prior scale must be positive, got {self.scale}")

    @classmethod
    def with_std(cls, family: Family, std: float) -> Prior:
        """The prior of ``family`` whose standard deviation is ``std``."""
        return cls(family, {"gaussian": std, "laplace": std / math.sqrt(2), "uniform": std * math.sqrt(3)}[family])

    def log_density(self, w: torch.Tensor) -> torch.Tensor:
        """log q(w); the uniform's edges are softened by a steep quadratic so gradients stay finite."""
        s = self.scale
        if self.family == "gaussian":
            return -0.5 * (w / s).square() - math.log(s * math.sqrt(2 * math.pi))
        if self.family == "laplace":
            return -w.abs() / s - math.log(2 * s)
        outside = torch.relu(w.abs() - s) / (0.05 * s)
        return -math.log(2 * s) - 0.5 * outside.square()

    @property
    def std(self) -> float:
        """The prior's standard deviation (the inverse of :meth:`with_std`)."""
        return self.scale * {"gaussian": 1.0, "laplace": math.sqrt(2), "uniform": 1 / math.sqrt(3)}[self.family]

    def magnitude_quantile(self, levels: torch.Tensor) -> torch.Tensor:
        """a(p) for every p in ``levels`` ⊂ [0, 1): the p-quantiles of |w| under the prior, elementwise."""
        s = self.scale
        if self.family == "gaussian":
            return s * math.sqrt(2) * torch.special.erfinv(levels)
        if self.family == "laplace":
            return -s * torch.log1p(-levels)
        return s * levels

    def threshold(self, rate: float) -> float:
        """a(r): the r-quantile of |w| under the prior."""
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"pruning rate must be in [0, 1), got {rate}")
        return float(self.magnitude_quantile(torch.tensor(rate, dtype=torch.float64)))


def kl_to_prior(
    weights: torch.Tensor, prior: Prior, samples: int = 2048, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Differentiable estimate of D_KL(P ‖ Q) for the empirical distribution P of ``weights``.

    P's density is a Gaussian kernel density estimate (Silverman's bandwidth) on a random subsample:
    D_KL ≈ mean_i [log p̂(w_i) − log q(w_i)]. Unlike matching mean and variance, this also pulls the
    tails onto the prior's, which is what sets the achieved rate at a prior quantile.
    """
    flat = weights.flatten()
    if flat.numel() > samples:
        flat = flat[torch.randperm(flat.numel(), generator=generator)[:samples]]
    n = flat.numel()
    bandwidth = 1.06 * flat.detach().std() * n ** (-0.2) + 1e-12
    diffs = (flat[:, None] - flat[None, :]) / bandwidth
    log_p = torch.logsumexp(-0.5 * diffs.square(), dim=1) - math.log(n * bandwidth * math.sqrt(2 * math.pi))
    return (log_p - prior.log_density(flat)).mean()


@lru_cache(maxsize=16)
def _unit_magnitude_targets(family: Family, n: int) -> torch.Tensor:
    """:func:`magnitude_targets` of the prior of scale 1 (cached: a layer has the same n at every step)."""
    levels = (torch.arange(n, dtype=torch.float64) + 0.5) / n
    return Prior(family, 1.0).magnitude_quantile(levels).float()


def magnitude_targets(prior: Prior, n: int) -> torch.Tensor:
    """The n midpoint quantiles of |w| under the prior, a((i − ½) / n) for i = 1..n, ascending; every
    family's a(p) is linear in its scale, so they are the unit prior's, scaled."""
    return prior.scale * _unit_magnitude_targets(prior.family, n)


def ascending_magnitudes(weights: torch.Tensor) -> torch.Tensor:
    """|w| of every entry, sorted ascending, with gradient; ties in index order (a stable sort).

    Stable, so the order of equal magnitudes, which decides which quantile each one is pulled to, is defined
    rather than left to the sort's implementation (``torch.sort``'s default order of ties is not). For a CPU
    float32 tensor it sorts unique 64-bit keys, each magnitude's bits (ordered as the non-negative floats
    are) above its index, with NumPy: the same order as ``torch.sort(stable=True)``, about 5× faster here,
    gradient included.
    """
    magnitudes = weights.flatten().abs()
    if magnitudes.dtype != torch.float32 or magnitudes.device.type != "cpu" or magnitudes.numel() >= 2**32:
        return torch.sort(magnitudes, stable=True).values
    with torch.no_grad():
        keys = magnitudes.numpy(force=True).view(np.int32).astype(np.int64) << 32
        keys |= np.arange(keys.size, dtype=np.int64)
        order = torch.from_numpy(np.sort(keys) & 0xFFFFFFFF)
    return magnitudes.gather(0, order)


def quantile_distance(weights: torch.Tensor, prior: Prior) -> torch.Tensor:
    """Squared 1-D Wasserstein-2 distance between the weights' magnitudes and |w| under the prior, in
    units of the prior's variance:

        D_W = (1/n) Σ_i (|w|_(i) − a((i − ½)/n))² / σ_Q²,

    with |w|_(1) ≤ … ≤ |w|_(n) the sorted magnitudes (the optimal 1-D coupling pairs sorted values with
    quantiles). It is zero exactly when the weights' magnitudes sit at the prior's quantiles, and then
    the cut |w| < a(r) removes round(r n) weights at every rate r at once; its gradient pulls each weight
    towards the prior's quantile of its rank, 2 (|w|_(i) − a_i) sign(w) / (n σ_Q²). One stable sort per
    layer (:func:`ascending_magnitudes`).
    Aligning magnitudes rather than signed weights leaves the signs free, as the cut ignores them.
    """
    magnitudes = ascending_magnitudes(weights)
    targets = magnitude_targets(prior, magnitudes.numel()).to(magnitudes.device)
    return (magnitudes - targets).square().mean() / prior.std**2


def alignment_divergence(
    weights: torch.Tensor, prior: Prior, kind: Alignment, samples: int = 1024, generator: torch.Generator | None = None
) -> torch.Tensor:
    """The divergence ``kind`` between the weights' distribution and the prior: the KL estimate
    (:func:`kl_to_prior`, on ``samples`` weights) or the quantile distance (:func:`quantile_distance`,
    on all of them)."""
    if kind == "kl":
        return kl_to_prior(weights, prior, samples, generator)
    if kind == "quantile":
        return quantile_distance(weights, prior)
    raise ValueError(f"alignment must be one of {ALIGNMENTS}, got {kind!r}")
