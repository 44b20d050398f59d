"""Probabilistic magnitude pruning (PMP): the priors' quantiles, the two alignment divergences (KL and
quantile) that move the weights' quantiles onto the prior's, band-stop masks and their bands, and PMP runs."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch

from gcnprune.experiments import make_config, run
from gcnprune.graphs import normalised_adjacency
from gcnprune.masks import get_mask, kept_count, latent_weights, parametrizations
from gcnprune.methods import get_method
from gcnprune.methods.priors import (  # fmt: skip
    FAMILIES,
    Prior,
    alignment_divergence,
    ascending_magnitudes,
    kl_to_prior,
    magnitude_targets,
    quantile_distance,
)
from gcnprune.methods.probabilistic import (  # fmt: skip
    HISTOGRAM_BINS,
    BandStopMask,
    ProbabilisticConfig,
    attach_band_stop,
    band_mask,
    priors_of,
    set_bands,
    standardised_histogram,
)
from gcnprune.model import GCN, ModelConfig

RATES = (0.1, 0.5, 0.9, 0.98)


def sample(family: str, scale: float, n: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    if family == "gaussian":
        return torch.randn(n, generator=g, dtype=torch.float64) * scale
    if family == "laplace":
        u = torch.rand(n, generator=g, dtype=torch.float64) - 0.5
        return -scale * torch.sign(u) * torch.log1p(-2 * u.abs())
    return (torch.rand(n, generator=g, dtype=torch.float64) * 2 - 1) * scale


# --- priors ---------------------------------------------------------------------------------------


def test_prior_validation():
    with pytest.raises(ValueError):
        Prior("cauchy", 1.0)
    for scale in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError):
            Prior("gaussian", scale)
    prior = Prior("laplace", 1.0)
    for rate in (1.0, 1.5, -0.1):
        with pytest.raises(ValueError):
            prior.threshold(rate)
    assert prior.threshold(0.0) == 0.0


@pytest.mark.parametrize("rate", RATES)
def test_threshold_formulas(rate):
    s = 0.7
    a = Prior("gaussian", s).threshold(rate)
    assert math.erf(a / (s * math.sqrt(2))) == pytest.approx(rate, abs=1e-9)  # P(|w| < a) under N(0, s²)
    b = Prior("laplace", s).threshold(rate)
    assert b == pytest.approx(-s * math.log(1 - rate))
    assert 1 - math.exp(-b / s) == pytest.approx(rate)
    assert Prior("uniform", s).threshold(rate) == pytest.approx(s * rate)


@pytest.mark.parametrize("family", FAMILIES)
def test_threshold_is_the_quantile_of_magnitudes_under_the_prior(family):
    prior = Prior(family, 1.3)
    w = sample(family, prior.scale, 200_000, seed=1)
    thresholds = [prior.threshold(r) for r in RATES]
    assert thresholds == sorted(thresholds)
    for rate, a in zip(RATES, thresholds):
        assert float((w.abs() < a).double().mean()) == pytest.approx(rate, abs=0.01)


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("std", [0.05, 1.0, 3.0])
def test_with_std_gives_the_requested_std(family, std):
    prior = Prior.with_std(family, std)
    assert prior.family == family
    variance = {"gaussian": prior.scale**2, "laplace": 2 * prior.scale**2, "uniform": prior.scale**2 / 3}[family]
    assert math.sqrt(variance) == pytest.approx(std)
    assert float(sample(family, prior.scale, 200_000, seed=2).std()) == pytest.approx(std, rel=0.01)


def test_log_densities_match_torch_distributions():
    w = torch.linspace(-3, 3, 61, dtype=torch.float64)
    assert torch.allclose(Prior("gaussian", 0.8).log_density(w), torch.distributions.Normal(0.0, 0.8).log_prob(w))
    assert torch.allclose(Prior("laplace", 0.8).log_density(w), torch.distributions.Laplace(0.0, 0.8).log_prob(w))
    uniform = Prior("uniform", 2.0)
    inside = w[w.abs() <= 2.0]
    assert torch.allclose(uniform.log_density(inside), torch.full_like(inside, -math.log(4.0)))
    outside = torch.tensor([2.1, 2.5, 3.0], requires_grad=True)
    density = uniform.log_density(outside)
    assert bool((density < -math.log(4.0)).all()) and bool((density.diff() < 0).all())
    density.sum().backward()
    assert bool(torch.isfinite(outside.grad).all()) and bool((outside.grad < 0).all())


def test_kl_estimate_is_small_for_samples_of_the_prior_and_large_otherwise():
    g = torch.Generator().manual_seed(0)
    w = torch.randn(2000, generator=g)
    matched = float(kl_to_prior(w, Prior("gaussian", 1.0), 2000))
    assert abs(matched) < 0.05
    assert float(kl_to_prior(w, Prior("gaussian", 0.3), 2000)) > matched + 1.0
    assert float(kl_to_prior(w, Prior("gaussian", 3.0), 2000)) > matched + 0.3
    assert float(kl_to_prior(w + 2.0, Prior("gaussian", 1.0), 2000)) > matched + 1.0


def test_kl_estimate_subsamples_reproducibly_and_is_differentiable():
    w = torch.nn.Parameter(torch.randn(3000, generator=torch.Generator().manual_seed(1)))
    prior = Prior("laplace", 0.7)
    first = kl_to_prior(w, prior, 256, torch.Generator().manual_seed(5))
    second = kl_to_prior(w, prior, 256, torch.Generator().manual_seed(5))
    assert torch.equal(first, second)
    first.backward()
    touched = int((w.grad != 0).sum())
    assert 0 < touched <= 256  # only the subsample enters the estimate


@pytest.mark.parametrize("family", FAMILIES)
def test_prior_std_and_vectorised_quantiles_agree_with_the_threshold(family):
    prior = Prior.with_std(family, 0.4)
    assert prior.std == pytest.approx(0.4)
    levels = torch.tensor(RATES, dtype=torch.float64)
    assert prior.magnitude_quantile(levels).tolist() == pytest.approx([prior.threshold(r) for r in RATES])
    targets = magnitude_targets(prior, 8)
    assert targets.tolist() == pytest.approx([prior.threshold((i + 0.5) / 8) for i in range(8)], rel=1e-6)


def exact_quantile_weights(prior: Prior, n: int, seed: int = 0) -> torch.Tensor:
    """Weights whose magnitudes are exactly the prior's midpoint quantiles, in random order and signs."""
    g = torch.Generator().manual_seed(seed)
    signs = torch.where(torch.rand(n, generator=g) < 0.5, -1.0, 1.0)
    return (magnitude_targets(prior, n) * signs)[torch.randperm(n, generator=g)]


