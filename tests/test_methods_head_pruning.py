"""Head-aware magnitude pruning: the heads it keeps are the most important ones, every weight of the others is
pruned, the rate is exact, the kept weights of the rest are the largest, and export removes the pruned heads."""

from __future__ import annotations

import pytest
import smoke_runs
import torch

from gcnprune.deploy.compaction import compact_model
from gcnprune.experiments import run
from gcnprune.experiments.runner import prepare
from gcnprune.masks import get_mask, kept_count, latent_weights
from gcnprune.methods import METHODS, get_method
from gcnprune.methods.head_pruning import HEAD_LAYERS, head_importance, head_rows, kept_heads


def test_registered_as_a_grid_method_starting_from_dense_and_refusing_bad_budgets():
    cls = METHODS["head_magnitude"]
    assert cls.parent_method == "dense" and not cls.internal
    assert get_method("head_magnitude").config.head_share == 0.25
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match=r"head_share .* must be in \[0, 1\]"):
            get_method("head_magnitude", {"head_share": bad})


def test_a_share_keeps_a_rounded_count_of_heads_and_at_least_one_unless_zero():
    assert [kept_heads(s, 16) for s in (0.0, 0.01, 0.125, 0.25, 1.0)] == [0, 1, 2, 4, 16]
    assert kept_heads(0.25, 2) == 1


@pytest.fixture(scope="module")
def pruned(tmp_path_factory):
    """A smoke network (2 heads) pruned to one head at rate 0.5, and its dense parent's head importances."""
    results = tmp_path_factory.mktemp("results")
    config = smoke_runs.smoke("head_magnitude", 0.5, {"head_share": 0.5})
    run(config.parent(), results)
    parent, trainer, method = prepare(config, results, None, False)
    importance = head_importance(parent, trainer)
    before = {name: w.detach().clone() for name, w in latent_weights(parent).items()}
    method.fit(parent, trainer, config.rate)
    return config, parent, importance, before


def test_the_most_important_head_stays_and_every_weight_of_the_other_is_pruned(pruned):
    config, model, importance, _ = pruned
    mask = get_mask(model)
    kept, dropped = int(importance.argmax()), int(importance.argmin())
    for name in HEAD_LAYERS:
        assert mask[name][head_rows(model, dropped)].sum() == 0, name
    assert sum(float(mask[name][head_rows(model, kept)].sum()) for name in HEAD_LAYERS) > 0


def test_the_rate_is_exact_and_the_kept_weights_of_the_rest_are_the_largest(pruned):
    config, model, importance, before = pruned
    mask = get_mask(model)
    assert mask.num_nonzero() == kept_count(mask.num_dense(), config.rate)
    dropped = int(importance.argmin())
    remaining = {name: torch.ones_like(m, dtype=torch.bool) for name, m in mask.items()}
    for name in HEAD_LAYERS:
        remaining[name][head_rows(model, dropped)] = False
    kept = torch.cat([before[n].abs()[(mask[n] > 0) & remaining[n]] for n in mask])
    pruned_rest = torch.cat([before[n].abs()[(mask[n] == 0) & remaining[n]] for n in mask])
    assert kept.min() >= pruned_rest.max()


def test_export_removes_the_pruned_heads(pruned):
    _, model, _, _ = pruned
    compact = compact_model(model)
    assert compact.structure["heads"] == [int(pruned[2].argmax())]


def test_no_attention_head_leaves_the_adjacency_head_alone(tmp_path):
    config = smoke_runs.smoke("head_magnitude", 0.5, {"head_share": 0.0})
    run(config.parent(), tmp_path)
    model, trainer, method = prepare(config, tmp_path, None, False)
    method.fit(model, trainer, config.rate)
    assert compact_model(model).structure["heads"] == []
    assert get_mask(model).num_nonzero() == kept_count(get_mask(model).num_dense(), config.rate)


@pytest.mark.parametrize("method", ["probabilistic", "topological"])
def test_pmp_and_tc_can_remove_whole_heads_first_at_their_exact_rate(tmp_path, method):
    config = smoke_runs.smoke(method, 0.5, {"head_share": 0.5})
    run(config.parent(), tmp_path)
    model, trainer, fitting = prepare(config, tmp_path, None, False)
    importance = head_importance(model, trainer)
    fitting.fit(model, trainer, config.rate)
    mask, dropped = get_mask(model), int(importance.argmin())
    assert mask.num_nonzero() == kept_count(mask.num_dense(), config.rate)
    assert all(mask[name][head_rows(model, dropped)].sum() == 0 for name in HEAD_LAYERS)
    assert compact_model(model).structure["heads"] == [int(importance.argmax())]
    assert get_method(method).config.head_share == 1.0  # all heads by default: committed runs keep their names
