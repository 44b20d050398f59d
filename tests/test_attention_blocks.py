"""The papers' author's network (attention blocks) and his loss-derivative learning-rate rule: shapes, layers,
learned adjacencies, the rule on constructed losses, and that neither option renames a committed run."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from gcnprune.attention_blocks import AttentionBlocksGCN
from gcnprune.errors import UserError
from gcnprune.experiments.config import hashed, make_config
from gcnprune.graphs import FeatureConfig
from gcnprune.model import GCN, ModelConfig
from gcnprune.networks import build_network
from gcnprune.train import LR_BOUNDS, LR_STEP, TrainConfig, Trainer, loss_derivative_factor, seed_everything

JOINTS, FEATURES, CLASSES = 5, 6, 3
BLOCKS = ModelConfig(architecture="attention_blocks", blocks=3, block_heads=2, filters=4, head_channels=3, hidden=7)


def test_blocks_network_shapes_and_layers():
    model = AttentionBlocksGCN(JOINTS, FEATURES, CLASSES, BLOCKS)
    assert model(torch.randn(4, JOINTS, FEATURES)).shape == (4, CLASSES)
    names = list(model.prunable_layers())
    assert names == [f"blocks.{i}.{p}" for i in range(3) for p in ("query", "key", "conv")] + ["hidden"]
    assert model.blocks[0].conv.weight.shape == (2 * 4, FEATURES)
    assert model.blocks[1].conv.weight.shape == (2 * 4, 2 * 4)  # a block reads the previous block's heads × filters
    assert model.hidden.weight.shape == (7, JOINTS * 2 * 4)


def test_attention_rows_sum_to_one_in_both_forms():
    x = torch.randn(2, JOINTS, FEATURES)
    for form in ("dot_product", "learned"):
        block = AttentionBlocksGCN(JOINTS, FEATURES, CLASSES, replace(BLOCKS, attention=form)).blocks[0]
        a = block.attention(x)
        assert a.shape == (2, 2, JOINTS, JOINTS)
        torch.testing.assert_close(a.sum(-1), torch.ones(2, 2, JOINTS))
    learned = AttentionBlocksGCN(JOINTS, FEATURES, CLASSES, replace(BLOCKS, attention="learned"))
    assert "blocks.0.query" not in learned.prunable_layers() and learned.blocks[0].logits.requires_grad


def test_build_network_follows_the_architecture():
    adjacency = torch.eye(JOINTS)
    assert isinstance(build_network(JOINTS, FEATURES, CLASSES, adjacency, ModelConfig(heads=2)), GCN)
    assert isinstance(build_network(JOINTS, FEATURES, CLASSES, adjacency, BLOCKS), AttentionBlocksGCN)
    with pytest.raises(ValueError, match="architecture must be one of"):
        ModelConfig(architecture="transformer")
    with pytest.raises(ValueError, match="attention must be one of"):
        ModelConfig(attention="cosine")
    with pytest.raises(ValueError, match="lr_rule must be one of"):
        TrainConfig(lr_rule="step")


def test_new_settings_at_their_defaults_stay_out_of_the_hash():
    assert not {"architecture", "blocks", "block_heads", "filters", "attention"} & set(hashed(ModelConfig()))
    assert "lr_rule" not in hashed(TrainConfig())
    assert hashed(BLOCKS)["architecture"] == "attention_blocks"
    config = make_config("synthetic", "smoke", 0, "dense", 0.0)
    assert replace(config, model=replace(config.model, architecture="attention_blocks")).run_hash() != config.run_hash()


def test_pruning_the_blocks_network_is_refused_with_the_fix():
    config = make_config("synthetic", "smoke", 0, "magnitude", 0.9)
    with pytest.raises(UserError, match="dense candidate only.*method dense, not magnitude"):
        replace(config, model=replace(config.model, architecture="attention_blocks"))


@pytest.mark.parametrize(
    "losses, factor",
    [
        ([1.0], 1.0),
        ([1.0, 0.9], 1.0),  # two losses give one derivative: nothing to compare yet
        ([1.0, 0.9, 0.85], LR_STEP),  # ∂L rose from -0.1 to -0.05: the rate is multiplied by 0.99
        ([1.0, 0.9, 0.7], 1 / LR_STEP),  # ∂L fell from -0.1 to -0.2: divided by 0.99
        ([0.5, 0.6, 0.8], LR_STEP),
    ],
)
def test_loss_derivative_factor_on_constructed_losses(losses, factor):
    assert loss_derivative_factor(losses) == pytest.approx(factor)


def test_loss_derivative_rule_keeps_the_rate_within_its_bounds():
    generator = seed_everything(0)
    x, y = torch.randn(12, 2, JOINTS, 3), torch.arange(12) % CLASSES
    config = TrainConfig(epochs=1, batch_size=12, lr=1e-2, augment=False, lr_rule="loss_derivative")
    trainer = Trainer(x, y, x, y, FeatureConfig(chunks=2, relative=False), config, generator)
    model = AttentionBlocksGCN(JOINTS, trainer.signals(x[:1]).shape[-1], CLASSES, BLOCKS)
    rates = []
    original = torch.optim.Adam.step

    def spy(self, *args, **kwargs):
        rates.append(self.param_groups[0]["lr"])
        return original(self, *args, **kwargs)

    torch.optim.Adam.step = spy
    try:
        trainer.fit(model, 400, config.lr)
    finally:
        torch.optim.Adam.step = original
    assert len(set(rates)) > 1  # the rule moves the rate
    assert min(rates) >= config.lr * LR_BOUNDS[0] - 1e-12 and max(rates) <= config.lr * LR_BOUNDS[1] + 1e-12
