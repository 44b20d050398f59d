"""The book's chapters (notebooks/*.md) import as a lecture does: a few public names from at most three places,
their own report module (``gcnprune.book.report.<chapter>``), ``gcnprune.book.chapters`` (runs, grids, tuning)
and ``gcnprune.book.plots``; and every name they import exists. The exception: write-your-own-method.md is a
tutorial that writes a method, so it also imports the methods (``gcnprune.methods``, the core)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
SHARED = {"gcnprune.book.chapters", "gcnprune.book.plots"}
REPORT = "gcnprune.book.report."
REPORTS = {  # the chapter's own report module, where its name is not the notebook's
    "magnitude-pruning": "magnitude",
    "designing-a-lightweight-gcn": "lightweight",
    "intro": "scoreboard",  # the landing page
}
TUTORIAL = {"write-your-own-method": {"gcnprune.methods"}}  # a tutorial that writes a method imports the methods


def code_cells(text: str) -> list[str]:
    """The code of each ```{code-cell} block, less its options (":tags: …", a "---" YAML block) and magics."""
    cells: list[str] = []
    lines: list[str] | None = None
    in_yaml = False
    for line in text.splitlines():
        if lines is None:
            if line.startswith("```{code-cell}"):
                lines, in_yaml = [], False
        elif line.startswith("```"):
            cells.append("\n".join(lines))
            lines = None
        elif line.startswith("---"):
            in_yaml = not in_yaml
        elif not in_yaml and not line.startswith((":", "%", "!")):
            lines.append(line)
    return cells


def gcnprune_imports(code: str) -> list[tuple[str, tuple[str, ...]]]:
    """(place, names) of each gcnprune import: ``from X import a, b`` imports ``a`` and ``b`` from ``X``, but
    ``from gcnprune.book.report import magnitude`` imports the chapter module ``gcnprune.book.report.magnitude``
    (no names), the report package holding one module per chapter; ``import gcnprune.methods`` imports the
    package itself."""
    found: list[tuple[str, tuple[str, ...]]] = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            found += [(a.name, ()) for a in node.names if a.name.split(".")[0] == "gcnprune"]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "gcnprune":
            assert node.module is not None and node.level == 0
            names = tuple(a.name for a in node.names)
            if node.module + "." == REPORT:
                found += [(REPORT + name, ()) for name in names]
            else:
                found.append((node.module, names))
    return found


CHAPTERS = sorted(p.stem for p in NOTEBOOKS.glob("*.md"))


def imports_of(chapter: str) -> list[tuple[str, tuple[str, ...]]]:
    return gcnprune_imports("\n".join(code_cells((NOTEBOOKS / f"{chapter}.md").read_text())))


def test_the_chapters_and_their_imports_are_read():
    assert len(CHAPTERS) >= 12 and {"probabilistic", "write-your-own-method", "reproducibility"} <= set(CHAPTERS)
    assert all(imports_of(chapter) for chapter in CHAPTERS)
    assert code_cells("```{code-cell} ipython3\n:tags: [x]\n%matplotlib inline\nimport a\n```\n```\nb\n```") == [
        "import a"
    ]
    assert gcnprune_imports("from gcnprune.book.report import magnitude as m\nimport gcnprune.methods") == [
        ("gcnprune.book.report.magnitude", ()),
        ("gcnprune.methods", ()),
    ]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_a_chapter_imports_from_its_report_module_the_chapters_and_the_plots(chapter):
    places = {place for place, _ in imports_of(chapter)}
    own = REPORT + REPORTS.get(chapter, chapter.replace("-", "_"))
    allowed = {own} | SHARED | TUTORIAL.get(chapter, set())
    assert places <= allowed, f"{chapter}.md imports from {sorted(places - allowed)}"
    assert len(places - TUTORIAL.get(chapter, set())) <= 3


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_name_a_chapter_imports_exists(chapter):
    for place, names in imports_of(chapter):
        module = importlib.import_module(place)
        missing = [name for name in names if not hasattr(module, name)]
        assert missing == [], f"{chapter}.md imports {missing} from {place}, which has none"
        exported = getattr(module, "__all__", None)
        if place.startswith(REPORT) and exported is not None:
            assert set(names) <= set(exported), f"{place}.__all__ lacks {sorted(set(names) - set(exported))}"
