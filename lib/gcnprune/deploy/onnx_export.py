"""The compact model as an ONNX file, the form a user takes to a runtime on a small device (onnxruntime here):
the row-major path of :class:`~gcnprune.deploy.compact.CompactGCN` with every matrix dense (ONNX has no CSR
product), traced once with the batch left free. onnx and onnxruntime are optional (``pip install -e
".[onnx]"``): imported where used."""

from __future__ import annotations

import io
import os
import warnings

import numpy as np
import torch
from torch import nn

from gcnprune.errors import UserError

from ..outputs import write_atomically
from .compact import CompactGCN, PackedLinear

OPSET = 17


class RowMajorDense(nn.Module):
    """A compact model's row-major computation on dense matrices only: what the ONNX file holds."""

    def __init__(self, compact: CompactGCN) -> None:
        super().__init__()
        self.compact = CompactGCN.from_bytes(compact.to_bytes())  # a copy (CSR tensors cannot be deep-copied)
        for layer in self.compact.modules():
            if isinstance(layer, PackedLinear):
                layer.csr = None  # the dense product at every batch size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.compact.hidden_units == 0:
            return self.compact(x)
        return self.compact.row_major(x)


def require_onnx() -> None:
    """Refuse, in one line saying how to install them, where onnx or onnxruntime is missing."""
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        raise UserError('ONNX export needs onnx and onnxruntime: pip install -e ".[onnx]"') from None


def onnx_bytes(compact: CompactGCN) -> bytes:
    """The compact model as an ONNX model's bytes: input ``signals`` (batch, joints, features), output
    ``logits`` (batch, classes), the batch dimension free."""
    require_onnx()
    example = torch.zeros(1, compact.shape.joints, compact.shape.in_features)
    buffer = io.BytesIO()
    with warnings.catch_warnings():  # the tracer notes Python branches on shapes, fixed here at trace time
        warnings.simplefilter("ignore")
        torch.onnx.export(RowMajorDense(compact).eval(), (example,), buffer, input_names=["signals"],
                          output_names=["logits"], dynamic_axes={"signals": {0: "batch"}, "logits": {0: "batch"}},
                          opset_version=OPSET, dynamo=False)  # fmt: skip
    return buffer.getvalue()


def save_onnx(compact: CompactGCN, path: str | os.PathLike[str]) -> int:
    """Write the compact model's ONNX file (atomically); returns its size in bytes."""
    data = onnx_bytes(compact)
    write_atomically(path, data)
    return len(data)


class OnnxModel:
    """An ONNX compact model run by onnxruntime on one CPU thread, called like the torch model."""

    def __init__(self, model: str | os.PathLike[str] | bytes, compact: CompactGCN | None = None) -> None:
        """``model``: an ONNX file or its bytes; ``compact``: the compact model it was exported from, kept for
        what the benchmark counts (None where unknown)."""
        require_onnx()
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        source = model if isinstance(model, bytes) else str(model)
        self.session = onnxruntime.InferenceSession(source, options, providers=["CPUExecutionProvider"])
        self.compact = compact
        self.size = len(model) if isinstance(model, bytes) else os.path.getsize(model)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        (logits,) = self.session.run(None, {"signals": np.ascontiguousarray(x.detach().numpy(), dtype=np.float32)})
        return torch.from_numpy(logits)
