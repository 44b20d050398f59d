"""The GCN's unit graph (accessible and co-accessible edges, dangling fraction, exactly-c consistent
masks) on hand-made masks of a tiny network, and topologically consistent pruning (TC) runs."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest
import torch
from smoke_runs import smoke

from gcnprune import experiments
from gcnprune.experiments import run
from gcnprune.graphs import normalised_adjacency
from gcnprune.masks import Mask, attach, get_mask, kept_count, latent_weights, magnitude_mask, set_mask
from gcnprune.methods import get_method
from gcnprune.methods.topological import ConsistentThresholdMask, consistent_soft_masks
from gcnprune.metrics import sparsity
from gcnprune.model import GCN, ModelConfig
from gcnprune.unit_graph import (  # fmt: skip
    consistent,
    consistent_magnitude_mask,
    dangling_fraction,
    hard_step,
    layer_shapes,
    smooth_step,
    unit_states,
)

JOINTS, FEATURES, CLASSES = 3, 3, 2
HEADS, CHANNELS, GRAPH, HIDDEN = 2, 2, 2, 3


def tiny(prune_classifier: bool = False, adjacency_head: bool = True, seed: int = 0, zero_bias: bool = False) -> GCN:
    """A chain of 3 joints; heads=2 × 2 channels (+ the adjacency head), 2 graph channels, 3 hidden units."""
    torch.manual_seed(seed)
    a = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=np.float32)
    config = ModelConfig(heads=HEADS, head_channels=CHANNELS, graph_channels=GRAPH, hidden=HIDDEN, dropout=0.0,
                         adjacency_head=adjacency_head, prune_classifier=prune_classifier)  # fmt: skip
    model = GCN(JOINTS, FEATURES, CLASSES, normalised_adjacency(a), config).eval()
    if zero_bias:
        with torch.no_grad():
            for name, p in model.named_parameters():
                if name.endswith("bias"):
                    p.zero_()
    return model


def full(model: GCN) -> OrderedDict[str, torch.Tensor]:
    return OrderedDict((name, torch.ones(layer.weight.shape)) for name, layer in model.prunable_layers().items())


def count(masks) -> int:
    return int(sum(float(m.sum()) for m in masks.values()))


def removed(before, after) -> dict[str, torch.Tensor]:
    """Edges that ``consistent`` dropped, by layer (only layers where it dropped some)."""
    return {n: before[n] - after[n] for n in before if bool((before[n] != after[n]).any())}


def outputs(model: GCN, masks, x: torch.Tensor) -> torch.Tensor:
    set_mask(model, Mask(masks))
    with torch.no_grad():
        return model(x)


# --- the unit graph on hand-made masks ------------------------------------------------------------


def test_layer_shapes_cover_every_layer_of_the_unit_graph():
    shapes = layer_shapes(tiny())
    c = (HEADS + 1) * CHANNELS
    assert shapes == OrderedDict([
        ("attention.query", (HEADS * CHANNELS, FEATURES)), ("attention.key", (HEADS * CHANNELS, FEATURES)),
        ("attention.value", (HEADS * CHANNELS, FEATURES)), ("attention.adjacency_value", (CHANNELS, FEATURES)),
        ("graph_conv.linear", (GRAPH, c)), ("hidden", (HIDDEN, JOINTS * GRAPH)), ("classifier", (CLASSES, HIDDEN)),
    ])  # fmt: skip
    assert "attention.adjacency_value" not in layer_shapes(tiny(adjacency_head=False))


def test_full_mask_is_consistent():
    model = tiny(prune_classifier=True)
    masks, shapes = full(model), layer_shapes(model)
    assert not removed(masks, consistent(masks, shapes, HEADS))
    assert dangling_fraction(masks, shapes, HEADS) == 0.0


@pytest.mark.parametrize("channel", [0, 3])
def test_value_channel_without_inputs_makes_its_graph_conv_edges_dangling(channel):
    model = tiny()
    masks, shapes = full(model), layer_shapes(model)
    masks["attention.value"][channel] = 0  # value channel `channel` is reached by no input
    out = consistent(masks, shapes, HEADS)
    assert set(removed(masks, out)) == {"graph_conv.linear"}
    assert torch.equal(out["graph_conv.linear"][:, channel], torch.zeros(GRAPH))
    assert int(out["graph_conv.linear"].sum()) == GRAPH * (HEADS + 1) * CHANNELS - GRAPH
    assert dangling_fraction(masks, shapes, HEADS) == pytest.approx(GRAPH / count(masks))


def test_adjacency_channel_without_inputs_makes_its_graph_conv_edges_dangling():
    model = tiny()
    masks, shapes = full(model), layer_shapes(model)
    masks["attention.adjacency_value"][1] = 0
    out = consistent(masks, shapes, HEADS)
    column = HEADS * CHANNELS + 1  # the adjacency head follows the attention heads in the concatenation
    assert set(removed(masks, out)) == {"graph_conv.linear"}
    assert torch.equal(out["graph_conv.linear"][:, column], torch.zeros(GRAPH))
    assert dangling_fraction(masks, shapes, HEADS) == pytest.approx(GRAPH / count(masks))


@pytest.mark.parametrize("unit", range(HIDDEN))
def test_hidden_unit_without_classifier_edges_makes_its_inputs_dangling(unit):
    model = tiny(prune_classifier=True)
    masks, shapes = full(model), layer_shapes(model)
    masks["classifier"][:, unit] = 0
    out = consistent(masks, shapes, HEADS)
    assert set(removed(masks, out)) == {"hidden"}
    assert torch.equal(out["hidden"][unit], torch.zeros(JOINTS * GRAPH))
    assert int(out["hidden"].sum()) == (HIDDEN - 1) * JOINTS * GRAPH
    assert dangling_fraction(masks, shapes, HEADS) == pytest.approx(JOINTS * GRAPH / count(masks))


def test_classifier_is_taken_as_fully_kept_when_not_prunable():
    model = tiny(prune_classifier=False)
    masks, shapes = full(model), layer_shapes(model)
    assert "classifier" not in masks and "classifier" in shapes
    assert not removed(masks, consistent(masks, shapes, HEADS))


@pytest.mark.parametrize("head,channel", [(0, 0), (1, 1)])
def test_query_edges_dangle_when_the_matching_key_channel_has_no_edges(head, channel):
    model = tiny()
    masks, shapes = full(model), layer_shapes(model)
    row = head * CHANNELS + channel
    masks["attention.key"][row] = 0
    out = consistent(masks, shapes, HEADS)
    assert set(removed(masks, out)) == {"attention.query"}
    assert torch.equal(out["attention.query"][row], torch.zeros(FEATURES))
    assert int(out["attention.query"].sum()) == (HEADS * CHANNELS - 1) * FEATURES
    assert dangling_fraction(masks, shapes, HEADS) == pytest.approx(FEATURES / count(masks))
    # a constant key channel shifts every attention score of a row equally: dropping the query edges
    # changes nothing, biases included
    x = torch.randn(4, JOINTS, FEATURES)
    assert torch.allclose(outputs(model, masks, x), outputs(model, out, x), atol=1e-6)


# fmt: skip
def test_key_edges_of_an_unreached_query_channel_only_dangle_if_they_cannot_change_the_output():
    model = tiny()
    masks, shapes = full(model), layer_shapes(model)
    masks["attention.query"][2] = 0
    out = consistent(masks, shapes, HEADS)
    x = torch.randn(4, JOINTS, FEATURES)
    assert torch.allclose(outputs(model, masks, x), outputs(model, out, x), atol=1e-6)


def test_head_without_useful_values_makes_its_queries_and_keys_dangling():
    model = tiny()
    masks, shapes = full(model), layer_shapes(model)
    head = 1
    rows = slice(head * CHANNELS, (head + 1) * CHANNELS)
    masks["attention.value"][rows] = 0
    out = consistent(masks, shapes, HEADS)
    assert set(removed(masks, out)) == {"attention.query", "attention.key", "graph_conv.linear"}
    for name in ("attention.query", "attention.key"):
        assert torch.equal(out[name][rows], torch.zeros(CHANNELS, FEATURES))
        assert torch.equal(out[name][: head * CHANNELS], torch.ones(head * CHANNELS, FEATURES))
    assert torch.equal(out["graph_conv.linear"][:, rows], torch.zeros(GRAPH, CHANNELS))
    dangling = 2 * CHANNELS * FEATURES + GRAPH * CHANNELS
    assert dangling_fraction(masks, shapes, HEADS) == pytest.approx(dangling / count(masks))


def test_values_not_used_downstream_also_kill_their_heads_attention():
    model = tiny()
    masks, shapes = full(model), layer_shapes(model)
    masks["graph_conv.linear"][:, 0:CHANNELS] = 0  # head 0's value channels feed nothing
    out = consistent(masks, shapes, HEADS)
    assert set(removed(masks, out)) == {"attention.query", "attention.key", "attention.value"}
    for name in ("attention.query", "attention.key", "attention.value"):
        assert torch.equal(out[name][:CHANNELS], torch.zeros(CHANNELS, FEATURES))


@pytest.mark.parametrize("g", range(GRAPH))
def test_graph_channel_without_inputs_makes_its_hidden_edges_dangling_at_every_joint(g):
    model = tiny()
    masks, shapes = full(model), layer_shapes(model)
    masks["graph_conv.linear"][g] = 0
    out = consistent(masks, shapes, HEADS)
    assert set(removed(masks, out)) == {"hidden"}
    columns = [j * GRAPH + g for j in range(JOINTS)]  # flatten order is (joint, channel)
    assert torch.equal(out["hidden"][:, columns], torch.zeros(HIDDEN, JOINTS))
    assert int(out["hidden"].sum()) == HIDDEN * JOINTS * (GRAPH - 1)


@pytest.mark.parametrize("g", range(GRAPH))
def test_graph_channel_feeding_no_hidden_unit_makes_its_inputs_dangling(g):
    model = tiny()
    masks, shapes = full(model), layer_shapes(model)
    masks["hidden"][:, [j * GRAPH + g for j in range(JOINTS)]] = 0
    out = consistent(masks, shapes, HEADS)
    assert set(removed(masks, out)) == {"graph_conv.linear"}
    assert torch.equal(out["graph_conv.linear"][g], torch.zeros((HEADS + 1) * CHANNELS))


def test_one_joint_of_a_graph_channel_is_enough_to_keep_it():
    model = tiny()
    masks, shapes = full(model), layer_shapes(model)
    masks["hidden"][:, [j * GRAPH for j in range(1, JOINTS)]] = 0  # channel 0 still feeds from joint 0
    assert not removed(masks, consistent(masks, shapes, HEADS))


def test_removing_dangling_edges_cascades_to_a_fixed_point():
    model = tiny(prune_classifier=True)
    masks, shapes = full(model), layer_shapes(model)
    masks["classifier"][:] = 0  # nothing reaches an output: every edge dangles
    out = consistent(masks, shapes, HEADS)
    assert count(out) == 0
    assert dangling_fraction(masks, shapes, HEADS) == 1.0
    masks = full(model)
    masks["attention.value"][:] = 0
    masks["attention.adjacency_value"][:] = 0  # nothing is reached from the inputs
    assert count(consistent(masks, shapes, HEADS)) == 0


def random_masks(model: GCN, density: float, seed: int) -> OrderedDict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return OrderedDict((n, (torch.rand(layer.weight.shape, generator=g) < density).float())
                       for n, layer in model.prunable_layers().items())  # fmt: skip


@pytest.mark.parametrize("prune_classifier", [False, True])
@pytest.mark.parametrize("density", [0.15, 0.3, 0.6])
def test_consistent_is_an_idempotent_subset_with_no_dangling_edges(prune_classifier, density):
    model = tiny(prune_classifier=prune_classifier)
    shapes = layer_shapes(model)
    for seed in range(10):
        masks = random_masks(model, density, seed)
        out = consistent(masks, shapes, HEADS)
        assert all(bool((out[n] <= masks[n]).all()) for n in masks)
        again = consistent(out, shapes, HEADS)
        assert all(torch.equal(again[n], out[n]) for n in out)
        assert dangling_fraction(out, shapes, HEADS) == 0.0
        kept, useful = count(masks), count(out)
        assert dangling_fraction(masks, shapes, HEADS) == pytest.approx(0.0 if kept == 0 else 1 - useful / kept)


@pytest.mark.parametrize("prune_classifier", [False, True])
def test_dangling_edges_do_not_change_the_output_of_a_bias_free_network(prune_classifier):
    """With zero biases an unreached unit outputs 0, so removing dangling edges leaves the output exact."""
    model = tiny(prune_classifier=prune_classifier, zero_bias=True)
    shapes = layer_shapes(model)
    x = torch.randn(6, JOINTS, FEATURES)
    changed = 0
    for seed in range(12):
        masks = random_masks(model, 0.35, seed)
        out = consistent(masks, shapes, HEADS)
        changed += count(out) < count(masks)
        assert torch.allclose(outputs(model, masks, x), outputs(model, out, x), atol=1e-6)
    assert changed >= 3  # the check was not vacuous


def test_unit_states_with_the_hard_step_and_the_smooth_surrogate():
    model = tiny()
    shapes = layer_shapes(model)
    masks = random_masks(model, 0.4, 3)
    assert torch.equal(hard_step(torch.tensor([-1.0, 0.0, 0.5])), torch.tensor([0.0, 0.0, 1.0]))
    step = smooth_step(10.0)
    assert torch.allclose(step(torch.tensor([0.0, 0.05, 1.0])), torch.tanh(torch.tensor([0.0, 0.5, 10.0])))
    hard_alpha, hard_beta = unit_states(masks, shapes, HEADS)
    soft_alpha, soft_beta = unit_states(masks, shapes, HEADS, smooth_step(1e4))
    for name in hard_alpha:
        assert torch.allclose(soft_alpha[name], hard_alpha[name], atol=1e-4)
        assert torch.allclose(soft_beta[name], hard_beta[name], atol=1e-4)


def test_smooth_consistency_is_differentiable():
    model = tiny(prune_classifier=True)
    shapes = layer_shapes(model)
    raw = OrderedDict((n, torch.full(layer.weight.shape, 0.3, requires_grad=True))
                      for n, layer in model.prunable_layers().items())  # fmt: skip
    out = consistent(raw, shapes, HEADS, smooth_step(2.0))
    sum(m.sum() for m in out.values()).backward()
    for name, m in raw.items():
        assert m.grad is not None and bool((m.grad != 0).any()), name


# --- exactly c consistent edges -------------------------------------------------------------------


def random_scores(model: GCN, seed: int) -> OrderedDict[str, torch.Tensor]:
    """Scores whose layers have very different scales, which is what makes plain top-c dangle."""
    g = torch.Generator().manual_seed(seed)
    out = OrderedDict()
    for name, layer in model.prunable_layers().items():
        out[name] = torch.rand(layer.weight.shape, generator=g) * 10 ** float(4 * torch.rand(1, generator=g) - 2)
    return out


@pytest.mark.parametrize("prune_classifier", [False, True])
def test_consistent_magnitude_mask_keeps_exactly_c_consistent_edges(prune_classifier):
    model = tiny(prune_classifier=prune_classifier)
    shapes = layer_shapes(model)
    minimal = 4 if prune_classifier else 3  # value → graph conv → hidden (→ classifier)
    for seed in range(4):
        scores = random_scores(model, seed) if seed else {n: w.detach().abs() for n, w in latent_weights(model).items()}
        n = sum(s.numel() for s in scores.values())
        for keep in sorted({minimal, minimal + 1, minimal + 2, 6, 9, 13, 20, 35, n // 2, n - 5, n}):
            out = consistent_magnitude_mask(scores, keep, shapes, HEADS)
            assert list(out) == list(scores)
            assert all(out[k].shape == scores[k].shape for k in out)
            assert all(bool(((m == 0) | (m == 1)).all()) for m in out.values())
            assert count(out) == keep, (seed, keep)
            assert dangling_fraction(out, shapes, HEADS) == 0.0
            again = consistent(out, shapes, HEADS)
            assert all(torch.equal(again[k], out[k]) for k in out)


@pytest.mark.parametrize("prune_classifier", [False, True])
def test_consistent_magnitude_mask_rejects_impossible_budgets(prune_classifier):
    model = tiny(prune_classifier=prune_classifier)
    shapes = layer_shapes(model)
    scores = random_scores(model, 1)
    n = sum(s.numel() for s in scores.values())
    for keep in [0, n + 1, *range(1, 4 if prune_classifier else 3)]:  # fewer edges than the shortest path
        with pytest.raises(ValueError):
            consistent_magnitude_mask(scores, keep, shapes, HEADS)


def test_consistent_magnitude_mask_is_plain_top_c_when_that_has_no_dangling_edges():
    model = tiny()
    shapes = layer_shapes(model)
    checked = 0
    for seed in range(3):
        torch.manual_seed(seed)
        weights = {n: torch.randn(layer.weight.shape) for n, layer in model.prunable_layers().items()}
        n = sum(w.numel() for w in weights.values())
        for keep in range(3, n + 1, 3):
            plain = magnitude_mask(weights, 1 - keep / n, "global")
            if count(plain) != keep or dangling_fraction(plain, shapes, HEADS) > 0:
                continue
            out = consistent_magnitude_mask({k: w.abs() for k, w in weights.items()}, keep, shapes, HEADS)
            assert all(torch.equal(out[k], plain[k]) for k in plain), (seed, keep)
            checked += 1
    assert checked >= 10


def test_consistent_magnitude_mask_prefers_large_scores():
    """With the budget of one shortest path, the path of the largest scores is the one kept."""
    model = tiny()
    shapes = layer_shapes(model)
    scores = OrderedDict((n, torch.full(layer.weight.shape, 0.1)) for n, layer in model.prunable_layers().items())
    scores["attention.value"][1, 2] = 5.0
    scores["graph_conv.linear"][0, 1] = 5.0
    scores["hidden"][2, 1 * GRAPH + 0] = 5.0  # joint 1, graph channel 0
    out = consistent_magnitude_mask(scores, 3, shapes, HEADS)
    assert count(out) == 3
    assert out["attention.value"][1, 2] == 1 and out["graph_conv.linear"][0, 1] == 1
    assert out["hidden"][2, GRAPH] == 1


# --- the TC method --------------------------------------------------------------------------------


@pytest.mark.parametrize("rate,threshold", [(0.5, "layer"), (0.9, "layer"), (0.97, "layer"), (0.9, "network")])
def test_tc_smoke_run_has_no_dangling_edges(shared, rate, threshold):
    metrics = run(smoke("topological", rate, {"threshold": threshold}), shared)
    assert metrics["dangling_fraction"] == 0.0
    assert metrics["prunable_nonzero"] == kept_count(metrics["prunable_dense"], rate)
    assert 0.0 <= metrics["magnitude_dangling_fraction"] <= 1.0
    for key in ("soft_rate", "soft_binary_fraction", "kept_overlap"):
        assert 0.0 <= metrics[key] <= 1.0
    # the solved budget holds for the consistent soft masks that training uses
    assert abs(metrics["soft_rate"] - rate) <= 0.002


@pytest.mark.parametrize("rate", [0.8, 0.9])
def test_tc_soft_masks_keep_the_evaluated_network(shared, rate):
    metrics = run(smoke("topological", rate), shared)
    assert metrics["kept_overlap"] >= 0.95


def test_tc_is_at_version_2():
    assert type(get_method("topological")).version == 2


def test_magnitude_dangles_and_tc_does_not_when_hidden_weights_dominate(shared):
    """Scaling the hidden layer up makes global top-c spend the whole budget there: nothing upstream is kept."""
    rate = 0.9
    model, trainer, _ = experiments.prepare(smoke("magnitude", rate), shared)
    with torch.no_grad():
        model.hidden.weight.mul_(100.0)
    set_mask(model, magnitude_mask(latent_weights(model), rate, "global"))
    mask = get_mask(model)
    assert int(mask["hidden"].sum()) == mask.num_nonzero()  # all kept weights are hidden ones...
    assert sparsity(model)["dangling_fraction"] == 1.0  # ...fed by no graph-conv channel, so all dangle

    model, trainer, method = experiments.prepare(smoke("topological", rate), shared)
    with torch.no_grad():
        model.hidden.weight.mul_(100.0)
    extra = method.fit(model, trainer, rate)
    stats = sparsity(model)
    assert stats["dangling_fraction"] == 0.0
    assert stats["prunable_nonzero"] == kept_count(stats["prunable_dense"], rate)
    assert extra["magnitude_dangling_fraction"] > 0.0  # plain top-c of TC's own weights would dangle
    mask = get_mask(model)
    assert all(int(mask[n].sum()) > 0 for n in ("graph_conv.linear", "hidden"))
    assert int(mask["attention.value"].sum() + mask["attention.adjacency_value"].sum()) > 0


def test_consistent_threshold_mask_uses_the_value_set_from_outside():
    threshold = torch.nn.Parameter(torch.tensor(0.5))
    mask = ConsistentThresholdMask(torch.Size([3]), threshold, torch.tensor(1.0), 1.0)
    latent = torch.tensor([0.1, 0.5, 2.0])
    raw = torch.sigmoid(latent.abs() - 0.5)
    assert torch.allclose(mask.soft(latent), raw)
    mask.current = torch.tensor([0.0, 1.0, 0.25])
    assert torch.equal(mask.soft(latent), mask.current)
    mask.current = None
    assert torch.allclose(mask.soft(latent), raw)


def test_consistent_soft_masks_approach_the_hard_consistent_masks_when_sharp():
    model = tiny(prune_classifier=True, seed=2)
    latent_scale = {n: float(layer.weight.detach().abs().mean()) for n, layer in model.prunable_layers().items()}
    with torch.no_grad():  # a large hidden layer, so that thresholding leaves dangling edges
        model.hidden.weight.mul_(3.0)
    threshold = torch.nn.Parameter(torch.tensor(float(np.mean(list(latent_scale.values())))))
    attach(model, lambda name, layer: ConsistentThresholdMask(layer.weight.shape, threshold, torch.tensor(1e7), 1.0))
    latent = latent_weights(model)
    raw = OrderedDict((n, (w.detach().abs() > threshold.detach()).float()) for n, w in latent.items())
    hard = consistent(raw, layer_shapes(model), HEADS)
    with torch.no_grad():
        soft = consistent_soft_masks(model, kappa=1e4)
    assert list(soft) == list(hard)
    for name in hard:
        assert torch.allclose(soft[name], hard[name], atol=1e-3), name
    assert 0 < count(hard) < count(raw)  # some edges were dropped as dangling, some kept
