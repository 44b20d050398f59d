"""Phase-field pruning (PFM) and the staple baselines (budget, budget_l1, budget_entropy): the mask
potentials, the rate schedule and the exactly solved budget, the training objective, the reported mask
statistics and histograms, per-layer thresholds."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch
from smoke_runs import smoke

from gcnprune import experiments
from gcnprune.experiments import RunConfig, run
from gcnprune.masks import kept_count, latent_weights, parametrizations, soft_masks
from gcnprune.methods import get_method
from gcnprune.methods.annealing import Annealing, GradualRate
from gcnprune.methods.budget import ExactBudget, offset_bracket, solve_offset, threshold_masks
from gcnprune.methods.phase_field import (  # fmt: skip
    HISTOGRAM_AT,
    HISTOGRAM_BINS,
    BudgetConstrained,
    ThresholdMask,
    mask_statistics,
)
from gcnprune.methods.regularizers import POTENTIALS, double_well, entropy, l1, none
from gcnprune.train import cross_entropy

BUDGET_METHODS = {"phase_field": double_well, "budget": none, "budget_l1": l1, "budget_entropy": entropy}


# --- the potentials -------------------------------------------------------------------------------


def test_double_well_has_wells_at_0_and_1_and_peak_one_sixteenth_at_half():
    u = torch.linspace(0, 1, 1001, dtype=torch.float64)
    phi = double_well(u)
    assert float(double_well(torch.tensor(0.0))) == 0.0 and float(double_well(torch.tensor(1.0))) == 0.0
    assert float(double_well(torch.tensor(0.5))) == pytest.approx(1 / 16)
    assert float(phi.max()) == pytest.approx(1 / 16) and float(u[phi.argmax()]) == pytest.approx(0.5)
    assert bool((phi >= 0).all())
    assert torch.allclose(phi, double_well(1 - u))  # symmetric about 1/2
    u = torch.tensor([0.0, 0.5, 1.0], requires_grad=True)
    double_well(u).sum().backward()
    assert torch.allclose(u.grad, torch.zeros(3))  # stationary at both wells and at the barrier


def test_entropy_is_zero_at_0_and_1_and_ln2_at_half():
    assert float(entropy(torch.tensor(0.5))) == pytest.approx(math.log(2), rel=1e-6)
    ends = entropy(torch.tensor([0.0, 1.0]))
    assert bool(torch.isfinite(ends).all()) and float(ends.abs().max()) < 1e-4
    u = torch.linspace(0.001, 0.999, 999)
    h = entropy(u)
    assert float(h.max()) == pytest.approx(math.log(2), rel=1e-5)
    assert float(u[h.argmax()]) == pytest.approx(0.5, abs=1e-3)
    assert torch.allclose(h, -(u * u.log() + (1 - u) * (1 - u).log()), atol=1e-6)
    x = torch.tensor([0.0, 1.0, 0.3], requires_grad=True)
    entropy(x).sum().backward()
    assert bool(torch.isfinite(x.grad).all())


def test_l1_is_the_identity_on_the_unit_interval_and_none_is_zero():
    u = torch.linspace(0, 1, 101)
    assert torch.equal(l1(u), u)
    assert torch.equal(none(u), torch.zeros_like(u))
    assert POTENTIALS == {"phase_field": double_well, "l1": l1, "entropy": entropy, "none": none}


@pytest.mark.parametrize("method,potential", list(BUDGET_METHODS.items()))
def test_each_budget_method_uses_its_potential(method, potential):
    cls = type(get_method(method))
    assert issubclass(cls, BudgetConstrained) and cls.parent_method == "dense"
    assert POTENTIALS[cls.potential] is potential


# --- the threshold mask and its statistics --------------------------------------------------------


def test_threshold_mask_is_a_sigmoid_of_magnitude_minus_threshold():
    threshold = torch.nn.Parameter(torch.tensor(0.5))
    mask = ThresholdMask(torch.Size([7]), threshold, torch.tensor(1000.0), 1.0)
    latent = torch.tensor([-2.0, -0.6, -0.4, 0.0, 0.4, 0.6, 2.0])
    soft = mask.soft(latent)
    assert torch.allclose(soft, torch.tensor([1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0]), atol=1e-6)
    assert mask.soft(torch.tensor([0.5])).item() == pytest.approx(0.5)
    mask.temperature.fill_(2.0)
    expected = torch.sigmoid(2.0 * (latent.abs() - 0.5) / 1.0)
    assert torch.allclose(mask.soft(latent), expected)
    mask.train()
    assert torch.allclose(mask(latent), latent * expected)
    mask.eval()
    assert torch.equal(mask(latent), latent)  # hard mask (all ones until one is set)


def test_mask_statistics_on_known_values():
    soft = torch.tensor([0.01, 0.99, 0.4, 0.3, 0.97, 0.7, 0.04, 0.8])
    hard = torch.tensor([0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0])
    stats = mask_statistics(soft, hard)
    assert set(stats) == {"soft_rate", "soft_binary_fraction", "kept_overlap"}
    assert stats["soft_rate"] == pytest.approx(1 - 4.21 / 8)
    assert stats["soft_binary_fraction"] == pytest.approx(4 / 8)  # 0.01, 0.99, 0.97, 0.04
    assert stats["kept_overlap"] == pytest.approx(3 / 4)  # kept 1, 2, 4, 7; the soft mask drops 2 (0.4)


def test_kept_overlap_is_not_dominated_by_the_pruned_majority():
    """A soft mask that agrees on all 96 pruned entries but keeps 1 of the 4 kept ones overlaps 25 %
    (an agreement over all entries would read 97 %)."""
    hard, soft = torch.zeros(100), torch.full((100,), 0.02)
    hard[:4] = 1.0
    soft[3:7] = 0.9  # keeps entry 3 of the evaluated network, and 4, 5, 6 that it prunes
    stats = mask_statistics(soft, hard)
    assert stats["kept_overlap"] == pytest.approx(1 / 4)
    assert stats["soft_rate"] == pytest.approx(1 - (96 * 0.02 + 4 * 0.9) / 100)
    assert mask_statistics(soft, torch.zeros(100))["kept_overlap"] == 1.0  # nothing kept: vacuously all


# --- the rate schedule and the exact budget -------------------------------------------------------


def test_gradual_rate_is_cubic_from_dense_to_the_target_then_flat():
    schedule = GradualRate(0.99, 0.6)
    assert schedule.at(0.0) == 0.0 and schedule.at(-1.0) == 0.0
    assert schedule.at(0.3) == pytest.approx(0.99 * (1 - 0.5**3))
    assert schedule.at(0.6) == pytest.approx(0.99) and schedule.at(0.8) == 0.99 and schedule.at(1.0) == 0.99
    values = [schedule.at(p) for p in np.linspace(0, 1, 101)]
    assert all(b >= a for a, b in zip(values, values[1:]))
    for bad in (dict(rate=1.0), dict(rate=0.5, until=0.0), dict(rate=0.5, until=1.5)):
        with pytest.raises(ValueError):
            GradualRate(**bad)


def test_solve_offset_finds_the_root_of_a_monotone_mean_and_clamps_outside_the_bracket():
    margins = torch.linspace(-3, 5, 1001)
    for target in (0.01, 0.2, 0.5, 0.97):
        delta = solve_offset(lambda d: float(threshold_masks(margins, 50.0, d).mean()), target, -10.0, 10.0)
        assert float(threshold_masks(margins, 50.0, delta).mean()) == pytest.approx(target, abs=1e-6)
    assert solve_offset(lambda d: d, 2.0, -1.0, 1.0) == 1.0  # unreachable targets give the bracket's ends
    assert solve_offset(lambda d: d, -2.0, -1.0, 1.0) == -1.0
    low, high = offset_bracket(margins, 10.0)
    assert low == pytest.approx(-5 - 1.0) and high == pytest.approx(3 + 1.0)


def test_threshold_masks_in_place_are_the_allocating_ones_bit_for_bit():
    """The root finders evaluate the masks into a reused buffer: the values must be exactly those of
    σ(T (z + δ)) computed afresh, or the solved offsets, and every run after them, would change."""
    g = torch.Generator().manual_seed(0)
    for shape in [(1,), (7,), (33, 31), (256, 960)]:
        margins = torch.randn(shape, generator=g) * 3
        out = torch.empty_like(margins)
        for temperature in (1.0, 7.3, 200.0, 1000.0):
            for offset in (torch.randn(6, generator=g) * 2).tolist() + [0.0, -11.0]:
                fresh = threshold_masks(margins, temperature, offset)
                assert torch.equal(threshold_masks(margins, temperature, offset, out), fresh)
                assert float(out.mean()) == float(fresh.mean())


def test_solved_offsets_are_those_of_the_masks_computed_afresh():
    """ExactBudget's per-layer solve (masks in a reused buffer) returns the offset that regula falsi finds
    on freshly allocated masks, to the last bit."""
    g = torch.Generator().manual_seed(1)
    margins = {"a": torch.randn(300, generator=g), "b": torch.randn(40, 50, generator=g) * 3}
    budget = ExactBudget.create(Annealing(1.0, 200.0), 0.95, 0.6, {n: z.numel() for n, z in margins.items()})
    for progress in (0.05, 0.3, 0.7, 1.0):
        budget.update(progress, margins)
        temperature, kept = float(budget.temperature), budget.kept_fraction(progress)
        for name, z in margins.items():
            expected = solve_offset(
                lambda d, z=z, temperature=temperature: float(threshold_masks(z, temperature, d).mean()),
                kept,
                *offset_bracket(z, temperature),
            )
            assert float(budget.offsets[name]) == float(torch.tensor(expected))


@pytest.mark.parametrize("per_layer", [True, False])
def test_exact_budget_holds_the_scheduled_kept_fraction(per_layer):
    torch.manual_seed(0)
    margins = {"a": torch.randn(300), "b": torch.randn(40, 5) * 3}
    budget = ExactBudget.create(Annealing(1.0, 200.0), 0.95, 0.6, {"a": 300, "b": 200}, per_layer)

    def masks(name=None):
        chosen = margins if name is None else {name: margins[name]}
        return torch.cat(
            [threshold_masks(z, budget.temperature, budget.offsets[n]).flatten() for n, z in chosen.items()]
        )

    for progress in (0.1, 0.3, 0.59, 0.9):
        budget.update(progress, margins)
        kept = kept_count(500, 0.95 * (1 - (1 - min(progress, 0.6) / 0.6) ** 3)) / 500
        assert float(masks().mean()) == pytest.approx(kept, abs=1e-6)
        if per_layer:  # every layer at the scheduled rate
            assert float(masks("a").mean()) == pytest.approx(kept, abs=1e-6)
            assert float(masks("b").mean()) == pytest.approx(kept, abs=1e-6)
        else:
            assert float(budget.offsets["a"]) == float(budget.offsets["b"])
        assert float(budget.temperature) == pytest.approx(Annealing(1.0, 200.0).at(progress))
    budget.update(0.0, margins)  # the dense start is out of reach of sigmoids: every mask is at least σ(10)
    assert float(masks().min()) == pytest.approx(float(torch.sigmoid(torch.tensor(10.0))), abs=1e-6)


# --- the objective --------------------------------------------------------------------------------


def captured_objective(config: RunConfig, results, progress: float = 0.0):
    """Evaluate the method's objective once at ``progress`` (Trainer.fit replaced); return the pieces."""
    model, trainer, method = experiments.prepare(config, results)
    out = {}

    def fit(model, epochs, lr, objective=None, on_step=None, parameters=None, desc="train"):
        model.train()
        on_step(model, progress)
        x, y = trainer.signals(trainer.train_x[:32]), trainer.train_y[:32]
        torch.manual_seed(123)
        out["loss"] = objective(model, x, y, progress).item()
        torch.manual_seed(123)  # the same dropout draw
        out["ce"] = cross_entropy(model, x, y, progress).item()
        latent = latent_weights(model)
        with torch.no_grad():
            out["masks"] = torch.cat([m.flatten() for m in soft_masks(model).values()])
            out["offset_free"] = torch.cat(
                [p.soft_at(latent[n], 0.0).flatten() for n, p in parametrizations(model).items()]
            )
        out["thresholds"] = {n: p.threshold for n, p in parametrizations(model).items()}
        out["initial"] = {n: p.threshold.item() for n, p in parametrizations(model).items()}
        out["latent"] = {n: w.detach().clone() for n, w in latent_weights(model).items()}
        model.eval()
        return [out["loss"]]

    trainer.fit = fit
    extra = method.fit(model, trainer, config.rate)
    return out, extra, model


