"""SNIP's connection sensitivity through the registry (smoke profile): exact rate, binary masks,
determinism under a seed, and every kept weight scoring at least as high as every pruned one."""

from __future__ import annotations

from dataclasses import replace

import pytest
import smoke_runs
import torch

from gcnprune import experiments
from gcnprune.experiments import run
from gcnprune.masks import get_mask, kept_count
from gcnprune.methods import METHODS, get_method
from gcnprune.methods.snip import connection_sensitivity


def fitted(config, results):
    """The run's model after its method's ``fit`` (from its dense parent in ``results``)."""
    model, trainer, method = experiments.prepare(config, results)
    method.fit(model, trainer, config.rate)
    return model


def test_snip_is_registered_as_a_grid_method_starting_from_dense():
    assert METHODS["snip"].parent_method == "dense" and not METHODS["snip"].internal
    assert get_method("snip", {"scope": "layer"}).config.scope == "layer"
    with pytest.raises(ValueError, match="scope"):
        get_method("snip", {"scope": "row"})


@pytest.mark.parametrize("rate", [0.5, 0.9, 0.98])
def test_snip_reaches_the_exact_rate_with_a_binary_mask(shared, rate):
    metrics = run(smoke_runs.smoke("snip", rate), shared)
    assert metrics["prunable_nonzero"] == kept_count(metrics["prunable_dense"], rate)
    mask = get_mask(fitted(smoke_runs.smoke("snip", rate), shared))
    assert all(bool(((m == 0) | (m == 1)).all()) for m in mask.values())
    assert mask.num_nonzero() == metrics["prunable_nonzero"]


def test_same_seed_same_mask_other_seed_other_scores(shared):
    config = smoke_runs.smoke("snip", 0.9)
    first, second = get_mask(fitted(config, shared)), get_mask(fitted(config, shared))
    assert all(torch.equal(first[n], second[n]) for n in first)
    scores = [connection_sensitivity(*experiments.prepare(c, shared)[:2]) for c in (config, replace(config, seed=1))]
    assert any(not torch.equal(scores[0][n], scores[1][n]) for n in scores[0])


@pytest.mark.parametrize("scope", ["global", "layer"])
def test_kept_weights_score_at_least_as_high_as_pruned_ones(shared, scope):
    config = smoke_runs.smoke("snip", 0.9, {"scope": scope})
    model, trainer, _ = experiments.prepare(config, shared)
    scores = connection_sensitivity(model, trainer)  # the batch fit draws: same seed, same generator state
    assert all(bool((s >= 0).all()) for s in scores.values()) and any(bool((s > 0).any()) for s in scores.values())
    mask = get_mask(fitted(config, shared))
    groups = [list(scores)] if scope == "global" else [[name] for name in scores]
    for names in groups:
        kept = torch.cat([scores[n][mask[n] == 1] for n in names])
        pruned = torch.cat([scores[n][mask[n] == 0] for n in names])
        assert kept.numel() and pruned.numel()
        assert float(kept.min()) >= float(pruned.max()), names
