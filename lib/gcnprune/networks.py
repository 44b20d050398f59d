"""The network a configuration names: ours (:class:`~gcnprune.model.GCN`) or the papers' author's
(:class:`~gcnprune.attention_blocks.AttentionBlocksGCN`)."""

from __future__ import annotations

import torch
from torch import nn

from .attention_blocks import AttentionBlocksGCN
from .model import GCN, ModelConfig


def build_network(
    joints: int, in_features: int, classes: int, adjacency: torch.Tensor, config: ModelConfig
) -> nn.Module:
    """A freshly initialised network of ``config.architecture`` (the skeleton's normalised ``adjacency`` is
    read by ours; the author's blocks learn theirs)."""
    if config.architecture == "attention_blocks":
        return AttentionBlocksGCN(joints, in_features, classes, config)
    return GCN(joints, in_features, classes, adjacency, config)
