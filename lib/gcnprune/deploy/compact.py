"""The compact model: a pruned GCN with its dead structure removed, and the one file it lives in.

:class:`CompactGCN` computes the masked GCN's logits (:mod:`gcnprune.model`) over the units that survive export
(:mod:`.export`): H' attention heads, the adjacency head's d' channels, G' graph channels and N' hidden
units. For node signals X ∈ R^{n×F}, of whose F columns it reads the F' that some kept weight reads:

    [Q | K | V | V_A] = X' W_Pᵀ + b_P                   one fused projection, Q pre-scaled by 1/√d
    O_k = softmax(Q_k K_kᵀ) V_k                          for each surviving head k
    U = ReLU([O_1, …, O_H', Â V_A])
    Y = ReLU(Â U W_Gᵀ + (Â1) b₁ᵀ + (Â²1) b₂ᵀ)
    logits = W_C ReLU(W_H vec(Y) + b_H) + b_C

Heads keep different numbers of query/key and value channels; each head's are padded with zero rows
to the widest head's, so the heads still run as one batched product (a zero query/key channel adds
nothing to the scores, a zero value channel outputs 0, which ReLU keeps at 0 and nothing reads). The
graph convolution's bias multiplies Â1 (b₁: its own bias, and the constant channels folded into it)
and Â²1 (b₂: constant channels of the adjacency head, whose value is already Â1 times a constant).

Each weight matrix is held dense and, where it is sparse (density below :data:`SPARSE_BELOW`), also as
CSR; the CSR product runs for inputs of at least :data:`SPARSE_MIN_ROWS` rows (the projection reads one
row per joint, the hidden layer one per sequence), the dense one otherwise, as measured faster on one
CPU thread with torch 2.13's MKL kernels (CSR wins below about 10-15% density on tall inputs; on a
single row the dense call is as fast). The projection computes over all F inputs, the unread columns
zero, which costs less than gathering the F' read ones. That is the path of a few sequences a call; a
batch of at least :data:`FEATURE_MAJOR_FROM` takes the copy-free path of :mod:`.feature_major` (each
activation feature-major, each head at its own width), which computes the same logits up to rounding.

The file (:func:`load_compact`, :meth:`CompactGCN.save`) is a :mod:`.tensor_file`: every matrix dense or
CSR, whichever is smaller, and JSON metadata with the shape, the surviving units' original indices and
the run it came from. This module needs torch and safetensors alone, not the training code.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional

from ..outputs import write_atomically
from .feature_major import FeatureMajor, to_csr
from .tensor_file import pack_matrix, read_tensors, unpack_matrix, write_tensors

FORMAT = "gcnprune-compact"
FORMAT_VERSION = 1
SPARSE_BELOW = 0.1  # density under which a matrix is also held as CSR
SPARSE_MIN_ROWS = 16  # inputs with at least this many rows use the CSR product
FEATURE_MAJOR_FROM = 16  # batches of at least this many sequences take the copy-free path (.feature_major)
MATRICES = ("adjacency", "projection", "graph", "hidden", "classifier")
VECTORS = ("projection_bias", "graph_bias", "hidden_bias", "classifier_bias", "input_columns")


@dataclass(frozen=True)
class CompactShape:
    """The compact model's widths that its matrices' shapes do not give: input size, heads and channels.

    ``heads`` is H' (surviving attention heads), ``qk_width`` and ``value_width`` the per-head query/key
    and value channels after padding, ``adjacency_channels`` the adjacency head's surviving channels.
    """

    joints: int
    in_features: int
    classes: int
    heads: int
    qk_width: int
    value_width: int
    adjacency_channels: int

    @property
    def concat_channels(self) -> int:
        """C' = H' d_v + d_A: the channels the graph convolution reads."""
        return self.heads * self.value_width + self.adjacency_channels

    @property
    def projection_rows(self) -> int:
        """Rows of the fused projection: queries, keys, values, adjacency values."""
        return self.heads * (2 * self.qk_width + self.value_width) + self.adjacency_channels


class PackedLinear(nn.Module):
    """y = x Wᵀ (+ b), with W dense, and also CSR when its density is below :data:`SPARSE_BELOW`."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None) -> None:
        super().__init__()
        self.register_buffer("weight", weight)
        self.register_buffer("bias", bias)
        self.nonzero = int((weight != 0).sum())
        self.register_buffer("csr", to_csr(weight, SPARSE_BELOW))

    def uses_csr(self, rows: int) -> bool:
        """Whether an input of ``rows`` rows takes the CSR product."""
        return self.csr is not None and rows >= SPARSE_MIN_ROWS

    def macs(self, rows: int) -> int:
        """Multiply-adds for an input of ``rows`` rows: the nonzeros through CSR, every entry dense."""
        return rows * (self.nonzero if self.uses_csr(rows) else self.weight.numel())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.uses_csr(x.shape[0]):
            if self.bias is None:
                return (self.csr @ x.t()).t()
            return torch.addmm(self.bias.unsqueeze(1), self.csr, x.t()).t()
        return functional.linear(x, self.weight, self.bias)


