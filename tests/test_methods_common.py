"""Every registered pruning method: exact rates, binary evaluated masks, determinism, config validation,
gradient flow through the learned masks, and the temperature schedule they share."""

from __future__ import annotations

import json
import math
import shutil

import pytest
import smoke_runs
import torch

from gcnprune import experiments
from gcnprune.experiments import RunConfig, run
from gcnprune.masks import get_mask, kept_count, latent_weights, magnitude_mask, parametrizations
from gcnprune.methods import METHODS, get_method
from gcnprune.methods.annealing import Annealing
from gcnprune.train import cross_entropy

SMALL_MULTI_RATE = {"training_rates": (0.5, 0.9)}  # two rates keep the multi-rate training cheap
LEARNED = ("phase_field", "budget", "budget_l1", "budget_entropy", "topological", "probabilistic")
PRUNING = [name for name in METHODS if name not in ("dense", "multi_rate_train")]
RATE_CASES = [(name, rate) for name in PRUNING for rate in (0.5, 0.9)] + [("multi_rate_train", 0.0)]


def smoke(method: str, rate: float, method_config: dict | None = None) -> RunConfig:
    if method_config is None and method.startswith("multi_rate"):
        method_config = SMALL_MULTI_RATE
    return smoke_runs.smoke(method, rate, method_config)


def test_registry_holds_every_method_family():
    assert {"dense", "magnitude", "phase_field", "budget", "budget_l1", "budget_entropy", "topological",
            "probabilistic", "multi_rate_train", "multi_rate"} <= set(METHODS)  # fmt: skip
    assert all(cls.name == name for name, cls in METHODS.items())


# --- exact rates through experiments.runner ----------------------------------------------------------


@pytest.mark.parametrize("method,rate", RATE_CASES)
def test_smoke_run_achieves_the_target_rate_to_one_weight(shared, method, rate):
    config = smoke(method, rate)
    metrics = run(config, shared)
    n = metrics["prunable_dense"]
    assert metrics["prunable_nonzero"] == kept_count(n, rate) == round((1 - rate) * n)
    assert abs(metrics["achieved_rate"] - rate) <= 1 / n
    assert metrics["target_rate"] == rate
    assert metrics["params_dense"] - metrics["params_nonzero"] == n - metrics["prunable_nonzero"]
    assert 0.0 <= metrics["accuracy"] <= 1.0
    assert 0.0 <= metrics["dangling_fraction"] <= 1.0
    assert metrics["parent_run"] == config.parent().run_hash()
    folder = shared / config.run_hash()
    assert json.loads((folder / "config.json").read_text())["method"] == method
    assert (folder / "model.pt").is_file() == METHODS[method].keeps_weights


# --- the evaluated network is the hard-masked one -------------------------------------------------


@pytest.mark.parametrize("method,rate", RATE_CASES)
def test_fit_leaves_binary_masks_and_zero_weights_where_pruned(shared, method, rate):
    config = smoke(method, rate)
    model, trainer, strategy = experiments.prepare(config, shared)
    extra = strategy.fit(model, trainer, rate)
    assert isinstance(extra, dict)
    json.dumps(extra)  # the extra metrics must be storable
    mask = get_mask(model)
    assert list(mask) == list(model.prunable_layers())
    assert mask.num_nonzero() == kept_count(mask.num_dense(), rate)
    model.eval()
    latent = latent_weights(model)
    for name, layer in model.prunable_layers().items():
        m = mask[name]
        assert bool(((m == 0) | (m == 1)).all()), name
        effective = layer.weight.detach()
        assert bool((effective[m == 0] == 0).all()), name
        assert torch.equal(effective[m == 1], latent[name].detach()[m == 1]), name
    # the evaluated outputs do not depend on the dropped latent weights at all
    x = trainer.signals(trainer.test_x[:8])
    with torch.no_grad():
        before = model(x)
        for name, w in latent.items():
            w[mask[name] == 0] = 1e3
        after = model(x)
    assert torch.equal(before, after)


# --- determinism ----------------------------------------------------------------------------------


