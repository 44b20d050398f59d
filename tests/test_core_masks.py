"""Masks as parametrizations, and magnitude pruning's exact counts and thresholds."""

from __future__ import annotations

import copy
import math
from collections import OrderedDict

import numpy as np
import pytest
import torch
from torch.nn.utils import parametrize

from gcnprune.experiments.profiles import get_profile
from gcnprune.graphs import normalised_adjacency
from gcnprune.masks import (
    MagnitudeRanking,
    Mask,
    attach,
    get_mask,
    kept_count,
    latent_weights,
    magnitude_mask,
    parametrizations,
    set_mask,
)
from gcnprune.metrics import sparsity
from gcnprune.model import GCN, ModelConfig

RATES = (0.3, 0.5, 0.9, 0.99)
JOINTS, FEATURES, CLASSES = 15, 12, 10


def make_model(prune_classifier: bool = False, seed: int = 0) -> GCN:
    torch.manual_seed(seed)
    a = np.zeros((JOINTS, JOINTS), dtype=np.float32)
    for j in range(JOINTS - 1):
        a[j, j + 1] = a[j + 1, j] = 1
    config = ModelConfig(**{**get_profile("smoke").model.__dict__, "prune_classifier": prune_classifier})
    return GCN(JOINTS, FEATURES, CLASSES, normalised_adjacency(a), config)


def random_weights(seed: int = 0) -> OrderedDict[str, torch.Tensor]:
    """Layers of very different sizes and scales, as in the GCN (one layer far larger than the others)."""
    g = torch.Generator().manual_seed(seed)
    shapes = {"a": (8, 12), "b": (8, 12), "c": (4, 12), "d": (8, 12), "e": (16, 120), "f": (10, 16)}
    scales = {"a": 1.0, "b": 0.5, "c": 2.0, "d": 0.1, "e": 0.05, "f": 3.0}
    return OrderedDict((k, torch.randn(s, generator=g) * scales[k]) for k, s in shapes.items())


def kept_and_pruned(weights, mask, names=None):
    names = list(weights) if names is None else names
    w = torch.cat([weights[n].abs().flatten() for n in names])
    m = torch.cat([mask[n].flatten() for n in names])
    return w[m == 1], w[m == 0]


# --- magnitude_mask: exact counts -----------------------------------------------------------------


@pytest.mark.parametrize("scope", ["global", "layer"])
@pytest.mark.parametrize("rate", RATES)
def test_exact_count_and_rate(rate, scope):
    weights = random_weights()
    n = sum(w.numel() for w in weights.values())
    mask = magnitude_mask(weights, rate, scope)
    assert list(mask) == list(weights)
    assert all(mask[k].shape == weights[k].shape for k in weights)
    assert all(bool(((m == 0) | (m == 1)).all()) for m in mask.values())
    assert mask.num_dense() == n
    assert mask.num_nonzero() == round((1 - rate) * n) == kept_count(n, rate)
    assert abs(mask.rate() - rate) <= 1 / n


@pytest.mark.parametrize("rate", RATES)
def test_global_threshold_separates_kept_from_pruned(rate):
    weights = random_weights(1)
    mask = magnitude_mask(weights, rate, "global")
    kept, pruned = kept_and_pruned(weights, mask)
    assert len(kept) > 0 and len(pruned) > 0
    assert kept.min() >= pruned.max()


@pytest.mark.parametrize("rate", RATES)
def test_global_scope_prunes_small_scale_layers_more(rate):
    weights = random_weights(2)
    mask = magnitude_mask(weights, rate, "global")
    rates = {k: 1 - mask[k].mean().item() for k in weights}
    assert rates["e"] >= rates["f"]  # scale 0.05 against scale 3


@pytest.mark.parametrize("rate", RATES)
def test_layer_scope_threshold_within_each_layer_and_share(rate):
    weights = random_weights(3)
    mask = magnitude_mask(weights, rate, "layer")
    for name, w in weights.items():
        kept, pruned = kept_and_pruned(weights, mask, [name])
        if len(kept) and len(pruned):
            assert kept.min() >= pruned.max(), name
        # each layer keeps its own share (1 − r) n_l, rounded one way or the other
        assert abs(len(kept) - (1 - rate) * w.numel()) < 1, name


def test_layer_scope_differs_from_global():
    weights = random_weights(4)
    by_global, by_layer = magnitude_mask(weights, 0.9, "global"), magnitude_mask(weights, 0.9, "layer")
    assert any(not torch.equal(by_global[k], by_layer[k]) for k in weights)


