"""The grids behind the book's tables and figures, by chapter, so notebooks and batch jobs run the same runs.

Rates are target pruning rates; ``dense`` always runs once per fold and seed at rate 0.
"""

from __future__ import annotations

from typing import Any

from .experiments import Grid

TRAINING_RATES = (0.5, 0.7, 0.9, 0.95, 0.98, 0.99)
EXTRA_RATES = (0.8, 0.97, 0.995)
ALL_RATES = tuple(sorted(TRAINING_RATES + EXTRA_RATES))
HIGH_RATES = (0.9, 0.95, 0.98, 0.99, 0.995)
BASELINE_RATES = (0.95, 0.98)  # where the staple regularizers are compared
ABLATION_RATES = (0.9, 0.98)  # where PMP's alignment is ablated

LAYER_MP = ("magnitude",), {"magnitude": {"scope": "layer"}}  # the per-layer baseline, beside the global default

# chapter -> list of (methods, rates, method_configs)
ORDER = ("magnitude-pruning", "probabilistic", "multi-rate", "topological", "phase-field")  # batch priority;
# each chapter's first grid is its main comparison, which a batch job runs before any chapter's others
CHAPTERS: dict[str, list[tuple[tuple[str, ...], tuple[float, ...], dict[str, dict[str, Any]]]]] = {
    "magnitude-pruning": [(("dense", "magnitude"), ALL_RATES, {}), (LAYER_MP[0], ALL_RATES, LAYER_MP[1])],
    "phase-field": [
        (("dense", "magnitude", "phase_field"), TRAINING_RATES, {}),
        (LAYER_MP[0], TRAINING_RATES, LAYER_MP[1]),
        (("budget", "budget_l1", "budget_entropy"), BASELINE_RATES, {}),
    ],
    "topological": [(("dense", "magnitude", "topological"), HIGH_RATES, {}), (LAYER_MP[0], HIGH_RATES, LAYER_MP[1])],
    "probabilistic": [
        (("dense", "magnitude", "probabilistic"), ALL_RATES, {}),
        (LAYER_MP[0], ALL_RATES, LAYER_MP[1]),
        # the rate drift that the KL alignment prevents shows only with thresholds at the prior's quantile
        (("probabilistic",), ABLATION_RATES, {"probabilistic": {"threshold": "prior"}}),
        (("probabilistic",), ABLATION_RATES, {"probabilistic": {"threshold": "prior", "kl_weight": 0.0}}),
    ],
    "multi-rate": [(("dense", "magnitude", "probabilistic", "multi_rate"), ALL_RATES, {}),
                   (LAYER_MP[0], ALL_RATES, LAYER_MP[1])],
}


def chapter_grids(chapter: str, dataset: str, profile: str, folds: list[int], seeds: list[int] = [0],
                  rates: list[float] | None = None) -> list[Grid]:
    """The grids of ``chapter``; ``rates`` (if given) replaces each grid's standard rates."""
    if chapter not in CHAPTERS:
        raise ValueError(f"unknown chapter {chapter!r}; choose one of {', '.join(CHAPTERS)}")
    return [Grid(dataset, profile, methods, tuple(rates) if rates is not None else standard, tuple(folds), tuple(seeds),
                 configs) for methods, standard, configs in CHAPTERS[chapter]]  # fmt: skip