@pytest.mark.parametrize("progress", [0.0, 0.3])
@pytest.mark.parametrize("method", list(BUDGET_METHODS))
def test_objective_is_cross_entropy_plus_budget_plus_potential_under_the_exact_budget(shared, method, progress):
    """CE + λ (Σ m⁰ / n − k(p))² + μ Σ Φ(m) / n, with the masks m meeting the scheduled budget k(p) exactly."""
    rate, lam, mu = 0.7, 30.0, 2.0
    out, _, _ = captured_objective(
        smoke(method, rate, {"budget_weight": lam, "potential_weight": mu}), shared, progress
    )
    m, m0 = out["masks"], out["offset_free"]
    kept = kept_count(len(m), GradualRate(rate, 0.6).at(progress)) / len(m)
    expected = out["ce"] + lam * float((m0.mean() - kept) ** 2) + mu * float(BUDGET_METHODS[method](m).mean())
    assert out["loss"] == pytest.approx(expected, rel=1e-5, abs=1e-6)
    # at the starting temperature the thresholds' masks are soft (bar the largest weights under the network's
    # one threshold, whose σ rounds to 1 in float32)
    assert float(((m0 > 0) & (m0 < 1)).float().mean()) > 0.95
    if progress == 0.0:  # dense start: as dense as the offset's bracket allows
        assert float(m.min()) >= float(torch.sigmoid(torch.tensor(10.0))) - 1e-6
    else:
        assert float(m.mean()) == pytest.approx(kept, abs=1e-6)


