"""Find a real dataset on disk: an explicit path, else ``$GCNPRUNE_DATA/<name>``, else ``data/<name>``."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]


class DatasetNotFoundError(FileNotFoundError):
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


def malformed(path: Path, line: int, problem: str) -> ValueError:
    """An error naming the file and 1-based line of malformed input."""
    return ValueError(f"{path}:{line}: {problem}")
