"""The command line: ``python -m gcnprune.book.browser_check book/_build/html``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .check import check_book
from .pages import book_pages


def _count(number: int, noun: str) -> str:
    """``3 pages``, ``1 page``, ``no pages``."""
    return f"{number or 'no'} {noun}{'' if number == 1 else 's'}"


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: one line per problem; exit 1 if any, 2 without Chromium or a built book."""
    parser = argparse.ArgumentParser(
        prog="python -m gcnprune.book.browser_check",
        description="Open every page of a built book in headless Chromium; report console errors, raw TeX, "
        "broken local links and anchors and missing images, and save one screenshot per page.",
    )
    parser.add_argument(
        "html", nargs="?", default="book/_build/html", help="the built book (default: book/_build/html)"
    )
    parser.add_argument(
        "--screenshots", default=None, help="where the screenshots go (default: screenshots/ beside HTML)"
    )
    args = parser.parse_args(argv)
    try:
        problems = check_book(args.html, args.screenshots)
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for problem in problems:
        print(problem)
    print(
        f"{_count(len(book_pages(Path(args.html))), 'page')} checked: {_count(len(problems), 'problem')}",
        file=sys.stderr,
    )
    return 1 if problems else 0
