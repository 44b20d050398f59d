"""The grids behind the book's tables and figures, by chapter, so notebooks and batch jobs run the same runs.

Rates are target pruning rates; ``dense`` always runs once per fold and seed at rate 0.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from gcnprune.experiments.grid import Grid
from gcnprune.experiments.profiles import get_profile

from .design import design_folds, design_grid

TRAINING_RATES = (0.5, 0.7, 0.9, 0.95, 0.98, 0.99)
EXTRA_RATES = (0.8, 0.97, 0.995)
ALL_RATES = tuple(sorted(TRAINING_RATES + EXTRA_RATES))
# The highest rates, where the methods part ways (at 0.95 and below every method is within fold noise of
# the dense network on SBU): the profile's extra seeds (main comparisons only) and the ablations run here.
HIGH_RATES = (0.98, 0.99, 0.995)

# Gradual magnitude pruning (Zhu & Gupta's cubic schedule): the strong standard baseline, in every main comparison
GMP = "gradual_magnitude"
LAYER_MP = ("magnitude",), {"magnitude": {"scope": "layer"}}  # the per-layer baseline, beside the global default
LAYER_PMP = ("probabilistic",), ALL_RATES, {"probabilistic": {"scope": "layer"}}  # PMP with one prior per layer

# chapter -> list of (methods, rates, method_configs)
ORDER = ("magnitude-pruning", "probabilistic", "multi-rate", "topological", "phase-field")  # batch priority;
# each chapter's first grid is its main comparison, which a batch job runs before any chapter's others
CHAPTERS: dict[str, list[tuple[tuple[str, ...], tuple[float, ...], dict[str, dict[str, Any]]]]] = {
    "magnitude-pruning": [(("dense", "magnitude", GMP), ALL_RATES, {}), (LAYER_MP[0], ALL_RATES, LAYER_MP[1])],
    "phase-field": [
        (("dense", "magnitude", GMP, "phase_field"), ALL_RATES, {}),
        (LAYER_MP[0], ALL_RATES, LAYER_MP[1]),
        (("budget", "budget_l1", "budget_entropy"), HIGH_RATES, {}),
    ],
    "topological": [(("dense", "magnitude", GMP, "topological"), ALL_RATES, {}), (LAYER_MP[0], ALL_RATES, LAYER_MP[1])],
    "probabilistic": [
        (("dense", "magnitude", GMP, "probabilistic"), ALL_RATES, {}),
        (LAYER_MP[0], ALL_RATES, LAYER_MP[1]),
        # ablations: the empirical threshold (an exact cut, the prior unused for it), and the prior's without alignment
        (("probabilistic",), HIGH_RATES, {"probabilistic": {"threshold": "empirical"}}),
        (("probabilistic",), HIGH_RATES, {"probabilistic": {"alignment_weight": 0.0}}),
        LAYER_PMP,  # the variant with one prior per layer, the committed runs' scope
    ],
    "multi-rate": [
        (("dense", "magnitude", GMP, "probabilistic", "multi_rate"), ALL_RATES, {}),
        (LAYER_MP[0], ALL_RATES, LAYER_MP[1]),
        (("probabilistic", "multi_rate"), ALL_RATES, {m: {"scope": "layer"} for m in ("probabilistic", "multi_rate")}),
    ],
}


# The teaching chapters: not method chapters (the results page does not gather them), each grid built by a
# function of (dataset, profile, folds, seeds, rates or None). The batch job runs them after the others.
TUTORIAL_RATES = (0.5, 0.9, 0.98)


def _write_your_own(
    dataset: str, profile: str, folds: list[int], seeds: list[int], rates: list[float] | None
) -> list[Grid]:
    """The tutorial's methods beside the dense network and global MP, at the same target rates."""
    chosen = tuple(rates) if rates is not None else TUTORIAL_RATES
    return [Grid(dataset, profile, ("dense", "magnitude", "random", "snip"), chosen, tuple(folds), tuple(seeds))]


def _lightweight(
    dataset: str, profile: str, folds: list[int], seeds: list[int], rates: list[float] | None
) -> list[Grid]:
    """The dense network at every design point, and global MP of the profile's design, on the design folds."""
    chosen = tuple(rates) if rates is not None else TUTORIAL_RATES
    return [
        design_grid(dataset, profile, folds, seeds),
        Grid(dataset, profile, ("dense", "magnitude"), chosen, tuple(design_folds(profile, folds)), tuple(seeds)),
    ]


TEACHING: dict[str, Callable[[str, str, list[int], list[int], list[float] | None], list[Grid]]] = {
    "write-your-own-method": _write_your_own,
    "designing-a-lightweight-gcn": _lightweight,
}
ORDER += tuple(TEACHING)