@pytest.mark.parametrize("family", FAMILIES)
def test_quantile_distance_is_zero_exactly_at_the_priors_quantiles(family):
    prior = Prior.with_std(family, 0.3)
    w = exact_quantile_weights(prior, 5000)
    assert float(quantile_distance(w, prior)) == pytest.approx(0.0, abs=1e-10)
    assert float(quantile_distance(-w.view(50, 100), prior)) == pytest.approx(0.0, abs=1e-10)  # signs, shape free
    for a in (0.5, 0.9, 0.98):  # and so the prior's cut prunes exactly round(r n)
        assert int((w.abs() < prior.threshold(a)).sum()) == round(a * 5000)
    # off the quantiles it is positive: (1/n) Σ (c a_i − a_i)² / σ² = (c − 1)² E[a_i²] / σ² = (c − 1)² for a scaling c
    for c in (0.5, 1.2):
        assert float(quantile_distance(c * w, prior)) == pytest.approx((c - 1) ** 2, rel=0.01)
    assert float(quantile_distance(w + prior.std, prior)) > 0.1  # a shift: magnitudes no longer folded right


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_ascending_magnitudes_is_a_stable_sort_with_its_gradient(dtype):
    # many ties, signed zeros and both signs: equal magnitudes must keep their index order
    w = torch.nn.Parameter((torch.randint(-40, 41, (5000,), generator=torch.Generator().manual_seed(0)) / 8).to(dtype))
    w.data[:3] = torch.tensor([-0.0, 0.0, -0.0])
    got = ascending_magnitudes(w.reshape(50, 100))
    expected, order = torch.sort(w.detach().abs(), stable=True)
    assert torch.equal(got.detach(), expected)
    weights = torch.arange(5000, dtype=dtype)
    (got * weights).sum().backward()
    grad = torch.zeros(5000, dtype=dtype)
    grad[order] = weights * torch.sign(w.detach()[order])
    assert torch.equal(w.grad, grad)


