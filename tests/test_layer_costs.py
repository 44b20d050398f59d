"""layer_costs: every multiply-add of a forward pass is counted once, in the layer that does it, and the
parameters are the model's; kept_units counts the units a mask leaves."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from gcnprune.book.report.layer_costs import PRODUCTS, kept_units, layer_costs, pruning_patterns
from gcnprune.deploy.bench import gcn_macs
from gcnprune.graphs import normalised_adjacency
from gcnprune.masks import latent_weights, magnitude_mask
from gcnprune.model import GCN, ModelConfig

SMALL = ModelConfig(heads=2, head_channels=4, graph_channels=8, hidden=32)


def gcn(config: ModelConfig = SMALL, joints: int = 5, features: int = 12, classes: int = 3) -> GCN:
    adjacency = np.diag(np.ones(joints - 1, dtype=np.float32), 1) + np.diag(np.ones(joints - 1, dtype=np.float32), -1)
    return GCN(joints, features, classes, normalised_adjacency(adjacency), config)


@pytest.mark.parametrize("config", [SMALL, replace(SMALL, adjacency_head=False), replace(SMALL, heads=3, hidden=7)])
def test_totals_are_the_models_parameters_and_the_bench_formulas_multiply_adds(config):
    model = gcn(config)
    table = layer_costs(model)
    assert table["parameters"].sum() == model.parameter_count()
    assert table["multiply-adds"].sum() == gcn_macs(model)
    assert table["parameters (%)"].sum() == pytest.approx(100) and table["multiply-adds (%)"].sum() == pytest.approx(
        100
    )
    assert ("attention.adjacency_value" in table.index) == config.adjacency_head
    assert set(table.index[table["prunable"]]) == set(model.prunable_layers())


def test_each_layer_costs_its_own_products_per_sequence():
    model, joints, features = gcn(), 5, 12
    table = layer_costs(model, torch.randn(4, joints, features))  # per sequence, whatever the batch
    assert table.loc["attention.query", "multiply-adds"] == joints * features * 2 * 4
    assert table.loc["hidden", "multiply-adds"] == joints * 8 * 32
    assert table.loc["hidden", "parameters"] == joints * 8 * 32 + 32
    assert table.loc[PRODUCTS["graph_conv"], "multiply-adds"] == joints * joints * 8
    assert table.loc[PRODUCTS["attention"], "parameters"] == 0
    with pytest.raises(ValueError, match="inputs must be"):
        layer_costs(model, torch.zeros(1, joints, features + 1))


def test_kept_units_counts_rows_and_columns_with_a_kept_weight():
    masks = {"a": torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]), "b": torch.ones(2, 2)}
    table = kept_units(masks)
    assert table.loc["a"].tolist() == [pytest.approx(100 / 6), 1, 2, 1, 3]
    assert table.loc["b", "output units left"] == 2 and table.loc["b", "weights kept (%)"] == 100
    mask = magnitude_mask(latent_weights(gcn()), 0.9)
    units = kept_units(mask)
    assert (units["output units left"] <= units["output units"]).all()


def test_pruning_patterns_set_global_and_per_layer_mp_side_by_side():
    weights = latent_weights(gcn())
    table = pruning_patterns(weights, 0.9)
    for scope in ("global", "layer"):
        mask = magnitude_mask(weights, 0.9, scope)
        expected = kept_units(mask)
        assert table[(f"MP, {scope}", "output units left")].tolist() == expected["output units left"].tolist()
        assert table[(f"MP, {scope}", "weights kept (%)")].tolist() == pytest.approx(
            expected["weights kept (%)"].tolist()
        )
    assert table[("", "output units")].tolist() == [w.shape[0] for w in weights.values()]