class CompactGCN(nn.Module):
    """The compact model (see the module's docstring); ``tensors`` as :func:`gcnprune.deploy.compaction.compact_model`
    builds them or a file holds them, ``structure`` (surviving units' original indices) and ``source``
    (the run) are carried into the file for readers."""

    def __init__(self, shape: CompactShape, tensors: dict[str, torch.Tensor], structure: dict[str, Any] | None = None,
                 source: dict[str, Any] | None = None) -> None:  # fmt: skip
        super().__init__()
        missing = [name for name in (*MATRICES, *VECTORS) if name not in tensors]
        if missing:
            raise ValueError(f"compact model tensors lack {', '.join(missing)}")
        self.shape, self.structure, self.source = shape, dict(structure or {}), dict(source or {})
        t = {name: tensors[name].to(torch.float32) for name in (*MATRICES, *VECTORS) if name != "input_columns"}
        self._check(t, tensors["input_columns"])
        n = shape.joints
        self.register_buffer("input_columns", tensors["input_columns"].to(torch.int64))
        # computed over all F input columns, the unread ones zero: cheaper than gathering the F' read ones
        projection = torch.zeros(shape.projection_rows, shape.in_features)
        projection[:, self.input_columns] = t["projection"]
        self.register_buffer("adjacency", t["adjacency"])
        self.register_buffer("graph_bias", t["graph_bias"])
        ones = torch.ones(n, 1)
        basis = torch.cat([t["adjacency"] @ ones, t["adjacency"] @ (t["adjacency"] @ ones)], dim=1)  # (n, 2): Â1, Â²1
        self.register_buffer("graph_offset", basis @ t["graph_bias"])  # (n, G')
        self.projection = PackedLinear(projection, t["projection_bias"])
        self.graph = PackedLinear(t["graph"], None)
        self.hidden = PackedLinear(t["hidden"], t["hidden_bias"])
        self.classifier = PackedLinear(t["classifier"], t["classifier_bias"])
        self.batched = FeatureMajor(self, SPARSE_BELOW)

    def _check(self, t: dict[str, torch.Tensor], columns: torch.Tensor) -> None:
        """Every tensor's shape agrees with ``shape`` and with the others (else the file is damaged)."""
        s = self.shape
        graph, hidden = t["graph"].shape[0], t["hidden"].shape[0]
        expected = {
            "adjacency": (s.joints, s.joints), "projection": (s.projection_rows, len(columns)),
            "projection_bias": (s.projection_rows,), "graph": (graph, s.concat_channels), "graph_bias": (2, graph),
            "hidden": (hidden, s.joints * graph), "hidden_bias": (hidden,), "classifier": (s.classes, hidden),
            "classifier_bias": (s.classes,),
        }  # fmt: skip
        wrong = [f"{name} {tuple(t[name].shape)} (expected {shape})" for name, shape in expected.items()
                 if tuple(t[name].shape) != shape]  # fmt: skip
        if wrong or (len(columns) and int(columns.max()) >= s.in_features):
            raise ValueError(f"inconsistent compact model: {'; '.join(wrong) or 'input columns out of range'}")

    @property
    def graph_channels(self) -> int:
        return self.graph.weight.shape[0]

    @property
    def hidden_units(self) -> int:
        return self.hidden.weight.shape[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (batch, classes) of node signals (batch, joints, in_features): a batch of at least
        :data:`FEATURE_MAJOR_FROM` sequences through the copy-free path (:attr:`batched`), fewer row-major."""
        if self.hidden_units == 0:  # every hidden unit is constant: the logits are the folded bias
            return self.classifier.bias.expand(x.shape[0], -1)
        return self.batched(x) if x.shape[0] >= FEATURE_MAJOR_FROM else self.row_major(x)

    def row_major(self, x: torch.Tensor) -> torch.Tensor:
        """The logits through the row-major path (the module docstring's), the faster for a few sequences."""
        s, b, n = self.shape, x.shape[0], self.shape.joints
        p = self.projection(x.reshape(b * n, -1))
        parts = []
        if s.heads:
            qk, v = s.heads * s.qk_width, s.heads * s.value_width
            q = p[:, :qk].reshape(b, n, s.heads, s.qk_width).transpose(1, 2)
            k = p[:, qk : 2 * qk].reshape(b, n, s.heads, s.qk_width).transpose(1, 2)
            values = p[:, 2 * qk : 2 * qk + v].reshape(b, n, s.heads, s.value_width).transpose(1, 2)
            attention = torch.softmax(q @ k.transpose(-1, -2), dim=-1)
            parts.append((attention @ values).transpose(1, 2).reshape(b, n, v))
        if s.adjacency_channels:
            parts.append(self.adjacency @ p[:, p.shape[1] - s.adjacency_channels :].reshape(b, n, s.adjacency_channels))
        u = torch.relu(torch.cat(parts, dim=-1))
        y = torch.relu(self.adjacency @ self.graph(u.reshape(b * n, -1)).reshape(b, n, -1) + self.graph_offset)
        return self.classifier(torch.relu(self.hidden(y.reshape(b, -1))))

    def stored_matrices(self) -> dict[str, torch.Tensor]:
        """The matrices as the file holds them: Â and the weights, the projection over its F' read inputs."""
        return {
            "adjacency": self.adjacency,
            "projection": self.projection.weight.index_select(1, self.input_columns),
            "graph": self.graph.weight,
            "hidden": self.hidden.weight,
            "classifier": self.classifier.weight,
        }

    def to_bytes(self) -> bytes:
        """The model as a :mod:`.tensor_file`: each matrix dense or CSR, whichever is smaller."""
        tensors: dict[str, torch.Tensor] = {}
        formats = {}
        for name, matrix in self.stored_matrices().items():
            formats[name], packed = pack_matrix(name, matrix)
            tensors.update(packed)
        tensors.update({"projection_bias": self.projection.bias, "graph_bias": self.graph_bias,
                        "hidden_bias": self.hidden.bias, "classifier_bias": self.classifier.bias})  # fmt: skip
        tensors["input_columns"] = self.input_columns.to(torch.int16 if self.shape.in_features < 2**15 else torch.int32)
        meta = {"format": FORMAT, "version": FORMAT_VERSION, "shape": asdict(self.shape), "matrices": formats,
                "hidden": self.hidden_units, "graph": self.graph_channels,
                "structure": self.structure, "source": self.source}  # fmt: skip
        return write_tensors(tensors, meta)

    def save(self, path: str | os.PathLike[str]) -> int:
        """Write the model's file; returns its size in bytes."""
        data = self.to_bytes()
        write_atomically(path, data)
        return len(data)

    @classmethod
    def from_bytes(cls, data: bytes) -> CompactGCN:
        tensors, meta = read_tensors(data)
        if meta.get("format") != FORMAT or meta.get("version") != FORMAT_VERSION:
            raise ValueError(
                f"unsupported compact model format {meta.get('format')!r} version {meta.get('version')!r}; "
                f"this code reads {FORMAT} version {FORMAT_VERSION}"
            )
        shape = CompactShape(**meta["shape"])
        sizes = {
            "adjacency": (shape.joints, shape.joints),
            "projection": (shape.projection_rows, len(tensors["input_columns"])),
            "graph": (meta["graph"], shape.concat_channels),
            "hidden": (meta["hidden"], shape.joints * meta["graph"]),
            "classifier": (shape.classes, meta["hidden"]),
        }
        dense = {name: unpack_matrix(name, meta["matrices"][name], sizes[name], tensors) for name in MATRICES}
        return cls(shape, {**tensors, **dense}, meta["structure"], meta["source"])


def load_compact(path: str | os.PathLike[str]) -> CompactGCN:
    """The compact model saved at ``path`` (:meth:`CompactGCN.save`), in evaluation mode; a file that cannot be
    read, is not a compact model, or whose data fails its checksum is a ValueError whose message names it."""
    try:
        return CompactGCN.from_bytes(Path(path).read_bytes()).eval()
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(f"{path}: {error}") from None