@pytest.mark.parametrize("scale", [0.7, 1.3])
def test_quantile_distance_gradient_pulls_magnitudes_towards_the_prior(scale):
    prior = Prior("gaussian", 1.0)
    w = torch.nn.Parameter(scale * exact_quantile_weights(prior, 2000))
    quantile_distance(w, prior).backward()
    # −∂D/∂w_i = −2 (|w|_(i) − a_i) sign(w_i) / (n σ²): inwards if too wide, outwards if too narrow
    expected = 2 * (scale - 1) * w.detach() / scale / 2000
    assert torch.allclose(w.grad, expected, atol=1e-7)
    moved = (w.detach() - 0.1 * w.grad / w.grad.abs().max()).abs()
    assert bool(((moved - w.detach().abs()) * (1 - scale) >= 0).all())


def test_alignment_divergence_dispatches_and_rejects_unknown_kinds():
    prior = Prior("laplace", 0.5)
    w = torch.randn(300, generator=torch.Generator().manual_seed(3))
    assert torch.equal(alignment_divergence(w, prior, "quantile"), quantile_distance(w, prior))
    kl = alignment_divergence(w, prior, "kl", 128, torch.Generator().manual_seed(1))
    assert torch.equal(kl, kl_to_prior(w, prior, 128, torch.Generator().manual_seed(1)))
    with pytest.raises(ValueError):
        alignment_divergence(w, prior, "wasserstein")
    with pytest.raises(ValueError):
        ProbabilisticConfig(alignment="wasserstein")


def test_defaults_are_the_papers_threshold_with_the_quantile_alignment():
    config = ProbabilisticConfig()
    assert config.threshold == "prior" and config.alignment == "quantile" and config.alignment_weight > 0


def magnitude_quantiles(w: torch.Tensor, rates) -> torch.Tensor:
    return torch.quantile(w.detach().abs().double(), torch.tensor(rates, dtype=torch.float64))


@pytest.mark.parametrize("alignment", ["kl", "quantile"])
@pytest.mark.parametrize("start", ["uniform", "shifted"])
def test_minimising_the_alignment_moves_the_weight_quantiles_onto_the_priors(start, alignment):
    """The property PMP relies on: after aligning, the prior's a(r) prunes a fraction r of the weights."""
    rates = (0.5, 0.9, 0.98)
    prior = Prior("gaussian", 1.0)
    target = torch.tensor([prior.threshold(r) for r in rates], dtype=torch.float64)
    g = torch.Generator().manual_seed(0)
    if start == "uniform":  # too narrow and the wrong shape: no tails at all
        init = (torch.rand(3000, generator=g) * 2 - 1) * 0.8
    else:  # off-centre and narrow
        init = torch.randn(3000, generator=g) * 0.5 + 0.7
    w = torch.nn.Parameter(init)
    before = (magnitude_quantiles(w, rates) - target).abs()
    optimiser = torch.optim.Adam([w], lr=0.03)
    for _ in range(200):
        optimiser.zero_grad()
        alignment_divergence(w, prior, alignment, 1024, g).backward()
        optimiser.step()
    after = (magnitude_quantiles(w, rates) - target).abs()
    assert float(before.max()) > 0.25  # the start was far off
    assert bool((after < 0.08).all()), after
    assert float(after.sum()) < float(before.sum()) / 4
    far = before > 0.1
    assert bool((after[far] < before[far] / 2).all())
    assert w.detach().square().mean().sqrt().item() == pytest.approx(1.0, abs=0.05)  # E[w²] = σ²
    if alignment == "kl":  # the KL aligns the signed weights; the quantile distance leaves signs free
        assert abs(w.mean().item()) < 0.05 and w.std().item() == pytest.approx(1.0, abs=0.05)
    # and so the prior's thresholds now prune about the intended fractions of the weights
    for rate, a in zip(rates, target):
        assert float((w.detach().abs() < a).float().mean()) == pytest.approx(rate, abs=0.03)


# --- band-stop masks ------------------------------------------------------------------------------


