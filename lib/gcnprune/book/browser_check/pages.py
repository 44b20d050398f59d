"""A built book's pages, and one problem found on one of them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one page: ``page`` is its path relative to the HTML folder."""

    page: str
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.page}: {self.kind}: {self.detail}"


def book_pages(html_dir: Path) -> list[Path]:
    """Every HTML page of a built book, outside Sphinx's ``_static``-like folders, in path order."""
    return sorted(page for page in html_dir.rglob("*.html")
                  if not any(part.startswith("_") for part in page.relative_to(html_dir).parts[:-1]))  # fmt: skip
