"""Named tensors in one file, in the safetensors layout, and matrices packed as dense or CSR.

The layout (https://github.com/huggingface/safetensors, read and written here with torch alone): an
8-byte little-endian header length N, N bytes of JSON (per tensor its dtype, shape and byte range
``data_offsets`` in the data that follows, plus ``__metadata__``, a map of strings), then the raw
little-endian bytes. Nothing is unpickled on reading, and any safetensors reader can open the file.

A matrix is stored whichever way takes fewer bytes: dense (rows × cols float32 values), or compressed
sparse rows (CSR): its nonzero ``values``, their ``columns`` and the ``row_pointers`` (row i's entries
are ``values[row_pointers[i]:row_pointers[i + 1]]``), the indices in the narrowest integer type that
holds them (uint8, int16 or int32).
"""

from __future__ import annotations

import hashlib
import json
import struct
import sys
from collections.abc import Mapping
from typing import Literal

import torch

DTYPES: dict[torch.dtype, str] = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64",
                                  torch.int32: "I32", torch.int16: "I16", torch.uint8: "U8"}  # fmt: skip
BY_NAME = {name: dtype for dtype, name in DTYPES.items()}
MatrixFormat = Literal["dense", "csr"]


def _little_endian() -> None:
    if sys.byteorder != "little":
        raise RuntimeError("tensor files are little-endian; this machine is big-endian")


def write_tensors(tensors: Mapping[str, torch.Tensor], metadata: Mapping[str, str]) -> bytes:
    """The file's bytes: header length, JSON header (padded with spaces to a multiple of 8), data."""
    _little_endian()
    header: dict[str, object] = {"__metadata__": dict(metadata)}
    chunks, offset = [], 0
    for name, tensor in tensors.items():
        if tensor.dtype not in DTYPES:
            raise TypeError(f"tensor {name} has dtype {tensor.dtype}, which tensor files do not store")
        data = tensor.detach().cpu().contiguous().numpy().tobytes()
        header[name] = {
            "dtype": DTYPES[tensor.dtype],
            "shape": list(tensor.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        chunks.append(data)
        offset += len(data)
    header["__metadata__"]["sha256"] = hashlib.sha256(b"".join(chunks)).hexdigest()  # verified on reading
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def read_tensors(data: bytes) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """The tensors and metadata of a file's bytes; a file that is not in this layout is a ValueError."""
    _little_endian()
    if len(data) < 8:
        raise ValueError("not a tensor file: shorter than its 8-byte header length")
    (size,) = struct.unpack("<Q", data[:8])
    try:
        header = json.loads(data[8 : 8 + size].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"not a tensor file: its header is not JSON ({error})") from None
    if not isinstance(header, dict):
        raise ValueError("not a tensor file: its header is not a JSON object")
    metadata = header.pop("__metadata__", {})
    body = bytearray(data[8 + size :])
    checksum = metadata.get("sha256") if isinstance(metadata, dict) else None
    if checksum is not None and hashlib.sha256(body).hexdigest() != checksum:
        raise ValueError("its tensor data does not match the checksum in its header: the file is damaged")
    tensors = {}
    for name, entry in header.items():
        try:
            dtype = BY_NAME[entry["dtype"]]
            begin, end = (int(x) for x in entry["data_offsets"])
            shape = [int(x) for x in entry["shape"]]
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"not a tensor file: its header's entry {name!r} is malformed") from None
        count = (end - begin) // torch.empty((), dtype=dtype).element_size()
        if not 0 <= begin <= end <= len(body) or count != _numel(shape):
            raise ValueError(f"tensor file is truncated or inconsistent at {name}")
        flat = torch.frombuffer(body, dtype=dtype, count=count, offset=begin) if count else torch.empty(0, dtype=dtype)
        tensors[name] = flat.clone().view(shape)
    return tensors, metadata


def _numel(shape: list[int]) -> int:
    out = 1
    for s in shape:
        out *= s
    return out


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
