"""The compact model's copy-free path for batches (:class:`FeatureMajor`): every activation kept feature-major,
so that no product's output has to be copied into another layout before the next one reads it.

The row-major path of :class:`~gcnprune.deploy.compact.CompactGCN` computes P = X W_Pᵀ through CSR as (W_P Xᵀ)ᵀ, a
column-major view, and then copies it to make each head's queries, keys and values contiguous (a third of its
time at batch 64 went to those copies). Here, for B sequences of n joints:

    Pᵀ = W_P Xᵀ + b_P                                 (R, B n), rows grouped head by head
    Sᵀ_k = softmax(Q_k K_kᵀ),  O_kᵀ = V_kᵀ A_kᵀ          one batched product each, on strided views of Pᵀ
    Z = W_G relu([O_1ᵀ; …; Âᵀ-mixed adjacency values])     (B, G, n)
    Yᵀ = relu(Z Âᵀ + offset)                            the adjacency mixing as one product
    logits = W_C relu(W_H' vec(Yᵀ) + b_H) + b_C          W_H's columns permuted to Yᵀ's (channel, joint) order,
                                                        through CSR where W_H' is sparse (as the projection)

Each head keeps only its channels that are not identically zero (a query or key channel whose weights
and bias are all zero adds nothing to the scores, a zero value channel outputs zero), so heads run at
their own widths rather than padded to the widest: the logits are the row-major path's up to rounding.
Per head it costs a few more operations than one padded batched product, which pays from a handful of
sequences a call on; a single sequence takes the row-major path (:data:`~gcnprune.deploy.compact.FEATURE_MAJOR_FROM`).
"""

from __future__ import annotations

import warnings

import torch
from torch import nn
from torch.nn import functional


def to_csr(weight: torch.Tensor, below: float) -> torch.Tensor | None:
    """``weight`` as CSR where its density is below ``below``, else None (the compact model's rule for each matrix,
    :class:`~gcnprune.deploy.compact.PackedLinear`, and this path's)."""
    if weight.numel() == 0 or int((weight != 0).sum()) >= below * weight.numel():
        return None
    with warnings.catch_warnings():  # torch calls its CSR support beta; the results are tested
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
        return weight.to_sparse_csr()


def _live(weight: torch.Tensor, bias: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
    """Which of ``rows`` are not identically zero (a nonzero weight or bias)."""
    return (weight[rows] != 0).any(dim=1) | (bias[rows] != 0)


class FeatureMajor(nn.Module):
    """The copy-free batch path of a compact model, built from its dense matrices (see the module docstring)."""

    def __init__(self, model: nn.Module, sparse_below: float) -> None:
        super().__init__()
        s = model.shape
        weight, bias = model.projection.weight, model.projection.bias
        qk, width, value = s.heads * s.qk_width, s.qk_width, s.value_width
        rows: list[torch.Tensor] = []
        columns: list[torch.Tensor] = []  # the graph convolution's input columns that the kept channels feed
        self.heads: list[tuple[int, int, int]] = []  # (first row, query/key channels, value channels)
        for h in range(s.heads):
            query = torch.arange(h * width, (h + 1) * width)
            values = torch.arange(2 * qk + h * value, 2 * qk + (h + 1) * value)
            scored = _live(weight, bias, query) & _live(weight, bias, query + qk)
            kept = _live(weight, bias, values)
            self.heads.append((sum(map(len, rows)), int(scored.sum()), int(kept.sum())))
            rows += [query[scored], query[scored] + qk, values[kept]]
            columns.append(torch.arange(h * value, (h + 1) * value)[kept])
        self.adjacency_row = sum(map(len, rows))
        self.adjacency_channels = s.adjacency_channels
        rows.append(torch.arange(weight.shape[0] - s.adjacency_channels, weight.shape[0]))
        columns.append(torch.arange(s.heads * value, s.concat_channels))
        order = torch.cat(rows)
        n, graph = s.joints, model.graph.weight.shape[0]
        hidden = model.hidden.weight
        self.register_buffer("projection", weight[order].contiguous())
        self.register_buffer("projection_csr", to_csr(self.projection, sparse_below))
        self.register_buffer("projection_bias", bias[order].unsqueeze(1).contiguous())
        self.register_buffer("graph", model.graph.weight[:, torch.cat(columns)].contiguous())
        self.register_buffer("adjacency_t", model.adjacency.t().contiguous())
        self.register_buffer("offset", model.graph_offset.t().contiguous())  # (G, n)
        # hidden's columns from (joint, channel) order to Yᵀ's (channel, joint) order
        permuted = hidden.view(hidden.shape[0], n, graph).transpose(1, 2).reshape(hidden.shape[0], graph * n)
        self.register_buffer("hidden", permuted.contiguous())
        self.register_buffer("hidden_csr", to_csr(self.hidden, sparse_below))  # (N', G n), one row a unit
        self.register_buffer("hidden_bias", model.hidden.bias)
        self.register_buffer("classifier", model.classifier.weight)
        self.register_buffer("classifier_bias", model.classifier.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (batch, classes) of node signals (batch, joints, in_features)."""
        b, n = x.shape[0], x.shape[1]
        weight = self.projection_csr if self.projection_csr is not None else self.projection
        p = torch.addmm(self.projection_bias, weight, x.reshape(b * n, -1).t())  # (R, b n)
        parts = []
        for first, scored, kept in self.heads:
            if scored:
                q = p[first : first + scored].view(scored, b, n).permute(1, 2, 0)  # (b, n, d): strided, not copied
                k = p[first + scored : first + 2 * scored].view(scored, b, n).permute(1, 0, 2)  # (b, d, n)
                attention = torch.softmax(torch.bmm(q, k), dim=-1)
            else:  # no score channel: every joint attends to all alike
                attention = torch.full((b, n, n), 1.0 / n, dtype=x.dtype)
            v = p[first + 2 * scored : first + 2 * scored + kept].view(kept, b, n).permute(1, 0, 2)  # (b, d_v, n)
            parts.append(torch.bmm(v, attention.transpose(1, 2)))  # Oᵀ = Vᵀ Aᵀ
        if self.adjacency_channels:
            rows = p[self.adjacency_row : self.adjacency_row + self.adjacency_channels]
            parts.append(torch.matmul(rows.view(self.adjacency_channels, b, n).permute(1, 0, 2), self.adjacency_t))
        u = torch.relu(torch.cat(parts, dim=1)) if parts else x.new_zeros(b, 0, n)  # (b, C, n)
        y = torch.relu(torch.matmul(torch.matmul(self.graph, u), self.adjacency_t) + self.offset)  # (b, G, n)
        if self.hidden_csr is not None:  # Hᵀ = W_H' vec(Yᵀ)ᵀ through CSR, read back as (b, N') without a copy
            hidden = torch.relu(torch.addmm(self.hidden_bias.unsqueeze(1), self.hidden_csr, y.reshape(b, -1).t()).t())
        else:
            hidden = torch.relu(functional.linear(y.reshape(b, -1), self.hidden, self.hidden_bias))
        return functional.linear(hidden, self.classifier, self.classifier_bias)
