"""Gradual magnitude pruning (GMP): Zhu & Gupta's cubic schedule, the exact target rate after ``fit`` in both
scopes, masks that only shrink from update to update (a pruned weight never comes back), the last mask
keeping the largest weights in force, and the same weights under the same seed."""

from __future__ import annotations

import math

import pytest
import smoke_runs
import torch

from gcnprune import experiments
from gcnprune.experiments import run
from gcnprune.masks import Mask, get_mask, kept_count, latent_weights, magnitude_mask
from gcnprune.methods import METHODS, get_method
from gcnprune.methods import gradual_magnitude as gmp
from gcnprune.methods.gradual_magnitude import LayerQuotas, cubic_rate

SCOPES = ("global", "layer")


def test_gmp_is_registered_as_a_grid_method_starting_from_dense():
    cls = METHODS["gradual_magnitude"]
    assert cls.parent_method == "dense" and not cls.internal and not cls.rate_zero_only
    config = get_method("gradual_magnitude").config
    assert (config.scope, config.ramp, config.updates) == ("global", 0.75, 30)


@pytest.mark.parametrize("bad", [{"scope": "row"}, {"ramp": 0.0}, {"ramp": 1.5}, {"updates": 0}, {"rate": 0.5}])
def test_config_rejects_bad_hyperparameters(bad):
    with pytest.raises(ValueError):
        get_method("gradual_magnitude", bad)


# --- the cubic schedule ---------------------------------------------------------------------------


def test_cubic_rate_starts_dense_reaches_the_target_at_the_ramps_end_and_holds_it():
    target, ramp = 0.98, 0.6
    assert cubic_rate(0.0, target, ramp) == 0.0
    assert cubic_rate(-0.5, target, ramp) == 0.0  # clamped before the start
    for t in (ramp, 0.8, 0.999, 1.0):
        assert cubic_rate(t, target, ramp) == target  # exactly, not approximately
    assert cubic_rate(ramp / 2, target, ramp) == pytest.approx(target * (1 - 1 / 8))
    assert cubic_rate(ramp / 4, target, ramp) == pytest.approx(target * (1 - (3 / 4) ** 3))
    rates = [cubic_rate(k / 100, target, ramp) for k in range(101)]
    assert all(b >= a for a, b in zip(rates, rates[1:]))  # monotone
    steps = [b - a for a, b in zip(rates, rates[1:61])]
    assert all(b <= a + 1e-12 for a, b in zip(steps, steps[1:]))  # fast first, slowly near the target
    with pytest.raises(ValueError):
        cubic_rate(0.5, target, 0.0)


def test_the_last_update_is_at_exactly_the_target_rate():
    method = get_method("gradual_magnitude", {"ramp": 0.7, "updates": 7})
    rates = [method.update_rate(k, 0.99) for k in range(1, 8)]
    assert rates[-1] == 0.99 and all(r < 0.99 for r in rates[:-1])
    assert rates[0] == pytest.approx(0.99 * (1 - (6 / 7) ** 3))


def test_layer_quotas_sum_to_the_count_only_shrink_and_end_at_magnitude_pruning_s():
    shapes = {"a": torch.Size([7, 3]), "b": torch.Size([50]), "c": torch.Size([4, 4, 2])}
    quotas = LayerQuotas(shapes, 0.9)
    n = sum(math.prod(s) for s in shapes.values())
    final = magnitude_mask({k: torch.rand(s) for k, s in shapes.items()}, 0.9, "layer")
    assert quotas.at(kept_count(n, 0.9)) == {k: int(m.sum()) for k, m in final.items()}
    assert quotas.at(n) == {k: math.prod(s) for k, s in shapes.items()}
    previous = quotas.at(n)
    for count in range(n, kept_count(n, 0.9) - 1, -1):
        at = quotas.at(count)
        assert sum(at.values()) == count
        assert all(at[k] <= previous[k] for k in at)
        assert all(abs(at[k] - count / n * math.prod(s)) <= 2 for k, s in shapes.items())
        previous = at


# --- fit on the smoke profile ---------------------------------------------------------------------