@pytest.mark.parametrize("method,rate", [(name, 0.9) for name in PRUNING] + [("multi_rate_train", 0.0)])
def test_same_config_twice_gives_identical_metrics(shared, tmp_path, method, rate):
    config = smoke(method, rate)
    first = run(config, shared)
    dense = config.parent()
    while dense.method != "dense":
        dense = dense.parent()
    shutil.copytree(shared / dense.run_hash(), tmp_path / dense.run_hash())  # same dense start, trained once
    second = run(config, tmp_path)
    assert (tmp_path / config.run_hash() / "metrics.json").is_file()
    ignore = {"train_seconds", "curve_seconds", "git_commit"}
    assert {k: v for k, v in first.items() if k not in ignore} == {k: v for k, v in second.items() if k not in ignore}


# --- hyperparameter validation --------------------------------------------------------------------

BAD_CONFIGS = [
    ("magnitude", {"scope": "row"}),
    ("magnitude", {"rate": 0.5}),
    *[
        (name, bad)
        for name in ("phase_field", "budget", "budget_l1", "budget_entropy")
        for bad in (
            {"budget_weight": -1.0},
            {"potential_weight": -0.5},
            {"threshold": "neuron"},
            {"temperature_start": 0.0},
            {"temperature_start": -1.0},
            {"temperature_start": 10.0, "temperature_end": 5.0},
            {"potential": "l2"},
        )
    ],  # fmt: skip
    ("topological", {"budget_weight": -1.0}),
    ("topological", {"kappa": 0.0}),
    ("topological", {"kappa": -3.0}),
    ("topological", {"temperature_start": 0.0}),
    ("topological", {"temperature_start": 300.0, "temperature_end": 200.0}),
    ("topological", {"threshold": "neuron"}),
    ("topological", {"potential_weight": 1.0}),
    *[
        (name, bad)
        for name in ("probabilistic", "multi_rate_train", "multi_rate")
        for bad in (
            {"family": "cauchy"},
            {"threshold": "network"},
            {"alignment_weight": -1.0},
            {"kl_samples": 1},
            {"temperature_start": 0.0},
            {"temperature_start": 2.0, "temperature_end": 1.0},
        )
    ],  # fmt: skip
    *[
        (name, bad)
        for name in ("multi_rate_train", "multi_rate")
        for bad in (
            {"training_rates": ()},
            {"training_rates": (0.5, 1.0)},
            {"training_rates": (-0.1,)},
            {"training_rates": (0.5, 0.9), "rate_weights": (1.0,)},
            {"training_rates": (0.5, 0.9), "rate_weights": (1.0, -1.0)},
        )
    ],  # fmt: skip
    ("dense", {"anything": 1}),
]


@pytest.mark.parametrize("method,bad", BAD_CONFIGS)
def test_config_rejects_bad_hyperparameters(method, bad):
    with pytest.raises(ValueError):
        get_method(method, bad)
    with pytest.raises(ValueError):
        smoke(method, 0.5, bad)


@pytest.mark.parametrize("method", [name for name in METHODS if name != "dense"])
def test_default_config_is_valid_and_hashable(method):
    strategy = get_method(method)
    assert isinstance(strategy.config, METHODS[method].Config)
    assert smoke(method, 0.5, {}).run_hash() == smoke(method, 0.5, {}).run_hash()


def test_temperatures_are_accepted_when_equal_and_positive():
    for name in ("phase_field", "topological", "probabilistic", "multi_rate"):
        assert get_method(name, {"temperature_start": 5.0, "temperature_end": 5.0}).config.temperature_end == 5.0


# --- the temperature schedule ---------------------------------------------------------------------


@pytest.mark.parametrize("start,end", [(1.0, 100.0), (1.0, 200.0), (0.5, 8.0), (3.0, 3.0)])
def test_annealing_is_geometric(start, end):
    a = Annealing(start, end)
    assert a.at(0.0) == pytest.approx(start)
    assert a.at(1.0) == pytest.approx(end)
    assert a.at(0.5) == pytest.approx(math.sqrt(start * end))
    assert a.at(0.25) == pytest.approx(start * (end / start) ** 0.25)
    # constant ratio over equal steps, and clamped outside [0, 1]
    ratios = [a.at((k + 1) / 10) / a.at(k / 10) for k in range(10)]
    assert ratios == pytest.approx([ratios[0]] * 10)
    assert a.at(-1.0) == pytest.approx(start) and a.at(2.0) == pytest.approx(end)


@pytest.mark.parametrize("start,end", [(0.0, 1.0), (-1.0, 1.0), (2.0, 1.0)])
def test_annealing_rejects_bad_schedules(start, end):
    with pytest.raises(ValueError):
        Annealing(start, end)


