"""The chapters' grids: every method of a main comparison at every rate, ablations at the highest
rates, and the paper profile's extra seeds in the main comparisons at the highest rates only."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gcnprune.book.chapters.grids import ALL_RATES, CHAPTERS, HIGH_RATES, chapter_grids
from gcnprune.experiments.profiles import PROFILES


@pytest.mark.parametrize("chapter", list(CHAPTERS))
def test_every_grid_covers_the_main_table(chapter):
    main, *others = chapter_grids(chapter, "synthetic", "paper", [0], seeds=[0, 1, 2])
    assert tuple(main.rates) == ALL_RATES and "dense" in main.methods
    for grid in others:
        assert tuple(grid.rates) in (ALL_RATES, HIGH_RATES)
        assert set(HIGH_RATES) <= set(grid.rates)  # every ablation at every rate where the methods part ways


@pytest.mark.parametrize("chapter", list(CHAPTERS))
def test_the_quick_profile_thins_the_rates_but_keeps_the_claims(chapter):
    """The quick profile keeps five of the standard rates, the claims' 0.98 and 0.99 among them, in every grid."""
    grids = chapter_grids(chapter, "synthetic", "quick", [0])
    assert tuple(grids[0].rates) == PROFILES["quick"].rates
    assert all({0.98, 0.99} <= set(g.rates) <= set(PROFILES["quick"].rates) for g in grids)
    assert all(tuple(g.seeds) == (0,) for g in grids)  # the quick profile has no extra seeds


@pytest.fixture
def seeded_profile(monkeypatch):
    """A profile with extra seeds 1 and 2 (the paper profile's plan), named "seeded"."""
    monkeypatch.setitem(PROFILES, "seeded", replace(PROFILES["quick"], name="seeded", extra_seeds=(1, 2), rates=None))


@pytest.mark.parametrize("chapter", list(CHAPTERS))
def test_extra_seeds_join_the_main_comparison_at_the_highest_rates_only(chapter, seeded_profile):
    grids = chapter_grids(chapter, "synthetic", "seeded", [0, 1])
    seeded = [g for g in grids if tuple(g.seeds) != (0,)]
    assert len(seeded) == 1 and seeded[0].methods == CHAPTERS[chapter][0][0]
    assert tuple(seeded[0].seeds) == (1, 2) and tuple(seeded[0].rates) == HIGH_RATES
    runs = {(c.method, c.rate, c.fold, c.seed) for g in grids for c in g.configs()}
    assert ("dense", 0.0, 1, 2) in runs  # each extra seed trains its own dense parent
    assert not any(seed > 0 and 0 < rate < min(HIGH_RATES) for _, rate, _, seed in runs)


def test_given_rates_and_seeds_replace_the_standard_ones(seeded_profile):
    grids = chapter_grids("magnitude-pruning", "synthetic", "seeded", [0], seeds=[0, 1], rates=[0.5, 0.99])
    assert {tuple(g.rates) for g in grids} == {(0.5, 0.99), (0.99,)}
    assert {tuple(g.seeds) for g in grids} == {(0, 1), (2,)}