@pytest.mark.parametrize("scope", ["global", "layer"])
def test_ties_broken_deterministically_with_exact_count(scope):
    weights = OrderedDict(a=torch.ones(7, 3), b=-torch.ones(5, 2))  # every magnitude equal
    n = 31
    first = magnitude_mask(weights, 0.5, scope)
    second = magnitude_mask(OrderedDict((k, v.clone()) for k, v in weights.items()), 0.5, scope)
    assert first.num_nonzero() == kept_count(n, 0.5) == 16
    assert all(torch.equal(first[k], second[k]) for k in weights)


def test_rate_zero_keeps_everything():
    weights = random_weights()
    for scope in ("global", "layer"):
        mask = magnitude_mask(weights, 0.0, scope)
        assert mask.num_nonzero() == mask.num_dense()


def test_mask_uses_magnitudes_not_signs():
    weights = OrderedDict(a=torch.tensor([[-5.0, 1.0, 0.1, -0.2]]))
    mask = magnitude_mask(weights, 0.5, "global")
    assert mask["a"].tolist() == [[1.0, 1.0, 0.0, 0.0]]


@pytest.mark.parametrize("scope", ["global", "layer"])
def test_one_ranking_reads_every_rate_as_a_fresh_stable_sort_would(scope):
    """MagnitudeRanking sorts once for all rates (MRMP's curve); at every rate each group keeps exactly the
    first entries of its own stable descending sort of |w|, computed afresh here, ties (many: the weights
    are rounded to a few values) broken by position, bit for bit."""
    weights = OrderedDict((k, (w * 4).round() / 4) for k, w in random_weights(5).items())
    ranking = MagnitudeRanking(weights, scope)
    groups = {"*": list(weights)} if scope == "global" else {name: [name] for name in weights}
    for rate in np.linspace(0.0, 0.995, 41):
        mask = ranking.mask(float(rate))
        assert list(mask) == list(weights) and all(mask[k].shape == weights[k].shape for k in weights)
        assert mask.num_nonzero() == kept_count(mask.num_dense(), float(rate))
        for names in groups.values():
            scores = torch.cat([weights[n].abs().flatten() for n in names])
            chosen = torch.cat([mask[n].flatten() for n in names])
            expected = torch.zeros(len(scores))
            expected[torch.sort(scores, descending=True, stable=True).indices[: int(chosen.sum())]] = 1.0
            assert torch.equal(chosen, expected)
        fresh = magnitude_mask(weights, float(rate), scope)
        assert all(torch.equal(fresh[k], mask[k]) for k in weights)


def test_magnitude_mask_rejects_bad_scope():
    with pytest.raises(ValueError, match="scope"):
        magnitude_mask(random_weights(), 0.5, "row")


@pytest.mark.parametrize("rate", [1.0, 1.5, -0.1, -1.0])
def test_kept_count_rejects_bad_rates(rate):
    with pytest.raises(ValueError):
        kept_count(100, rate)


def test_kept_count_rounds():
    assert kept_count(10, 0.0) == 10
    assert kept_count(10, 0.99) == 0
    assert kept_count(1000, 0.99) == 10
    assert kept_count(3, 0.5) == round(1.5)
    assert kept_count(2352, 0.9) == 235


# --- Mask -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [torch.tensor([0.0, 0.5]), torch.tensor([2.0, 1.0]), torch.tensor([-1.0, 0.0])])
def test_mask_rejects_non_binary(value):
    mask = Mask()
    with pytest.raises(ValueError, match="not binary"):
        mask["x"] = value
    with pytest.raises(ValueError, match="not binary"):
        Mask([("x", value)])


def test_mask_stores_float_copies():
    source = torch.tensor([[True, False]])
    mask = Mask(x=source)
    assert mask["x"].dtype == torch.float32
    ones = torch.ones(3)
    mask["y"] = ones
    ones[0] = 0
    assert mask["y"].tolist() == [1.0, 1.0, 1.0]  # not a view of the caller's tensor


def test_mask_save_load_round_trip(tmp_path):
    mask = magnitude_mask(random_weights(), 0.7, "layer")
    path = tmp_path / "mask.pt"
    mask.save(path)
    loaded = Mask.load(path)
    assert isinstance(loaded, Mask)
    assert list(loaded) == list(mask)
    for k in mask:
        assert loaded[k].dtype == torch.float32
        assert torch.equal(loaded[k], mask[k])
    assert loaded.num_nonzero() == mask.num_nonzero()


def test_mask_layer_rates_and_total():
    mask = magnitude_mask(random_weights(), 0.9, "global")
    rates = mask.layer_rates()
    assert list(rates) == list(mask) + ["total"]
    assert math.isclose(rates["total"], mask.rate()) and math.isclose(mask.rate(), 0.9, abs_tol=1e-3)
    for name, m in mask.items():
        assert math.isclose(rates[name], 1 - int(m.sum()) / m.numel())
    pruned = sum(rates[name] * m.numel() for name, m in mask.items())
    assert math.isclose(pruned, mask.num_dense() - mask.num_nonzero(), abs_tol=1e-6)


