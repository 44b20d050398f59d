"""Broken local links and anchors and missing images, read from the pages' HTML and the files on disk."""

from __future__ import annotations

from collections.abc import Sequence
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .pages import Problem

#: URL schemes that are not local files, so not checked.
EXTERNAL_SCHEMES = ("http", "https", "mailto", "data", "javascript", "tel", "ftp")


class _PageParser(HTMLParser):
    """The ids (and ``<a name>``s) a page defines, and the ``href``/``src`` URLs it uses, with their tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.urls: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value for name, value in attrs if value}
        self.ids.update(values[name] for name in ("id", "name") if name in values and (name == "id" or tag == "a"))
        self.urls.extend((tag, values[name]) for name in ("href", "src") if name in values)


def _parse(page: Path, cache: dict[Path, _PageParser]) -> _PageParser:
    """The parsed page, parsed once per check."""
    if page not in cache:
        parser = _PageParser()
        parser.feed(page.read_text(errors="replace"))
        cache[page] = parser
    return cache[page]


def _link_problem(page: Path, tag: str, url: str, cache: dict[Path, _PageParser]) -> tuple[str, str] | None:
    """What is wrong with one URL of a page (kind, detail), or None: external URLs are not followed."""
    parts = urlsplit(url)
    if parts.scheme.lower() in EXTERNAL_SCHEMES or parts.netloc:
        return None
    target = page if not parts.path else page.parent / unquote(parts.path)
    if target.is_dir():
        target = target / "index.html"
    if not target.is_file():
        return ("missing image" if tag == "img" else "broken link"), url
    fragment = unquote(parts.fragment)
    if fragment and target.suffix == ".html" and fragment not in _parse(target, cache).ids:
        return "broken anchor", url
    return None


def link_problems(html_dir: Path, pages: Sequence[Path]) -> list[Problem]:
    """Broken local links and anchors and missing images in ``pages``, checked against the files on disk."""
    cache: dict[Path, _PageParser] = {}
    problems = set()
    for page in pages:
        for tag, url in _parse(page, cache).urls:
            found = _link_problem(page, tag, url, cache)
            if found:
                problems.add(Problem(str(page.relative_to(html_dir)), *found))
    return sorted(problems)
