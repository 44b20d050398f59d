"""The GCN: a multi-head attention graph layer, a graph convolution and a fully connected classifier.

Our reconstruction of the papers' network. For node signals U ∈ R^{n×F}, head k builds its own
attention matrix A_k = softmax(U W_k^Q (U W_k^K)ᵀ / √d) and aggregates A_k U W_k^V; the skeleton's
normalised adjacency Â is an extra fixed head Â U W^A. The heads are concatenated, a graph convolution
Â H W^G mixes neighbouring joints, and two fully connected layers classify the flattened result.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

import torch
from torch import nn

from .settings import added_setting

ARCHITECTURES = ("attention_graph", "attention_blocks")
ATTENTION_FORMS = ("dot_product", "learned")


@dataclass(frozen=True)
class ModelConfig:
    """Widths of the GCN. ``prune_classifier`` is off by default: the last layer is tiny (under 1% of
    the weights) and pruning it first is what makes global magnitude pruning collapse at high rates.

    ``architecture`` chooses the network: ``attention_graph`` (ours, :class:`GCN`) or ``attention_blocks``
    (the papers' author's, :class:`~gcnprune.attention_blocks.AttentionBlocksGCN`: ``blocks`` blocks of
    ``block_heads`` attention heads, each followed by a graph convolution with ``filters`` filters, the attention
    a scaled dot product of ``head_channels``-wide queries and keys or a ``learned`` free adjacency; then the
    fully connected layer of ``hidden`` units and the classifier). The block settings are read only there."""

    heads: int = 16
    head_channels: int = 16
    adjacency_head: bool = True
    graph_channels: int = 64
    hidden: int = 256
    dropout: float = 0.5
    prune_classifier: bool = False
    architecture: str = added_setting("attention_graph")
    blocks: int = added_setting(3)
    block_heads: int = added_setting(1)
    filters: int = added_setting(8)
    attention: str = added_setting("dot_product")

    def __post_init__(self) -> None:
        if self.architecture not in ARCHITECTURES:
            raise ValueError(
                f"ModelConfig.architecture must be one of {', '.join(ARCHITECTURES)}, got {self.architecture!r}"
            )
        if self.attention not in ATTENTION_FORMS:
            raise ValueError(
                f"ModelConfig.attention must be one of {', '.join(ATTENTION_FORMS)}, got {self.attention!r}"
            )
        for field in ("heads", "head_channels", "graph_channels", "hidden", "blocks", "block_heads", "filters"):
            if getattr(self, field) < 1:
                raise ValueError(f"ModelConfig.{field} must be positive, got {getattr(self, field)}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"ModelConfig.dropout must be in [0, 1), got {self.dropout}")


class AttentionGraphLayer(nn.Module):
    """K attention heads over the joints, plus the skeleton adjacency as an optional fixed head."""

    def __init__(self, in_features: int, heads: int, channels: int, adjacency: torch.Tensor | None) -> None:
        super().__init__()
        self.heads, self.channels = heads, channels
        self.query = nn.Linear(in_features, heads * channels)
        self.key = nn.Linear(in_features, heads * channels)
        self.value = nn.Linear(in_features, heads * channels)
        self.adjacency_value = None if adjacency is None else nn.Linear(in_features, channels)
        self.register_buffer("adjacency", adjacency)
        self.out_features = (heads + (adjacency is not None)) * channels

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        return x.view(x.shape[0], x.shape[1], self.heads, self.channels).transpose(1, 2)

    def attention(self, x: torch.Tensor) -> torch.Tensor:
        """The heads' attention matrices A_k: (batch, heads, joints, joints), rows summing to one."""
        q, k = self._split(self.query(x)), self._split(self.key(x))
        return torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(self.channels), dim=-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = (self.attention(x) @ self._split(self.value(x))).transpose(1, 2).flatten(2)
        if self.adjacency_value is not None:
            out = torch.cat([out, self.adjacency @ self.adjacency_value(x)], dim=-1)
        return torch.relu(out)


class GraphConvolution(nn.Module):
    """H' = ReLU(Â H W + b): mixes each joint's channels with its skeleton neighbours'."""

    def __init__(self, in_features: int, out_features: int, adjacency: torch.Tensor) -> None:
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)
        self.register_buffer("adjacency", adjacency)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.adjacency @ self.linear(x))


class GCN(nn.Module):
    """Attention graph layer → graph convolution → hidden fully connected layer → classifier."""

    def __init__(
        self, joints: int, in_features: int, classes: int, adjacency: torch.Tensor, config: ModelConfig
    ) -> None:
        super().__init__()
        self.config = config
        self.attention = AttentionGraphLayer(
            in_features, config.heads, config.head_channels, adjacency if config.adjacency_head else None
        )
        self.graph_conv = GraphConvolution(self.attention.out_features, config.graph_channels, adjacency)
        self.hidden = nn.Linear(joints * config.graph_channels, config.hidden)
        self.dropout = nn.Dropout(config.dropout)
        self.classifier = nn.Linear(config.hidden, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.graph_conv(self.attention(x)).flatten(1)
        return self.classifier(self.dropout(torch.relu(self.hidden(h))))

    def prunable_layers(self) -> OrderedDict[str, nn.Linear]:
        """The layers whose weight matrices may be pruned, in forward order (biases never are)."""
        layers: OrderedDict[str, nn.Linear] = OrderedDict()
        for name in ("attention.query", "attention.key", "attention.value", "attention.adjacency_value",
                     "graph_conv.linear", "hidden", "classifier"):  # fmt: skip
            module = self.get_submodule(name) if name != "attention.adjacency_value" else self.attention.adjacency_value
            if module is not None and (name != "classifier" or self.config.prune_classifier):
                layers[name] = module
        return layers

    def parameter_count(self) -> int:
        """Dense number of parameters (weights and biases)."""
        return sum(p.numel() for p in self.parameters())