@pytest.mark.parametrize("threshold", ["network", "layer"])
def test_thresholds_start_at_the_rate_quantile_network_wide_or_per_layer(shared, threshold):
    rate = 0.6
    out, _, _ = captured_objective(smoke("phase_field", rate, {"threshold": threshold}), shared)
    latent = out["latent"]
    params = list(out["thresholds"].values())
    if threshold == "network":
        assert all(p is params[0] for p in params)
        everything = torch.cat([w.abs().flatten() for w in latent.values()]).numpy()
        assert all(v == pytest.approx(float(np.quantile(everything, rate)), rel=1e-6) for v in out["initial"].values())
    else:
        assert len({id(p) for p in params}) == len(params)
        for name, value in out["initial"].items():
            assert value == pytest.approx(float(np.quantile(latent[name].abs().numpy(), rate)), rel=1e-6)
        assert len(set(out["initial"].values())) > 1


@pytest.mark.parametrize("threshold", ["network", "layer"])
def test_threshold_options_train_and_hit_the_rate(shared, threshold):
    config = smoke("phase_field", 0.8, {"threshold": threshold})
    model, trainer, method = experiments.prepare(config, shared)
    method.fit(model, trainer, 0.8)
    params = parametrizations(model)
    thresholds = {n: p.threshold for n, p in params.items()}
    assert all(isinstance(t, torch.nn.Parameter) for t in thresholds.values())
    distinct = len({id(t) for t in thresholds.values()})
    assert distinct == (1 if threshold == "network" else len(thresholds))
    # thresholds are trained: they are among the model's parameters
    ids = {id(p) for p in model.parameters()}
    assert all(id(t) in ids for t in thresholds.values())
    metrics = run(config, shared)
    assert metrics["prunable_nonzero"] == kept_count(metrics["prunable_dense"], 0.8)


