"""Temperature annealing for learned masks: T rises geometrically so sigmoid masks become binary."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Annealing:
    """T(p) = T₀ (T₁ / T₀)^p over training progress p ∈ [0, 1]."""

    start: float = 1.0
    end: float = 100.0

    def __post_init__(self) -> None:
        if not 0 < self.start <= self.end:
            raise ValueError(f"need 0 < start <= end for the temperature, got {self.start}, {self.end}")

    def at(self, progress: float) -> float:
        return self.start * (self.end / self.start) ** min(max(progress, 0.0), 1.0)


@dataclass(frozen=True)
class GradualRate:
    """Zhu & Gupta's gradual pruning schedule: r(p) = r (1 − (1 − p / p₀)³) for p < p₀, then r.

    The network starts dense (r(0) = 0) and is pruned fast while many redundant weights remain, slowly
    as it nears the target ``rate``, reached at progress p₀ = ``until`` and held for the rest of training.
    """

    rate: float
    until: float = 0.6

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate < 1.0:
            raise ValueError(f"pruning rate must be in [0, 1), got {self.rate}")
        if not 0.0 < self.until <= 1.0:
            raise ValueError(f"the rate ramp must end in (0, 1], got {self.until}")

    def at(self, progress: float) -> float:
        left = 1.0 - min(max(progress, 0.0), self.until) / self.until
        return self.rate * (1.0 - left**3)
