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