@pytest.mark.parametrize("threshold", ["network", "layer"])
def test_hard_mask_keeps_the_largest_soft_mask_margins(shared, threshold):
    """The evaluated mask keeps exactly c entries, in the soft mask's own order (|Ŵ| − τ_l) / s_l, which for
    one network-wide threshold is the order of |Ŵ|."""
    rate = 0.8
    model, trainer, method = experiments.prepare(smoke("phase_field", rate, {"threshold": threshold}), shared)
    method.fit(model, trainer, rate)
    latent = latent_weights(model)
    params = parametrizations(model)
    with torch.no_grad():
        margin = torch.cat(
            [((latent[n].abs() - p.threshold) / p.scale + p.offset).flatten() for n, p in params.items()]
        )
        magnitude = torch.cat([latent[n].abs().flatten() for n in params])
    hard = torch.cat([p.hard.flatten() for p in params.values()])
    assert int(hard.sum()) == kept_count(len(hard), rate)
    assert float(margin[hard == 1].min()) >= float(margin[hard == 0].max()) - 1e-6
    if threshold == "network":
        assert float(magnitude[hard == 1].min()) >= float(magnitude[hard == 0].max())


# --- reported statistics --------------------------------------------------------------------------


def check_histograms(histograms: dict, n: int, keys) -> None:
    assert set(histograms) == {str(at) for at in keys}
    for counts in histograms.values():
        assert len(counts) == HISTOGRAM_BINS
        assert all(isinstance(c, int) and c >= 0 for c in counts)
        assert sum(counts) == n