# --- gradient reaches the weights the hard mask would prune ---------------------------------------


def one_step_gradients(config: RunConfig, results):
    """Run the method's ``fit`` with Trainer.fit replaced by one backward pass of the method's own objective.

    Returns the latent weights' gradients from that pass, the gradients of any mask thresholds, the
    hard mask the method then evaluates and the model (the pass leaves the latent weights unchanged).
    """
    model, trainer, strategy = experiments.prepare(config, results)
    grads: dict[str, torch.Tensor] = {}
    threshold_grads: dict[str, torch.Tensor] = {}

    def fit(model, epochs, lr, objective=None, on_step=None, parameters=None, desc="train"):
        model.train()
        if on_step is not None:
            on_step(model, 0.0)
        x, y = trainer.signals(trainer.train_x[:48]), trainer.train_y[:48]
        model.zero_grad(set_to_none=True)
        (objective or cross_entropy)(model, x, y, 0.0).backward()
        grads.update({name: w.grad.detach().clone() for name, w in latent_weights(model).items()})
        for name, p in parametrizations(model).items():
            if isinstance(getattr(p, "threshold", None), torch.nn.Parameter) and p.threshold.grad is not None:
                threshold_grads[name] = p.threshold.grad.detach().clone()
        model.eval()
        return [0.0]

    trainer.fit = fit  # instance attribute: only this trainer is affected
    strategy.fit(model, trainer, config.rate)
    return grads, threshold_grads, get_mask(model), model


def nonzero_fractions(grads, mask) -> tuple[float, float]:
    """Share of pruned and of kept positions whose latent weight received a non-zero gradient."""
    pruned = torch.cat([mask[n].flatten() for n in mask]) == 0
    g = torch.cat([grads[n].flatten() for n in mask])
    assert bool(torch.isfinite(g).all())
    assert 0 < int(pruned.sum()) < len(pruned)
    return float((g[pruned] != 0).float().mean()), float((g[~pruned] != 0).float().mean())


def test_fixed_magnitude_mask_blocks_gradient_to_pruned_weights(shared):
    grads, _, mask, _ = one_step_gradients(smoke("magnitude", 0.5), shared)  # at 0.9 nothing stays connected
    at_pruned, at_kept = nonzero_fractions(grads, mask)
    assert at_pruned == 0.0
    assert at_kept > 0.1


@pytest.mark.parametrize("method", [*LEARNED, "multi_rate_train"])
def test_learned_masks_pass_gradient_to_pruned_weights(shared, method):
    rate = 0.0 if method == "multi_rate_train" else 0.9
    grads, threshold_grads, mask, model = one_step_gradients(smoke(method, rate), shared)
    if method == "multi_rate_train":  # evaluated unpruned: compare with its mask at its top training rate
        mask = magnitude_mask(latent_weights(model), 0.9, "layer")
    at_pruned, at_kept = nonzero_fractions(grads, mask)
    # the soft mask lets gradient through to weights the hard mask drops, about as often as to kept ones
    # (the smoke model has dead ReLU units, whose incoming weights get no gradient either way)
    assert at_pruned > 0.3
    assert at_pruned >= 0.5 * at_kept
    if method in ("phase_field", "budget", "budget_l1", "budget_entropy", "topological"):
        assert threshold_grads and all(t.abs().item() > 0 for t in threshold_grads.values())


@pytest.mark.parametrize("method", ["phase_field", "topological", "probabilistic"])
def test_cross_entropy_alone_reaches_pruned_weights_through_the_soft_mask(shared, method):
    """Without the budget, potential or KL terms the gradient at pruned weights still comes from the loss."""
    no_regularizer = {
        "phase_field": {"budget_weight": 0.0, "potential_weight": 0.0},
        "topological": {"budget_weight": 0.0},
        "probabilistic": {"alignment_weight": 0.0},
    }[method]
    grads, _, mask, _ = one_step_gradients(smoke(method, 0.9, no_regularizer), shared)
    at_pruned, _ = nonzero_fractions(grads, mask)
    assert at_pruned > 0.1  # a fixed mask gives exactly 0 here
    for name in mask:  # in every layer that the loss reaches at all, it reaches pruned weights too
        pruned = mask[name] == 0
        if bool(pruned.any()) and bool((grads[name] != 0).any()):
            assert bool((grads[name][pruned] != 0).any()), name
