"""Every problem of every page of a built book: its links read from the HTML, the rest from the browser."""

from __future__ import annotations

from pathlib import Path

from .browser import browser_problems
from .content import content_problems
from .links import link_problems
from .pages import Problem, book_pages


def check_book(html_dir: Path | str, screenshots_dir: Path | str | None = None,
               executable: str | None = None) -> list[Problem]:  # fmt: skip
    """Every problem of every page of the book built in ``html_dir`` (see the module's docstring), sorted by
    page; screenshots go to ``screenshots_dir`` (default: ``screenshots/`` beside ``html_dir``)."""
    html_dir = Path(html_dir).resolve()
    if not html_dir.is_dir():
        raise FileNotFoundError(f"no built book at {html_dir}; build it first (make book)")
    screenshots = Path(screenshots_dir) if screenshots_dir is not None else html_dir.parent / "screenshots"
    pages = book_pages(html_dir)
    found = set(link_problems(html_dir, pages)) | set(content_problems(html_dir, pages))
    return sorted(found | set(browser_problems(html_dir, pages, screenshots, executable)))
