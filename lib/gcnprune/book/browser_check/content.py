"""What a reader should never see on a page, read from its HTML: the build machine's paths, "± 0.0" (a spread
that a single run does not have), a method's internal label where its readable name belongs
(:data:`gcnprune.book.names.READABLE`), and a table with no values. Code (``<code>``, ``<pre>``) is left out:
a setting named in code is meant to be typed."""

from __future__ import annotations

import re
from collections.abc import Sequence
from html.parser import HTMLParser
from pathlib import Path

from ..names import READABLE
from .pages import Problem

MACHINE_PATH = re.compile(r"(?<![\w.:/])/(?:home|root|tmp|work|Users|mnt|var|opt)/[\w.\-]+(?:/[\w.\-]+)*")
ZERO_SPREAD = re.compile(r"±\s*0\.0+(?![\d])")
LABELS = sorted((label for label, name in READABLE.items() if label != name), key=len, reverse=True)
INTERNAL = re.compile("|".join(re.escape(label) for label in LABELS if "_" in label or "=" in label))
SKIPPED = ("code", "pre", "script", "style", "kbd", "samp")


class _TextParser(HTMLParser):
    """A page's visible text outside code, and each table's count of cells with text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skipping = 0
        self.text: list[str] = []
        self.tables: list[int] = []  # per table: its data cells holding text
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED:
            self.skipping += 1
        elif tag == "table":
            self.tables.append(0)
        elif tag == "td" and self.tables:
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED and self.skipping:
            self.skipping -= 1
        elif tag == "td" and self.cell is not None:
            if "".join(self.cell).strip():
                self.tables[-1] += 1
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)
        if not self.skipping:
            self.text.append(data)


def content_problems(html_dir: Path, pages: Sequence[Path]) -> list[Problem]:
    """Every machine path, "± 0.0", internal method label and empty table on the ``pages``."""
    problems = []
    for page in pages:
        parser = _TextParser()
        parser.feed(page.read_text(encoding="utf-8", errors="replace"))
        text = " ".join(" ".join(parser.text).split())
        name = str(page.relative_to(html_dir))
        found = [("machine path", m.group(0)) for m in MACHINE_PATH.finditer(text)]
        found += [("zero spread", _around(text, m.start())) for m in ZERO_SPREAD.finditer(text)]
        found += [("internal label", f"{m.group(0)!r} (readers see {READABLE[m.group(0)]!r})")
                  for m in INTERNAL.finditer(text)]  # fmt: skip
        found += [("empty table", f"table {k + 1} has no values") for k, cells in enumerate(parser.tables) if not cells]
        problems += [Problem(name, kind, detail) for kind, detail in dict.fromkeys(found)]
    return problems


def _around(text: str, at: int, width: int = 30) -> str:
    """The text around position ``at``, to find it on the page."""
    return "…" + text[max(0, at - width) : at + width] + "…"