def test_band_stop_mask_is_closed_inside_the_band_and_open_outside():
    mask = BandStopMask(torch.Size([9]), torch.tensor(2000.0), prior_std=1.0)
    mask.band.fill_(0.5)
    latent = torch.tensor([-2.0, -0.7, -0.55, -0.3, 0.0, 0.3, 0.45, 0.55, 2.0])
    soft = mask.soft(latent)
    inside = latent.abs() < 0.5
    assert bool((soft[inside] < 1e-6).all())
    assert bool((soft[~inside] > 1 - 1e-6).all())
    assert mask.soft(torch.tensor([0.5, -0.5])).tolist() == pytest.approx([0.5, 0.5], abs=1e-6)
    # at a low temperature the mask is soft, and symmetric in the sign of the weight
    mask.temperature.fill_(1.0)
    soft = mask.soft(latent)
    assert bool(((soft > 0) & (soft < 1)).all())
    assert torch.allclose(mask.soft(-latent), soft)
    expected = torch.sigmoid(latent - 0.5) + torch.sigmoid(-(latent + 0.5))
    assert torch.allclose(soft, expected)


def test_band_stop_temperature_is_in_units_of_the_prior_std():
    a = BandStopMask(torch.Size([5]), torch.tensor(4.0), prior_std=1.0)
    b = BandStopMask(torch.Size([5]), torch.tensor(4.0), prior_std=2.0)
    a.band.fill_(0.3)
    b.band.fill_(0.6)
    latent = torch.linspace(-1, 1, 5)
    assert torch.allclose(b.soft(2 * latent), a.soft(latent))


def small_model(seed: int = 0) -> GCN:
    torch.manual_seed(seed)
    adjacency = normalised_adjacency(np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=np.float32))
    model = GCN(3, 6, 4, adjacency, ModelConfig(heads=2, head_channels=4, graph_channels=6, hidden=10))
    with torch.no_grad():
        model.hidden.weight.mul_(4.0)  # layers of different spreads
    return model


def test_priors_are_fitted_to_each_layers_std():
    model = small_model()
    stds = {n: float(w.detach().std()) for n, w in latent_weights(model).items()}
    attach_band_stop(model, torch.tensor(1.0))
    for family in FAMILIES:
        priors = priors_of(model, family)
        assert list(priors) == list(stds)
        for name, prior in priors.items():
            assert prior == Prior.with_std(family, stds[name])
            assert float(parametrizations(model)[name].prior_std) == pytest.approx(stds[name])


@pytest.mark.parametrize("rate", [0.3, 0.8])
def test_bands_from_the_prior_and_from_the_weights(rate):
    model = small_model()
    attach_band_stop(model, torch.tensor(1.0))
    priors = priors_of(model, "laplace")
    set_bands(model, priors, rate, "prior")
    for name, p in parametrizations(model).items():
        assert float(p.band) == pytest.approx(priors[name].threshold(rate), rel=1e-6)
    cut = band_mask(model)
    latent = latent_weights(model)
    for name in cut:
        assert torch.equal(cut[name], (latent[name].detach().abs() > parametrizations(model)[name].band).float())
    set_bands(model, priors, rate, "empirical")
    cut = band_mask(model)
    for name, m in cut.items():  # exactly round(r n_l) of each layer fall in the band
        n = m.numel()
        assert int((m == 0).sum()) == int(round(rate * n)), name


def test_standardised_histogram_counts_every_weight():
    model = small_model()
    attach_band_stop(model, torch.tensor(1.0))
    counts = standardised_histogram(model)
    n = sum(w.numel() for w in latent_weights(model).values())
    assert len(counts) == HISTOGRAM_BINS and sum(counts) == n  # all within ±4 prior stds here
    pooled = np.concatenate([(w.detach() / w.detach().std()).flatten().numpy() for w in latent_weights(model).values()])
    expected, _ = np.histogram(pooled, bins=HISTOGRAM_BINS, range=(-4.0, 4.0))
    assert np.abs(np.asarray(counts) - expected).sum() <= 2  # up to weights exactly on a bin edge


# --- PMP runs -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    return tmp_path_factory.mktemp("methods-probabilistic")


def smoke(rate: float, **method_config):
    return make_config("synthetic", "smoke", 0, "probabilistic", rate, method_config=method_config)


def check_pmp_metrics(metrics: dict, rate: float) -> None:
    n = metrics["prunable_dense"]
    assert metrics["prunable_nonzero"] == kept_count(n, rate)
    assert 0.0 <= metrics["threshold_accuracy"] <= 1.0
    assert 0.0 <= metrics["threshold_rate"] <= 1.0
    for key in ("latent_histogram_start", "latent_histogram_end"):
        assert len(metrics[key]) == HISTOGRAM_BINS and 0 < sum(metrics[key]) <= n
    assert metrics["final_temperature"] > 1.0


