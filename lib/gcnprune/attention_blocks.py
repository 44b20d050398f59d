"""The papers' author's network, as his 2025 paper describes it (arXiv 2511.21625, §4): sequential blocks, each
an attention head followed by a graph convolution, then a fully connected layer and the classifier.

A block maps node signals U ∈ R^{n×F} to ReLU(‖_h A_h U W_h) with F' = heads · filters channels, where head h's
adjacency is A_h = softmax(U Q_h (U K_h)ᵀ / √d) (``dot_product``) or A_h = softmax(L_h) with L_h a free n × n
matrix (``learned``, one reading of his "A given or learned"). What the text leaves open (the attention's form,
query width, the fully connected layer's width) are settings of :class:`~gcnprune.model.ModelConfig`.
"""

from __future__ import annotations

import math
from collections import OrderedDict

import torch
from torch import nn

from .model import ModelConfig


class AttentionBlock(nn.Module):
    """``heads`` attention heads, each with its own graph convolution of ``filters`` filters, concatenated."""

    def __init__(self, in_features: int, joints: int, config: ModelConfig) -> None:
        super().__init__()
        self.heads, self.channels, self.filters = config.block_heads, config.head_channels, config.filters
        self.learned = config.attention == "learned"
        if self.learned:
            self.logits = nn.Parameter(torch.zeros(self.heads, joints, joints))
        else:
            self.query = nn.Linear(in_features, self.heads * self.channels)
            self.key = nn.Linear(in_features, self.heads * self.channels)
        self.conv = nn.Linear(in_features, self.heads * self.filters)
        self.out_features = self.heads * self.filters

    def attention(self, x: torch.Tensor) -> torch.Tensor:
        """The heads' adjacency matrices: (batch, heads, joints, joints), rows summing to one."""
        if self.learned:
            return torch.softmax(self.logits, dim=-1).expand(x.shape[0], -1, -1, -1)
        b, n, _ = x.shape
        q = self.query(x).view(b, n, self.heads, self.channels).transpose(1, 2)
        k = self.key(x).view(b, n, self.heads, self.channels).transpose(1, 2)
        return torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(self.channels), dim=-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, _ = x.shape
        values = self.conv(x).view(b, n, self.heads, self.filters).transpose(1, 2)
        return torch.relu((self.attention(x) @ values).transpose(1, 2).flatten(2))


class AttentionBlocksGCN(nn.Module):
    """``blocks`` attention blocks → fully connected layer (ReLU, dropout) → classifier."""

    def __init__(self, joints: int, in_features: int, classes: int, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        blocks, width = [], in_features
        for _ in range(config.blocks):
            blocks.append(AttentionBlock(width, joints, config))
            width = blocks[-1].out_features
        self.blocks = nn.ModuleList(blocks)
        self.hidden = nn.Linear(joints * width, config.hidden)
        self.dropout = nn.Dropout(config.dropout)
        self.classifier = nn.Linear(config.hidden, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = block(x)
        return self.classifier(self.dropout(torch.relu(self.hidden(x.flatten(1)))))

    def prunable_layers(self) -> OrderedDict[str, nn.Linear]:
        """The layers whose weight matrices may be pruned, in forward order (biases and learned adjacencies
        never are)."""
        layers: OrderedDict[str, nn.Linear] = OrderedDict()
        for i, block in enumerate(self.blocks):
            for part in ("query", "key", "conv"):
                if hasattr(block, part):
                    layers[f"blocks.{i}.{part}"] = getattr(block, part)
        layers["hidden"] = self.hidden
        if self.config.prune_classifier:
            layers["classifier"] = self.classifier
        return layers

    def parameter_count(self) -> int:
        """Dense number of parameters (weights, biases and learned adjacencies)."""
        return sum(p.numel() for p in self.parameters())
