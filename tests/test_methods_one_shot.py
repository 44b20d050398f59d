"""The one-shot methods (magnitude, random, SNIP) share one "score, then mask" recipe: at the exact target
rate, every kept weight scores at least as high as every pruned weight of its scope."""

from __future__ import annotations

import pytest
import smoke_runs
import torch

from gcnprune import experiments
from gcnprune.masks import get_mask, kept_count
from gcnprune.methods import METHODS
from gcnprune.methods.one_shot import OneShotPruning

ONE_SHOT = ("magnitude", "random", "snip")
CASES = [("magnitude", "global"), ("magnitude", "layer"), ("random", None), ("snip", "global"), ("snip", "layer")]


def test_the_one_shot_methods_share_the_base_and_only_give_scores():
    for name in ONE_SHOT:
        cls = METHODS[name]
        assert issubclass(cls, OneShotPruning), name
        assert cls.fit is OneShotPruning.fit, name  # the recipe is written once
        assert cls.parent_method == "dense" and not cls.internal, name
    assert OneShotPruning not in METHODS.values()


@pytest.mark.parametrize("method,scope", CASES)
@pytest.mark.parametrize("rate", [0.5, 0.9])
def test_kept_weights_score_at_least_as_high_as_pruned_ones(shared, method, scope, rate):
    config = smoke_runs.smoke(method, rate, None if scope is None else {"scope": scope})
    model, trainer, strategy = experiments.prepare(config, shared)
    scores = strategy.scores(model, trainer)  # a fresh trainer: the draws fit makes from the same generator state
    assert list(scores) == list(model.prunable_layers())
    model, trainer, strategy = experiments.prepare(config, shared)
    strategy.fit(model, trainer, rate)
    mask = get_mask(model)
    assert mask.num_nonzero() == kept_count(mask.num_dense(), rate)
    groups = [[name] for name in scores] if scope == "layer" else [list(scores)]
    for names in groups:
        kept = torch.cat([scores[n][mask[n] == 1] for n in names])
        pruned = torch.cat([scores[n][mask[n] == 0] for n in names])
        assert kept.numel() and pruned.numel()
        assert float(kept.min()) >= float(pruned.max()), names
