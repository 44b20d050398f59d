"""Weight priors Q for probabilistic magnitude pruning, their |w| quantiles, and a KL estimate.

If the latent weights follow Q, pruning |w| < a(r) with a(r) the r-quantile of |w| under Q removes a
fraction r of them, with no sorting: Gaussian N(0, s²): a = s √2 erfinv(r); Laplace with scale b:
a = −b ln(1 − r); uniform on [−u, u]: a = u r.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import torch

Family = Literal["gaussian", "laplace", "uniform"]
FAMILIES = ("gaussian", "laplace", "uniform")


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

    def threshold(self, rate: float) -> float:
        """a(r): the r-quantile of |w| under the prior."""
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"pruning rate must be in [0, 1), got {rate}")
        s = self.scale
        if self.family == "gaussian":
            return s * math.sqrt(2) * float(torch.special.erfinv(torch.tensor(rate, dtype=torch.float64)))
        if self.family == "laplace":
            return -s * math.log1p(-rate)
        return s * rate


def kl_to_prior(weights: torch.Tensor, prior: Prior, samples: int = 2048, generator: torch.Generator | None = None) -> torch.Tensor:
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
