"""Named tensors in one safetensors file (https://github.com/huggingface/safetensors, written and read by its
library), and matrices packed as dense or CSR.

The layout: an 8-byte little-endian header length N, N bytes of JSON (per tensor its dtype, shape and byte
range, plus ``__metadata__``, a map of strings), then the raw little-endian bytes; nothing is unpickled on
reading, and any safetensors reader opens the file. Our metadata is one JSON object under one key,
:data:`METADATA_KEY` (the library keeps the map unordered, so a single key keeps the file's bytes the same
from one write to the next), and it carries ``sha256``, a checksum of every tensor's name, dtype, shape and
bytes (:func:`checksum`), verified on reading, so that a flipped byte is an error rather than wrong logits.

A matrix is stored whichever way takes fewer bytes: dense (rows × cols float32 values), or compressed
sparse rows (CSR): its nonzero ``values``, their ``columns`` and the ``row_pointers`` (row i's entries
are ``values[row_pointers[i]:row_pointers[i + 1]]``), the indices in the narrowest integer type that
holds them (uint8, int16 or int32).
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Mapping
from typing import Any, Literal

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors

MatrixFormat = Literal["dense", "csr"]
METADATA_KEY = "gcnprune"  # the one metadata entry: a JSON object
CHECKSUM = "sha256"  # its field holding :func:`checksum`


def checksum(tensors: Mapping[str, torch.Tensor]) -> str:
    """SHA-256 over the tensors in name order: each one's name, dtype, shape and bytes, so that any change to
    the data, or a tensor renamed, reshaped or retyped, changes it; independent of the file's byte layout."""
    digest = hashlib.sha256()
    for name in sorted(tensors):
        tensor = tensors[name].detach().cpu().contiguous()
        digest.update(json.dumps([name, str(tensor.dtype), list(tensor.shape)]).encode())
        digest.update(tensor.numpy().tobytes())
    return digest.hexdigest()


def write_tensors(tensors: Mapping[str, torch.Tensor], metadata: Mapping[str, Any]) -> bytes:
    """The file's bytes, written by safetensors: the tensors, and ``metadata`` (JSON data) with their
    :func:`checksum` added, as one JSON object under :data:`METADATA_KEY`."""
    plain = {name: t.detach().cpu().contiguous().clone() for name, t in tensors.items()}
    entry = json.dumps({**metadata, CHECKSUM: checksum(plain)}, separators=(",", ":"), sort_keys=True)
    return save_safetensors(plain, {METADATA_KEY: entry})


def read_tensors(data: bytes) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """The tensors and metadata of a file's bytes, read by safetensors; a file that is not a safetensors file,
    holds no gcnprune metadata or checksum, or fails the checksum is a ValueError saying which."""
    try:
        tensors = load_safetensors(data)
        (size,) = struct.unpack("<Q", data[:8])
        stored = json.loads(data[8 : 8 + size].decode("utf-8")).get("__metadata__") or {}
    except (SafetensorError, struct.error, UnicodeDecodeError, json.JSONDecodeError, AttributeError) as error:
        raise ValueError(f"not a safetensors file ({error})") from None
    try:
        metadata = json.loads(stored[METADATA_KEY])
    except (KeyError, TypeError, json.JSONDecodeError):
        problem = f"this safetensors file holds no {METADATA_KEY} metadata: it was not written by gcnprune"
        raise ValueError(problem) from None
    if not isinstance(metadata, dict) or CHECKSUM not in metadata:
        raise ValueError("the file holds no checksum of its tensors: it was not written by gcnprune, or was altered")
    if checksum(tensors) != metadata.pop(CHECKSUM):
        raise ValueError("its tensor data does not match the checksum in its header: the file is damaged")
    return tensors, metadata


def index_dtype(largest: int) -> torch.dtype:
    """The narrowest of uint8, int16, int32 that holds every index up to ``largest``."""
    for dtype, limit in ((torch.uint8, 255), (torch.int16, 32767), (torch.int32, 2**31 - 1)):
        if largest <= limit:
            return dtype
    raise ValueError(f"index {largest} does not fit in int32")


def to_csr(matrix: torch.Tensor) -> dict[str, torch.Tensor]:
    """A 2-D float32 matrix as CSR: nonzero ``values``, their ``columns``, ``row_pointers`` (rows + 1)."""
    rows, cols = matrix.shape
    nonzero = matrix != 0
    counts = nonzero.sum(dim=1)
    pointers = torch.cat([torch.zeros(1, dtype=torch.int64), counts.cumsum(0)])
    columns = nonzero.nonzero()[:, 1]  # row-major order
    return {"values": matrix[nonzero].to(torch.float32), "columns": columns.to(index_dtype(max(cols - 1, 0))),
            "row_pointers": pointers.to(index_dtype(int(pointers[-1])))}  # fmt: skip


def from_csr(
    values: torch.Tensor, columns: torch.Tensor, row_pointers: torch.Tensor, shape: tuple[int, int]
) -> torch.Tensor:
    """The dense float32 matrix of a CSR triple."""
    rows = torch.repeat_interleave(torch.arange(shape[0]), torch.diff(row_pointers.to(torch.int64)))
    out = torch.zeros(shape, dtype=torch.float32)
    out[rows, columns.to(torch.int64)] = values.to(torch.float32)
    return out


def _bytes(tensors: Mapping[str, torch.Tensor]) -> int:
    return sum(t.numel() * t.element_size() for t in tensors.values())


def matrix_format(matrix: torch.Tensor) -> MatrixFormat:
    """ "csr" where the CSR triple takes fewer bytes than the dense float32 values, else "dense"."""
    return "csr" if _bytes(to_csr(matrix)) < matrix.numel() * 4 else "dense"


def pack_matrix(name: str, matrix: torch.Tensor) -> tuple[MatrixFormat, dict[str, torch.Tensor]]:
    """The matrix's format and its tensors: ``{name: matrix}`` dense, or ``name.values``, ``name.columns``
    and ``name.row_pointers`` as CSR, whichever is smaller."""
    if matrix_format(matrix) == "dense":
        return "dense", {name: matrix.to(torch.float32)}
    return "csr", {f"{name}.{part}": t for part, t in to_csr(matrix).items()}


def unpack_matrix(
    name: str, form: MatrixFormat, shape: tuple[int, int], tensors: Mapping[str, torch.Tensor]
) -> torch.Tensor:
    """The dense float32 matrix that :func:`pack_matrix` stored under ``name``."""
    if form == "dense":
        return tensors[name].to(torch.float32).view(shape)
    if form == "csr":
        return from_csr(tensors[f"{name}.values"], tensors[f"{name}.columns"], tensors[f"{name}.row_pointers"], shape)
    raise ValueError(f"unknown matrix format {form!r} for {name}")