# --- masks on the model ---------------------------------------------------------------------------


def test_unmasked_model_has_all_ones_mask():
    model = make_model()
    mask = get_mask(model)
    assert list(mask) == list(model.prunable_layers())
    assert (
        mask.num_nonzero()
        == mask.num_dense()
        == sum(layer.weight.numel() for layer in model.prunable_layers().values())
    )
    assert not any(parametrize.is_parametrized(layer, "weight") for layer in model.prunable_layers().values())


@pytest.mark.parametrize("prune_classifier", [False, True])
@pytest.mark.parametrize("scope", ["global", "layer"])
def test_set_mask_zeroes_effective_weights(prune_classifier, scope):
    model = make_model(prune_classifier)
    dense = copy.deepcopy(model).eval()
    mask = magnitude_mask(latent_weights(model), 0.8, scope)
    set_mask(model, mask)
    model.eval()
    installed = get_mask(model)
    for name, layer in model.prunable_layers().items():
        assert torch.equal(installed[name], mask[name])
        assert parametrize.is_parametrized(layer, "weight")
        w = layer.weight
        assert (w[mask[name] == 0] == 0).all()
        assert torch.equal(w[mask[name] == 1], dense.get_submodule(name).weight[mask[name] == 1])
    # the masked network computes exactly what a dense network with those weights zeroed computes
    with torch.no_grad():
        for name, layer in dense.prunable_layers().items():
            layer.weight.mul_(mask[name])
    x = torch.randn(3, JOINTS, FEATURES)
    assert torch.allclose(model(x), dense(x), atol=1e-6)


def test_pruned_positions_get_exactly_zero_gradient():
    model = make_model(prune_classifier=True)
    mask = magnitude_mask(latent_weights(model), 0.9, "global")
    set_mask(model, mask)
    model.train()
    loss = torch.nn.functional.cross_entropy(model(torch.randn(6, JOINTS, FEATURES)), torch.arange(6) % CLASSES)
    loss.backward()
    some_gradient = False
    for name, latent in latent_weights(model).items():
        assert latent.grad is not None
        assert (latent.grad[mask[name] == 0] == 0).all(), name
        some_gradient |= bool((latent.grad[mask[name] == 1] != 0).any())
    assert some_gradient


def test_optimiser_step_keeps_pruned_weights_zero():
    model = make_model()
    mask = magnitude_mask(latent_weights(model), 0.9, "global")
    set_mask(model, mask)
    optimiser = torch.optim.Adam(model.parameters(), lr=0.1)
    model.train()
    for _ in range(3):
        optimiser.zero_grad()
        model(torch.randn(4, JOINTS, FEATURES)).square().mean().backward()
        optimiser.step()
    model.eval()
    for name, layer in model.prunable_layers().items():
        assert (layer.weight[mask[name] == 0] == 0).all()


def test_set_mask_rejects_wrong_names_and_shapes():
    model = make_model()
    good = Mask.ones_like(model)
    missing = Mask(list(good.items())[:-1])
    with pytest.raises(ValueError, match="do not match"):
        set_mask(model, missing)
    extra = Mask(good)
    extra["classifier"] = torch.ones_like(model.classifier.weight)
    with pytest.raises(ValueError, match="do not match"):
        set_mask(model, extra)
    wrong = Mask(good)
    wrong["hidden"] = torch.ones(3, 3)
    with pytest.raises(ValueError, match="hidden"):
        set_mask(model, wrong)


def test_attach_twice_raises():
    model = make_model()
    attach(model)
    with pytest.raises(ValueError, match="already masked"):
        attach(model)
    assert list(parametrizations(model)) == list(model.prunable_layers())


def test_sparsity_counts():
    model = make_model()
    dense_params = model.parameter_count()
    s = sparsity(model)
    assert s["prunable_nonzero"] == s["prunable_dense"] and s["achieved_rate"] == 0
    assert s["params_dense"] == s["params_nonzero"] == dense_params
    mask = magnitude_mask(latent_weights(model), 0.75, "layer")
    set_mask(model, mask)
    s = sparsity(model)
    assert s["params_dense"] == dense_params  # the latent weights count once, the mask buffers not at all
    assert s["prunable_dense"] == mask.num_dense()
    assert s["prunable_nonzero"] == mask.num_nonzero() == kept_count(mask.num_dense(), 0.75)
    assert s["params_dense"] - s["params_nonzero"] == mask.num_dense() - mask.num_nonzero()
    assert math.isclose(s["achieved_rate"], mask.rate())