def chapter_grids(
    chapter: str,
    dataset: str,
    profile: str,
    folds: list[int],
    seeds: Sequence[int] = (0,),
    rates: list[float] | None = None,
    device: str = "cpu",
) -> list[Grid]:
    """The grids of ``chapter``; ``rates`` (if given) replaces each grid's standard rates, which the profile may
    thin (:attr:`~gcnprune.experiments.profiles.Profile.rates`). The profile's
    extra seeds (the paper profile's 1 and 2) run too in the chapter's main comparison (its first grid),
    at the rates of :data:`HIGH_RATES`. Every grid's runs train on ``device`` (``cpu``, ``cuda`` or ``auto``)."""
    return [replace(grid, device=device) for grid in _chapter_grids(chapter, dataset, profile, folds, seeds, rates)]


def _chapter_grids(
    chapter: str, dataset: str, profile: str, folds: list[int], seeds: Sequence[int], rates: list[float] | None
) -> list[Grid]:
    if chapter in TEACHING:
        return TEACHING[chapter](dataset, profile, folds, list(seeds), rates)
    if chapter not in CHAPTERS:
        raise ValueError(f"unknown chapter {chapter!r}; choose one of {', '.join([*CHAPTERS, *TEACHING])}")
    budget = get_profile(profile)
    extra = tuple(s for s in budget.extra_seeds if s not in seeds)
    grids = []
    for index, (methods, standard, configs) in enumerate(CHAPTERS[chapter]):
        kept = tuple(r for r in standard if budget.rates is None or r in budget.rates) or standard
        chosen = tuple(rates) if rates is not None else kept
        grids.append(Grid(dataset, profile, methods, chosen, tuple(folds), tuple(seeds), configs))
        seeded = tuple(r for r in chosen if r in HIGH_RATES)
        if extra and seeded and index == 0:
            grids.append(Grid(dataset, profile, methods, seeded, tuple(folds), extra, configs))
    return grids


# FPHA's development split (carved from its training half): the dense network, MP and the four papers'
# methods at the rates where they differ; its numbers choose designs and are never FPHA test results.
DEVELOPMENT_RATES = (0.9, 0.95, 0.98, 0.99)
DEVELOPMENT_METHODS = ("dense", "magnitude", "gradual_magnitude", "phase_field", "topological", "probabilistic",
                       "multi_rate")  # fmt: skip


def development_grid(profile: str, device: str = "cpu") -> Grid:
    """The grid of the FPHA development page: one split (the development split), seed 0, trained on ``device``."""
    return Grid("fpha", profile, DEVELOPMENT_METHODS, DEVELOPMENT_RATES, (0,), device=device)


# The runs that `gcnprune bench` measures for the book (scripts/bench_models.py), whose compact models are
# committed: the dense network and these methods at these rates on SBU's first fold. Seed 1, not 0: pruned
# runs keep no weights, so an export trains the run again from its dense parent, which reproduces it bit
# for bit only on a machine of the kind that trained it, and the seed-0 runs came from an earlier machine.
BENCH_METHODS = ("magnitude", "probabilistic", "topological")
BENCH_RATES = (0.9, 0.98, 0.99)
# Head-aware MP (whole attention heads first) at the shares of heads it keeps, at the rates where the papers claim:
# the points of the accuracy-against-latency frontier that a rate-only budget does not reach.
BENCH_HEAD_SHARES = (0.25, 0.125, 0.0)
BENCH_HEAD_RATES = (0.98, 0.99)
# PMP and TC with whole heads removed first (their head_share option), at 0.99, keeping 1/4 or 1/8 of the heads
BENCH_HEADS_FIRST = ("probabilistic", "topological")
BENCH_HEADS_FIRST_SHARES = (0.25, 0.125)


def bench_grid(profile: str = "paper") -> Grid:
    """The benchmark's main runs: dense and :data:`BENCH_METHODS` at :data:`BENCH_RATES`, SBU fold 1, seed 1."""
    return Grid("sbu", profile, ("dense", *BENCH_METHODS), BENCH_RATES, (0,), (1,))


def bench_grids(profile: str = "paper") -> list[Grid]:
    """Every run of the benchmark: :func:`bench_grid`, then head-aware MP at each of :data:`BENCH_HEAD_SHARES`
    and :data:`BENCH_HEAD_RATES`, and PMP and TC with heads removed first, on the same fold and seed."""
    heads = [Grid("sbu", profile, ("head_magnitude",), BENCH_HEAD_RATES, (0,), (1,),
                  {"head_magnitude": {"head_share": share}}) for share in BENCH_HEAD_SHARES]  # fmt: skip
    first = [Grid("sbu", profile, (method,), (0.99,), (0,), (1,), {method: {"head_share": share}})
             for method in BENCH_HEADS_FIRST for share in BENCH_HEADS_FIRST_SHARES]  # fmt: skip
    return [bench_grid(profile), *heads, *first]
