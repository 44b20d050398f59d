"""Mask potentials Φ(m), averaged over all mask entries: the phase-field double well and the staple baselines.

- phase field (double well): Φ(u) = u² (1 − u)², minimal at both 0 and 1, so entries split into two phases;
- ℓ1: Φ(u) = u, which pushes every entry towards 0;
- binary entropy: Φ(u) = −u ln u − (1 − u) ln(1 − u), minimal at 0 and 1 but with infinite slope there;
- none: Φ = 0, the budget term alone.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

EPS = 1e-6


def double_well(m: torch.Tensor) -> torch.Tensor:
    return m.square() * (1 - m).square()


def l1(m: torch.Tensor) -> torch.Tensor:
    return m.abs()


def entropy(m: torch.Tensor) -> torch.Tensor:
    m = m.clamp(EPS, 1 - EPS)
    return -(m * m.log() + (1 - m) * (1 - m).log())


def none(m: torch.Tensor) -> torch.Tensor:
    return torch.zeros_like(m)


POTENTIALS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "phase_field": double_well,
    "l1": l1,
    "entropy": entropy,
    "none": none,
}
