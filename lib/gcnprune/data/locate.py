"""Find a real dataset on disk (an explicit path, else ``$GCNPRUNE_DATA/<name>``, else ``data/<name>``)
and read its numeric text files, with errors that name the file and line."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import DataError, UserError

REPO_ROOT = Path(__file__).resolve().parents[3]


class DatasetNotFoundError(UserError, FileNotFoundError):
    """A dataset folder is missing or lacks its expected layout."""


def locate(name: str, root: str | os.PathLike[str] | None, layout: str) -> Path:
    """Return the dataset folder, or raise naming where we looked, the layout, and ``data/README.md``."""
    if root is not None:
        candidates = [Path(root)]
    else:
        candidates = []
        if os.environ.get("GCNPRUNE_DATA"):
            candidates.append(Path(os.environ["GCNPRUNE_DATA"]) / name)
        candidates.append(REPO_ROOT / "data" / name)
    for path in candidates:
        if path.is_dir():
            return path
    looked = ", ".join(str(p) for p in candidates)
    raise DatasetNotFoundError(
        f"{name} dataset not found (looked in: {looked}). Expected layout: {layout}. "
        f"Pass its folder explicitly or set $GCNPRUNE_DATA; data/README.md says where to get it."
    )


def malformed(path: Path, line: int, problem: str) -> DataError:
    """An error naming the file and 1-based line of malformed input."""
    return DataError(f"{path}:{line}: {problem}")


def read_text(path: Path) -> str:
    """The file's text as UTF-8; bytes that are not raise naming the file, line and offending byte."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        byte = raw[error.start : error.start + 1].hex()
        raise malformed(path, line, f"not UTF-8 text (byte 0x{byte} at offset {error.start}); "
                                    "is this a skeleton text file?") from None  # fmt: skip


def read_rows(path: Path, separator: str | None, count: int) -> np.ndarray:
    """Every non-blank line of ``path`` as ``count`` finite numbers split on ``separator`` (None:
    whitespace): a float64 array (lines, count). A malformed or empty file raises with its line number."""
    rows = []
    kind = {None: "space-separated", ",": "comma-separated"}.get(separator, f"{separator!r}-separated")
    for number, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        text = line.strip()
        fields = text.split() if separator is None else text.rstrip(separator).split(separator)
        if len(fields) != count:
            raise malformed(path, number, f"expected {count} {kind} numbers, found {len(fields)}")
        try:
            values = [float(f) for f in fields]
        except ValueError as error:
            raise malformed(path, number, f"not a number ({error})") from None
        if not np.all(np.isfinite(values)):
            raise malformed(path, number, "non-finite value")
        rows.append(values)
    if not rows:
        raise malformed(path, 1, "the file holds no frames")
    return np.asarray(rows, dtype=np.float64)
