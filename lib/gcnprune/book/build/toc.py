"""The book's table of contents (``book/_toc.yml``): its files, and the notebooks among them, in reading order."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from gcnprune.data.locate import REPO_ROOT

NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
BOOK_DIR = REPO_ROOT / "book"


def toc_files(book_dir: str | os.PathLike[str] = BOOK_DIR) -> list[str]:
    """Every ``file`` entry of the book's ``_toc.yml`` (root first), in reading order."""

    toc = yaml.safe_load((Path(book_dir) / "_toc.yml").read_text())
    out = [toc["root"]] if "root" in toc else []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "file" in node:
                out.append(str(node["file"]))
            for key in ("parts", "chapters", "sections"):
                walk(node.get(key))
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    return out


def toc_notebooks(book_dir: str | os.PathLike[str] = BOOK_DIR) -> list[str]:
    """Names of the notebooks the table of contents lists (entries ``notebooks/<name>``), in order."""
    names = []
    for entry in toc_files(book_dir):
        parts = Path(entry).with_suffix("").parts
        if len(parts) == 2 and parts[0] == "notebooks":
            names.append(parts[1])
    return names