@pytest.mark.parametrize("family", FAMILIES)
def test_pmp_smoke_run_reports_the_prior_thresholds_network(shared, family):
    metrics = run(smoke(0.9, family=family), shared)
    check_pmp_metrics(metrics, 0.9)


def test_pmp_without_kl_still_runs(shared):
    """The ablation η = 0: band-stop masks at the prior's quantile, no alignment."""
    metrics = run(smoke(0.7, alignment_weight=0.0), shared)
    check_pmp_metrics(metrics, 0.7)
    assert smoke(0.7, alignment_weight=0.0).run_hash() != smoke(0.7).run_hash()


def test_pmp_prior_threshold_cuts_close_to_the_target_rate(shared):
    """With the default prior threshold and quantile alignment the cut at a(r) prunes about r even in a
    few smoke steps; without alignment (η = 0) it drifts much further."""
    rate = 0.8
    aligned, free = run(smoke(rate), shared), run(smoke(rate, alignment_weight=0.0), shared)
    assert abs(aligned["threshold_rate"] - rate) < 0.015
    assert abs(free["threshold_rate"] - rate) > 2 * abs(aligned["threshold_rate"] - rate)


def test_pmp_empirical_threshold_prunes_the_rate_at_the_threshold(shared):
    rate = 0.8
    metrics = run(smoke(rate, threshold="empirical"), shared)
    check_pmp_metrics(metrics, rate)
    layers = 6  # the smoke model's prunable layers; each rounds its own share
    assert abs(metrics["threshold_rate"] - rate) <= layers / metrics["prunable_dense"]


def test_pmp_evaluates_the_exact_per_layer_projection(shared):
    from gcnprune import experiments

    config = smoke(0.9, scope="layer")
    model, _, _ = experiments.train_run(config, shared, None, False)
    mask = get_mask(model)
    n = mask.num_dense()
    assert mask.num_nonzero() == kept_count(n, 0.9)
    latent = latent_weights(model)
    for name, m in mask.items():
        assert abs(int(m.sum()) - 0.1 * m.numel()) < 1.0  # each layer keeps its own share
        kept, dropped = latent[name].detach().abs()[m == 1], latent[name].detach().abs()[m == 0]
        assert float(kept.min()) >= float(dropped.max())


def test_the_network_scope_is_the_default_and_the_layer_runs_keep_their_names():
    """``scope`` came after PMP's per-layer runs were committed: at "layer" it stays out of the hash, so they keep
    their names; the default, "network", enters it."""
    layer, network = smoke(0.9, scope="layer"), smoke(0.9, scope="network")
    assert smoke(0.9).run_hash() == network.run_hash() != layer.run_hash()
    assert network.resolved()["method_config"]["scope"] == "network"
    assert "scope" not in layer.resolved()["method_config"]
    settings = dataclasses.asdict(get_method("probabilistic", layer.method_config).config)
    hashed_layer = {k: v for k, v in settings.items() if k not in ("scope", "head_share")}  # added at their defaults
    assert layer.resolved()["method_config"] == hashed_layer  # exactly what the committed runs' config.json held
    with pytest.raises(ValueError, match="scope must be one of 'layer', 'network'"):
        smoke(0.9, scope="row")


@pytest.mark.parametrize("method", ["probabilistic", "multi_rate"])
def test_the_network_scope_has_one_prior_and_prunes_exactly_network_wide(tmp_path, method):
    from gcnprune.experiments import train_run

    config = make_config("synthetic", "smoke", 0, method, 0.9, method_config={"scope": "network"})
    model, _, metrics = train_run(config, tmp_path, None, False)
    stds = {float(p.prior_std) for p in parametrizations(model).values()}
    assert len(stds) == 1  # one prior for all prunable weights
    mask = get_mask(model)
    assert mask.num_nonzero() == kept_count(mask.num_dense(), 0.9) and metrics["achieved_rate"] == mask.rate()
    latent = latent_weights(model)
    kept = torch.cat([latent[n].detach().abs()[m.bool()] for n, m in mask.items()])
    pruned = torch.cat([latent[n].detach().abs()[~m.bool()] for n, m in mask.items()])
    assert kept.min() >= pruned.max()  # one network-wide ranking, not per layer
    per_layer = [m.mean().item() for m in mask.values()]
    assert max(per_layer) - min(per_layer) > 0.01  # layers keep different shares, as under global MP