@pytest.mark.parametrize("method", list(BUDGET_METHODS))
def test_smoke_run_reports_mask_statistics(shared, method):
    config = smoke(method, 0.9)
    metrics = run(config, shared)
    for key in ("soft_rate", "soft_binary_fraction", "kept_overlap"):
        assert 0.0 <= metrics[key] <= 1.0, key
    assert "soft_hard_agreement" not in metrics
    n = metrics["prunable_dense"]
    recorded = [at for at in HISTOGRAM_AT if str(at) in metrics["mask_histograms"]]
    assert recorded, "no mask histogram recorded"
    check_histograms(metrics["mask_histograms"], n, recorded)
    _, trainer, _ = experiments.prepare(config, shared)
    steps = config.train.finetune_epochs * math.ceil(len(trainer.train_y) / config.train.batch_size)
    # the temperature is set before each step, so the last one ran at progress (steps - 1) / steps
    assert metrics["final_temperature"] == pytest.approx(Annealing(1.0, 200.0).at((steps - 1) / steps), rel=1e-5)


@pytest.mark.parametrize("method", ["phase_field", "budget_entropy"])
def test_histograms_at_5_50_95_percent_of_training(shared, method):
    """With enough steps (batch 8: 10 steps an epoch, 30 in all) every histogram is recorded."""
    config = smoke(method, 0.9)
    model, trainer, strategy = experiments.prepare(config, shared)
    trainer.config = dataclasses.replace(trainer.config, batch_size=8, finetune_epochs=3)
    extra = strategy.fit(model, trainer, 0.9)
    n = sum(p.hard.numel() for p in parametrizations(model).values())
    check_histograms(extra["mask_histograms"], n, HISTOGRAM_AT)
    assert extra["final_temperature"] == pytest.approx(Annealing(1.0, 200.0).at(29 / 30), rel=1e-5)
    # statistics agree with the soft masks left at the end of training
    with torch.no_grad():
        soft = torch.cat([m.flatten() for m in soft_masks(model).values()])
    assert extra["soft_rate"] == pytest.approx(1 - float(soft.mean()), abs=1e-6)
    for key in ("soft_rate", "soft_binary_fraction", "kept_overlap"):
        assert 0.0 <= extra[key] <= 1.0


# fmt: skip
def test_smoke_run_records_every_histogram(shared):
    metrics = run(smoke("phase_field", 0.9), shared)
    check_histograms(metrics["mask_histograms"], metrics["prunable_dense"], HISTOGRAM_AT)


@pytest.mark.parametrize("rate", [0.9, 0.97])
@pytest.mark.parametrize("method", list(BUDGET_METHODS))
def test_soft_masks_end_training_at_the_budget_and_keep_the_evaluated_network(shared, method, rate):
    """The solved budget holds at the end of training: the soft masks' rate is the target, the evaluated
    network's rate is exact, and nearly all of its weights are ones the soft masks kept too."""
    metrics = run(smoke(method, rate), shared)
    assert abs(metrics["soft_rate"] - rate) <= 0.002
    assert metrics["kept_overlap"] >= 0.95
    assert metrics["prunable_nonzero"] == kept_count(metrics["prunable_dense"], rate)


def test_budget_methods_are_at_version_2():
    assert all(type(get_method(name)).version == 2 for name in BUDGET_METHODS)
