"""Random pruning through the registry (smoke profile): exact rate, binary masks, the same mask under the
same seed and another under another seed, and no preference for large weights."""

from __future__ import annotations

from dataclasses import replace

import pytest
import smoke_runs
import torch

from gcnprune import experiments
from gcnprune.experiments import run
from gcnprune.masks import get_mask, kept_count, latent_weights
from gcnprune.methods import METHODS


def fitted(config, results):
    """The run's mask and latent weights after its method's ``fit`` (from its dense parent in ``results``)."""
    model, trainer, method = experiments.prepare(config, results)
    method.fit(model, trainer, config.rate)
    return get_mask(model), latent_weights(model)


def test_random_is_registered_as_a_grid_method_starting_from_dense():
    assert METHODS["random"].parent_method == "dense" and not METHODS["random"].internal


@pytest.mark.parametrize("rate", [0.5, 0.9, 0.98])
def test_random_reaches_the_exact_rate_with_a_binary_mask(shared, rate):
    metrics = run(smoke_runs.smoke("random", rate), shared)
    assert metrics["prunable_nonzero"] == kept_count(metrics["prunable_dense"], rate)
    mask, _ = fitted(smoke_runs.smoke("random", rate), shared)
    assert all(bool(((m == 0) | (m == 1)).all()) for m in mask.values())
    assert mask.num_nonzero() == metrics["prunable_nonzero"]


def test_the_seed_decides_the_mask(shared):
    config = smoke_runs.smoke("random", 0.5)
    first, second = fitted(config, shared)[0], fitted(config, shared)[0]
    other = fitted(replace(config, seed=1), shared)[0]
    assert all(torch.equal(first[n], second[n]) for n in first)
    assert any(not torch.equal(first[n], other[n]) for n in first)


def test_random_keeps_small_weights_as_often_as_large_ones(shared):
    mask, latent = fitted(smoke_runs.smoke("random", 0.5), shared)
    weights = torch.cat([w.detach().abs().flatten() for w in latent.values()])
    kept = torch.cat([m.flatten() for m in mask.values()]).bool()
    small = weights <= weights.median()
    # magnitude pruning would keep no small weight at rate 0.5; a random mask keeps about half of them
    assert 0.4 < float(kept[small].float().mean()) < 0.6