def recorded_fit(monkeypatch, config, results):
    """Run ``fit``, recording every mask it installs with the mask and latent weights just before."""
    model, trainer, method = experiments.prepare(config, results)
    updates: list[tuple[Mask, Mask, dict[str, torch.Tensor]]] = []
    real = gmp.set_mask

    def recording(model, mask):
        before = get_mask(model)
        weights = {name: w.detach().clone() for name, w in latent_weights(model).items()}
        updates.append((before, Mask(mask), weights))
        real(model, mask)

    monkeypatch.setattr(gmp, "set_mask", recording)
    method.fit(model, trainer, config.rate)
    return model, updates


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("rate", [0.5, 0.9])
def test_fit_reaches_the_exact_rate_in_both_scopes(shared, scope, rate):
    config = smoke_runs.smoke("gradual_magnitude", rate, {"scope": scope})
    metrics = run(config, shared)
    n = metrics["prunable_dense"]
    assert metrics["prunable_nonzero"] == kept_count(n, rate)
    model, trainer, method = experiments.prepare(config, shared)
    method.fit(model, trainer, rate)
    mask = get_mask(model)
    assert mask.num_nonzero() == kept_count(mask.num_dense(), rate)
    if scope == "layer":  # every layer at the target rate, as per-layer magnitude pruning's counts
        expected = magnitude_mask(latent_weights(model), rate, "layer")
        assert {k: int(m.sum()) for k, m in mask.items()} == {k: int(m.sum()) for k, m in expected.items()}


@pytest.mark.parametrize("scope", SCOPES)
def test_masks_only_shrink_and_the_last_keeps_the_largest_weights_in_force(shared, monkeypatch, scope):
    rate = 0.9
    config = smoke_runs.smoke("gradual_magnitude", rate, {"scope": scope})
    model, updates = recorded_fit(monkeypatch, config, shared)
    assert len(updates) >= 3  # the dense masks attached, then at least two pruning updates
    assert all(float(m.sum()) == m.numel() for m in updates[0][1].values())
    n = updates[0][1].num_dense()
    counts = [mask.num_nonzero() for _, mask, _ in updates[1:]]
    assert counts == sorted(counts, reverse=True) and counts[0] > counts[-1] == kept_count(n, rate)
    schedule = {kept_count(n, get_method("gradual_magnitude").update_rate(k, rate)) for k in range(1, 31)}
    assert set(counts) <= schedule  # every update keeps exactly the count its scheduled rate gives
    for before, mask, _ in updates:
        for name in mask:  # nothing pruned before comes back
            assert bool((mask[name] <= before[name]).all()), name
        if scope == "layer":  # every layer near the network's rate
            for name, m in mask.items():
                assert abs(float(m.sum()) - mask.num_nonzero() / n * m.numel()) <= 2, name
    assert all(torch.equal(get_mask(model)[k], updates[-1][1][k]) for k in updates[-1][1])
    # the last update: magnitude pruning's mask of the weights in force, |w ⊙ m|
    before, mask, weights = updates[-1]
    in_force = {name: weights[name].abs() * before[name] for name in weights}
    assert all(torch.equal(mask[k], m) for k, m in magnitude_mask(in_force, rate, scope).items())
    groups = [[name] for name in mask] if scope == "layer" else [list(mask)]
    for names in groups:
        kept = torch.cat([in_force[k][mask[k] == 1] for k in names])
        pruned = torch.cat([in_force[k][mask[k] == 0] for k in names])
        assert kept.numel() and pruned.numel()
        assert float(kept.min()) >= float(pruned.max()), names


@pytest.mark.parametrize("scope", SCOPES)
def test_without_training_steps_gmp_is_one_shot_magnitude_pruning(shared, scope):
    config = smoke_runs.smoke("gradual_magnitude", 0.9, {"scope": scope})
    model, trainer, method = experiments.prepare(config, shared)
    dense = {name: w.detach().clone() for name, w in latent_weights(model).items()}
    trainer.fit = lambda model, *args, **kwargs: [0.0]  # instance attribute: a stage of no steps
    method.fit(model, trainer, 0.9)
    assert all(torch.equal(get_mask(model)[k], m) for k, m in magnitude_mask(dense, 0.9, scope).items())


def test_the_seed_decides_the_weights(shared):
    config = smoke_runs.smoke("gradual_magnitude", 0.9)
    fitted = []
    for _ in range(2):
        model, trainer, method = experiments.prepare(config, shared)
        method.fit(model, trainer, config.rate)
        fitted.append((get_mask(model), {k: w.detach().clone() for k, w in latent_weights(model).items()}))
    (mask_a, weights_a), (mask_b, weights_b) = fitted
    assert all(torch.equal(mask_a[k], mask_b[k]) for k in mask_a)
    assert all(torch.equal(weights_a[k], weights_b[k]) for k in weights_a)
