"""The book pipeline: every notebook runs (smoke profile, synthetic data) and the strict build passes.

The book is built from a temporary copy of book/ with a temporary results folder, so the repository's
book/_build/, book/notebooks/ and results/ are left alone.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from gcnprune.book import build as book
from gcnprune.book.browser_check import Problem, book_pages, check_book, find_chromium, link_problems
from gcnprune.book.build import NotebookFailed, ParameterError, make_book, toc_notebooks

pytestmark = pytest.mark.book

BANNER = "This build uses the synthetic dataset and the smoke profile"

needs_chromium = pytest.mark.skipif(
    find_chromium() is None,
    reason="Chromium is not installed: `apt-get install chromium` (.ci/run installs it in CI)",
)


def copy_book(repo_root: Path, target: Path) -> Path:
    shutil.copytree(repo_root / "book", target, ignore=shutil.ignore_patterns("_build", "notebooks", ".*"))
    return target


@pytest.fixture(scope="module")
def built(tmp_path_factory, repo_root):
    """The whole book, executed in the smoke profile on synthetic data and built strictly."""
    tmp = tmp_path_factory.mktemp("book")
    book_dir = copy_book(repo_root, tmp / "book")
    result = make_book(dataset="synthetic", profile="smoke", jobs=1, results=tmp / "results", book_dir=book_dir,
                       log=lambda _: None)  # fmt: skip
    return book_dir, result


def test_toc_and_notebooks_agree(repo_root):
    names = toc_notebooks(repo_root / "book")
    assert sorted(names) == sorted(p.stem for p in (repo_root / "notebooks").glob("*.md"))
    assert names[:2] == ["intro", "datasets"] and names[-1] == "reproducibility"  # the landing page first
    for name in names:
        nb = book.read_notebook(repo_root / "notebooks" / f"{name}.md")
        if name == "fpha-development":  # FPHA whatever the build's dataset, from its own folder
            assert {"fpha_data", "profile", "results"} <= set(nb.parameters) and "dataset" not in nb.parameters
        elif name == "what-pruning-buys":  # the committed SBU benchmark whatever the build's dataset
            assert {"models", "sbu_data", "results"} <= set(nb.parameters) and "dataset" not in nb.parameters
        elif name != "reproducibility":
            assert {"dataset", "data_root", "profile"} <= set(nb.parameters), name
    from gcnprune.book.chapters.grids import CHAPTERS

    for chapter in CHAPTERS:  # every chapter's runs come from its grids, with the same parameters
        parameters = book.read_notebook(repo_root / "notebooks" / f"{chapter}.md").parameters
        assert {"results", "jobs", "folds", "rates", "seeds"} <= set(parameters), chapter
        assert parameters["profile"] == "quick" and parameters["folds"] is None and parameters["rates"] is None, chapter
        assert parameters["seeds"] == [0], chapter


def test_every_page_is_built_with_the_banner(built):
    book_dir, result = built
    html = book_dir / "_build" / "html"
    assert result.html == html
    assert (html / "index.html").is_file()
    pages = [html / "bibliography.html"] + [html / "notebooks" / f"{n}.html" for n in toc_notebooks(book_dir)]
    for page in pages:
        assert page.is_file(), page
        text = page.read_text()
        assert BANNER in text and "not the papers" in text, page
    assert not list((book_dir / "_build").glob(".staging-*")), "the staging folder should be removed after success"


def test_figures_tables_and_glued_numbers(built):
    book_dir, _ = built
    html = book_dir / "_build" / "html"
    datasets = (html / "notebooks" / "datasets.html").read_text()
    assert "<img" in datasets and "fpha" in datasets and "not found" in datasets
    from gcnprune.book.chapters.grids import CHAPTERS

    for chapter in CHAPTERS:
        page = (html / "notebooks" / f"{chapter}.html").read_text()
        assert page.count("<img") >= 1, chapter
        assert "pasted-text" in page and "not run in this build" not in page, chapter
        assert "0.99" in page and "achieved rate" in page, chapter
        assert "IProgress" not in page and "Traceback" not in page, chapter
    for chapter in ("phase-field", "topological", "probabilistic", "multi-rate"):
        page = (html / "notebooks" / f"{chapter}.html").read_text()
        assert "reproduce" in page and "reconstruct" in page, chapter
    assert list((html / "_images").glob("*.png"))
    landing = (html / "notebooks" / "intro.html").read_text()  # the scoreboard, computed at every build
    assert "What this book finds" in landing and "<img" in landing
    assert all(name in landing for name in ("PFM", "TC", "PMP", "MRMP", "gain at 0.98", "what earns it"))


def test_teaching_chapters_show_their_code_figures_and_glued_numbers(built):
    from gcnprune.book.chapters.grids import TEACHING
    from gcnprune.methods import snip

    book_dir, _ = built
    pages = {
        name: _text((book_dir / "_build" / "html" / "notebooks" / f"{name}.html").read_text()) for name in TEACHING
    }
    raw = {name: (book_dir / "_build" / "html" / "notebooks" / f"{name}.html").read_text() for name in TEACHING}
    for name, text in pages.items():
        assert raw[name].count("<img") >= 1 and "pasted-text" in raw[name], name
        assert "reconstruction" in text and "Traceback" not in text and "Warning" not in text, name
    assert "def connection_sensitivity(model: GCN, trainer: Trainer)" in pages["write-your-own-method"]
    assert snip.__doc__.splitlines()[0] in pages["write-your-own-method"]  # the file as it runs
    assert "from . import random_pruning, snip" in pages["write-your-own-method"]
    assert (
        "graph mixing (Â H)" in pages["designing-a-lightweight-gcn"]
        and "hidden units ÷ 4" in pages["designing-a-lightweight-gcn"]
    )


def test_provenance_is_recorded_and_shown(built):
    book_dir, result = built
    record = json.loads((book_dir / "notebooks" / "provenance.json").read_text())
    assert record["build"]["profile"] == "smoke" and record["build"]["dataset"] == "synthetic"
    assert list(record["notebooks"]) == toc_notebooks(book_dir)
    for entry in record["notebooks"].values():
        assert entry["seconds"] > 0
        assert entry["version"] and entry["git_commit"]
        assert entry["packages"]["torch"] and entry["packages"]["jupyter-book"]
        assert entry["machine"]["cpu_count"] >= 1 and entry["machine"]["platform"]
    assert record["notebooks"]["magnitude-pruning"]["parameters"]["profile"] == "smoke"
    assert record["notebooks"]["magnitude-pruning"]["parameters"]["jobs"] == 1
    for name in toc_notebooks(book_dir):
        assert (book_dir / "notebooks" / f"{name}.ipynb").is_file()
    page = (book_dir / "_build" / "html" / "notebooks" / "reproducibility.html").read_text()
    assert "magnitude-pruning.md" in page and record["notebooks"]["datasets"]["packages"]["torch"] in page


def _pages(book_dir: Path) -> dict[Path, str]:
    return {page: page.read_text() for page in sorted((book_dir / "_build" / "html").rglob("*.html"))}


def _text(page: str) -> str:
    """What a reader sees of a page: its HTML without tags, scripts and styles, entities decoded."""
    page = re.sub(r"<(script|style)\b.*?</\1>", "", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def test_mathjax_is_shipped_with_the_book(built):
    """Formulas render offline: every page loads MathJax from the book's own _static, never from a CDN."""
    book_dir, _ = built
    pages = _pages(book_dir)
    local = 0
    for page, text in pages.items():
        assert not re.search(r"https?://[^\"'\s]*mathjax", text, flags=re.I), page
        for src in re.findall(r"<script[^>]*\bsrc=\"([^\"]*mathjax[^\"]*)\"", text, flags=re.I):
            assert (page.parent / src.split("?")[0]).resolve().is_file(), (page, src)
            local += 1
    assert local, "no page loads the local MathJax"
    chapter = pages[book_dir / "_build" / "html" / "notebooks" / "phase-field.html"]
    assert re.search(r"<script[^>]*src=\"[./]*_static/mathjax/tex-chtml\.js", chapter)


def test_no_thebe_scripts(built):
    """sphinx-thebe declared `const THEBE_JS_URL` twice per page (a SyntaxError in every page's console)."""
    book_dir, _ = built
    for page, text in _pages(book_dir).items():
        assert text.count("THEBE_JS_URL") <= 1, page
        assert "thebe" not in text.lower(), page


def test_config_keeps_jupyter_books_extensions_but_thebe(repo_root):
    """book/_config.yml lists Jupyter Book's default extensions less sphinx_thebe, plus bibtex, MathJax and the
    exercises."""
    import yaml
    from jupyter_book.config import get_default_sphinx_config

    listed = yaml.safe_load((repo_root / "book" / "_config.yml").read_text())["sphinx"]["config"]["extensions"]
    defaults = get_default_sphinx_config()["extensions"]
    assert listed == [e for e in defaults if e != "sphinx_thebe"] + [
        "sphinxcontrib.bibtex",
        "sphinx-mathjax-offline",
        "sphinx_exercise",
    ]


def test_parameter_cells_and_build_paths_are_hidden(built, repo_root):
    """No page shows a parameters cell, papermill's injected one, or the build's temporary results folder."""
    book_dir, _ = built
    results = book_dir.parent / "results"
    hidden = []
    for name in toc_notebooks(book_dir):
        cell = next(c for c in book.load_notebook(repo_root / "notebooks" / f"{name}.md").cells
                    if "parameters" in c.metadata.get("tags", []))  # fmt: skip
        hidden += [line.strip() for line in cell.source.splitlines() if "#" in line]
    assert hidden
    for page, text in _pages(book_dir).items():
        assert "tag_parameters" not in text and "tag_injected-parameters" not in text, page
        assert str(results) not in text and str(results.resolve()) not in text, page
        seen = _text(text)
        assert "# Parameters" not in seen, page
        for line in hidden:
            assert line not in seen, (page, line)
        assert "0-based" not in seen.lower() and not re.search(r"\bfold 0\b", seen), page  # folds count from 1
    record = json.loads((book_dir / "notebooks" / "provenance.json").read_text())
    assert record["build"]["results"] == book.shown_path(results) == ".../results"
    assert record["notebooks"]["magnitude-pruning"]["parameters"]["results"] == ".../results"


def test_shown_path(repo_root, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", "/nonexistent-temporary-directory")
    assert book.shown_path(repo_root / "results") == "results"
    assert book.shown_path(repo_root.parent / "shared" / "data" / "sbu") == "../shared/data/sbu"
    assert book.shown_path("/nowhere/near/the/repository/results") == ".../results"
    monkeypatch.setattr(tempfile, "tempdir", str(repo_root.parent))  # a clone in the temporary directory
    assert book.shown_path(repo_root.parent / "pytest-of-someone" / "results") == ".../results"
    assert book.shown_path(repo_root / "results") == "results"


def test_misspelled_parameter_is_refused(tmp_path, repo_root, capsys):
    book_dir = copy_book(repo_root, tmp_path / "book")
    with pytest.raises(ParameterError) as error:
        make_book(profile="smoke", only="magnitude-pruning", params=["foldz=1"], book_dir=book_dir, build=False,
                  results=tmp_path / "results", log=lambda _: None)  # fmt: skip
    message = str(error.value)
    assert "magnitude-pruning" in message and "'foldz'" in message
    for valid in ("folds", "rates", "seeds", "profile"):
        assert valid in message
    # the command line says the same and exits non-zero, before executing anything
    code = book.main(["--profile", "smoke", "--only", "magnitude-pruning", "--param", "foldz=1",
                      "--book", str(book_dir), "--results", str(tmp_path / "results")])  # fmt: skip
    assert code == 1
    assert "foldz" in capsys.readouterr().err
    # without --only, a parameter goes to every notebook, and one that lacks it is named
    with pytest.raises(ParameterError, match="notebook intro"):
        make_book(profile="smoke", params={"rates": [0.5]}, book_dir=book_dir, build=False, log=lambda _: None)
    assert not (book_dir / "notebooks").exists() and not (tmp_path / "results").exists()


def test_parse_param():
    assert book.parse_param("folds=[0, 1]") == (None, "folds", [0, 1])
    assert book.parse_param("magnitude-pruning:rates=[0.9]") == ("magnitude-pruning", "rates", [0.9])
    assert book.parse_param("folds=null") == (None, "folds", None)
    assert book.parse_param("dataset=sbu") == (None, "dataset", "sbu")
    with pytest.raises(ParameterError):
        book.parse_param("folds")


FAILING = """\
---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# Boom

```{code-cell} ipython3
:tags: [parameters]

divisor = 0
```

```{code-cell} ipython3
answer = 42 / divisor
```
"""


def test_failing_notebook_stops_the_build(tmp_path, capsys):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    (notebooks / "boom.md").write_text(FAILING)
    book_dir = tmp_path / "book"
    book_dir.mkdir()
    (book_dir / "_config.yml").write_text("title: test\nexecute:\n  execute_notebooks: 'off'\n")
    (book_dir / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n  - file: notebooks/boom\n")
    (book_dir / "intro.md").write_text("# Intro\n")
    old = book_dir / "_build" / "html"
    old.mkdir(parents=True)
    (old / "index.html").write_text("previous book")

    with pytest.raises(NotebookFailed) as error:
        make_book(
            profile="smoke", notebooks_dir=notebooks, book_dir=book_dir, results=tmp_path / "r", log=lambda _: None
        )
    message = str(error.value)
    assert error.value.notebook == "boom"
    assert "notebook boom failed" in message and "ZeroDivisionError" in message and "42 / divisor" in message
    # nothing half-built: the previous book is untouched and no executed notebooks were published
    assert (old / "index.html").read_text() == "previous book"
    assert not (book_dir / "notebooks").exists()

    code = book.main(
        ["--profile", "smoke", "--notebooks", str(notebooks), "--book", str(book_dir), "--results", str(tmp_path / "r")]
    )
    assert code == 1
    assert "notebook boom failed" in capsys.readouterr().err


def test_notebook_missing_from_the_toc_is_an_error(tmp_path, repo_root):
    notebooks = tmp_path / "notebooks"
    shutil.copytree(repo_root / "notebooks", notebooks)
    (notebooks / "orphan.md").write_text(FAILING)
    with pytest.raises(book.BookError, match="orphan.md is not in the book"):
        make_book(
            profile="smoke", notebooks_dir=notebooks, book_dir=copy_book(repo_root, tmp_path / "book"), build=False
        )


def test_stats_and_figure_for_two_people(small_sbu):
    from gcnprune.book.plots import PERSON_COLOURS, skeleton_frames
    from gcnprune.book.report.datasets import class_counts, describe, people
    from gcnprune.data import load_sbu

    data = load_sbu(small_sbu.folder)
    info = describe(data)
    assert info["skeletons"] == 2 and info["joints"] == 30 and info["classes"] == 8
    assert info["sequences"] == len(small_sbu.labels)
    frames = data.frame_counts()
    assert info["frames min"] == frames.min() and info["frames max"] == frames.max()
    assert [len(g) for g in people(data)] == [15, 15]
    counts = class_counts(data)
    assert counts["total"].sum() == len(data) and list(counts.index) == list(data.class_names)
    fig = skeleton_frames(data, frames=3)
    colours = {str(line.get_color()) for ax in fig.axes for line in ax.get_lines()} & set(PERSON_COLOURS)
    assert colours == set(PERSON_COLOURS[:2]), "each person gets one colour"
    assert sum(1 for ax in fig.axes if ax.get_lines()) == len(set(data.labels.tolist()))


@needs_chromium
def test_browser_check_passes_on_the_smoke_book(built):
    """Every page opens in headless Chromium without a console error, raw TeX, broken link or missing image;
    one screenshot per page lands under the build's folder."""
    book_dir, _ = built
    html = book_dir / "_build" / "html"
    screenshots = book_dir / "_build" / "screenshots"
    problems = check_book(html, screenshots)
    assert problems == [], "\n".join(map(str, problems))
    pages = book_pages(html)
    assert len(pages) >= len(toc_notebooks(book_dir)) + 2
    shots = sorted(screenshots.rglob("*.png"))
    assert shots == sorted((screenshots / p.relative_to(html)).with_suffix(".png") for p in pages)
    assert all(shot.read_bytes().startswith(b"\x89PNG") for shot in shots)


def _site(folder: Path, pages: dict[str, str]) -> Path:
    """A tiny hand-made HTML folder: ``pages`` maps a path to the body of its page."""
    for name, body in pages.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(f"<!DOCTYPE html><html><head><title>t</title></head><body>{body}</body></html>")
    return folder


LINKS = {
    "index.html": '<h1 id="top">Top</h1><a href="sub/page.html#here">fine</a><a href="#top">fine</a>'
    '<a href="https://example.org/nowhere.html">external</a><a href="mailto:a@b.c">mail</a>'
    '<a href="gone.html">broken</a><a href="sub/page.html#nowhere">broken anchor</a><img src="missing.png">',
    "sub/page.html": '<p id="here">Here</p><a href="../index.html#top">back</a><a href="../#gone">up</a>',
}


def test_link_check_reports_broken_links_anchors_and_missing_images(tmp_path):
    html = _site(tmp_path, LINKS)
    assert link_problems(html, book_pages(html)) == [
        Problem("index.html", "broken anchor", "sub/page.html#nowhere"),
        Problem("index.html", "broken link", "gone.html"),
        Problem("index.html", "missing image", "missing.png"),
        Problem("sub/page.html", "broken anchor", "../#gone"),
    ]


def _kinds(problems: list[Problem]) -> list[tuple[str, str]]:
    return [(p.page, p.kind) for p in problems]


@needs_chromium
def test_browser_check_reports_console_errors(tmp_path):
    html = _site(tmp_path / "html", {"logs.html": '<script>console.log("fine"); console.warn("fine")</script>',
                                     "error.html": '<script>console.error("boom")</script>',
                                     "syntax.html": "<script>let x = ;</script>",
                                     "throws.html": "<script>undefinedFunction()</script>"})  # fmt: skip
    problems = check_book(html)
    assert _kinds(problems) == [("error.html", "console error"), ("syntax.html", "console error"),
                                ("throws.html", "console error")]  # fmt: skip
    assert (
        "boom" in problems[0].detail
        and "SyntaxError" in problems[1].detail
        and "undefinedFunction" in problems[2].detail
    )
    assert sorted(p.name for p in (tmp_path / "screenshots").glob("*.png")) == [
        "error.png", "logs.png", "syntax.png", "throws.png"]  # fmt: skip


@needs_chromium
def test_browser_check_reports_raw_tex_links_and_images(tmp_path):
    raw = '<p>An inline <span class="math notranslate nohighlight">\\(x^2\\)</span> formula.</p>'
    html = _site(tmp_path / "html", {**LINKS, "raw.html": raw})
    (html / "not-an-image.png").write_text("text")
    (html / "sub" / "page.html").write_text('<p id="here"><img src="../not-an-image.png"></p>')
    problems = check_book(html, tmp_path / "shots")
    assert Problem("raw.html", "raw TeX", "formula not typeset: \\(x^2\\)") in problems
    assert Problem("sub/page.html", "missing image", "../not-an-image.png") in problems
    assert {"broken link", "broken anchor", "missing image"} <= {p.kind for p in problems if p.page == "index.html"}
    assert {p.page for p in problems} == {"index.html", "raw.html", "sub/page.html"}
    assert len(list((tmp_path / "shots").rglob("*.png"))) == 3


def test_browser_check_command_line(tmp_path, capsys):
    from gcnprune.book import browser_check

    html = _site(tmp_path, {"index.html": '<a href="gone.html">x</a>'})
    if find_chromium() is None:
        assert browser_check.main([str(html)]) == 2
        assert "apt-get install chromium" in capsys.readouterr().err
        return
    assert browser_check.main([str(html)]) == 1
    out, err = capsys.readouterr()
    assert out == "index.html: broken link: gone.html\n" and "1 page checked: 1 problem" in err


def _outputs(notebook: Path) -> str:
    """Every text, markdown and HTML output of an executed notebook, joined."""
    import nbformat

    cells = nbformat.read(notebook, as_version=4).cells
    return "\n".join(str(data) for cell in cells for out in cell.get("outputs", [])
                     for data in [out.get("text", ""), *out.get("data", {}).values()])  # fmt: skip


def test_without_the_data_the_book_reads_the_cache_only(tmp_path, repo_root, monkeypatch, capsys):
    """SBU with no files on the machine: the chapters render a tiny cache and train nothing; the datasets
    chapter says what it cannot draw; a run missing from the cache stops the runner in one line."""
    from cache_fixture import write_runs

    from gcnprune.book.chapters.runs import chapter_runs

    if (repo_root / "data" / "sbu").exists():
        pytest.skip("this clone holds data/sbu; reading the cache only needs a machine without the SBU files")
    monkeypatch.setenv("GCNPRUNE_DATA", str(tmp_path / "no-data"))
    results, book_dir = tmp_path / "results", copy_book(repo_root, tmp_path / "book")
    only_09 = ["magnitude-pruning:rates=[0.9]"]
    configs = chapter_runs("magnitude-pruning", "sbu", None, "smoke", results, rates=[0.9], missing="omit").configs
    folders = write_runs(configs, results)
    make_book(dataset="sbu", profile="smoke", only=["datasets", "magnitude-pruning"], params=only_09, results=results,
              build=False, book_dir=book_dir, log=lambda _: None)  # fmt: skip
    datasets = _outputs(book_dir / "notebooks" / "datasets.ipynb")
    assert "The SBU sequences are not on this machine, so they are not drawn" in datasets and "(no data)" in datasets
    magnitude = _outputs(book_dir / "notebooks" / "magnitude-pruning.ipynb")
    assert "MP (per layer)" in magnitude and "computed at initialisation" in magnitude
    banner = json.loads((book_dir / "notebooks" / "provenance.json").read_text())["build"]["banner"]
    assert "nothing was trained" in banner
    assert sorted(results.iterdir()) == sorted(folders) and not list(results.rglob("model.pt"))  # nothing trained

    shutil.rmtree(folders[-1])
    code = book.main(["--profile", "smoke", "--only", "magnitude-pruning", "--param", only_09[0], "--no-build",
                      "--results", str(results), "--book", str(book_dir)])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    [line] = err.strip().splitlines()
    assert line.startswith("error: notebook magnitude-pruning: 1 of the 4 runs of the magnitude-pruning chapter")
    assert "`make book PROFILE=smoke DATA=<SBU folder>" in line
    assert sorted(results.iterdir()) == sorted(folders[:-1])


def test_the_default_book_is_sbu_with_the_paper_profile_from_the_cache(tmp_path, repo_root, monkeypatch):
    """``make book`` names neither: the runner picks SBU and its default profile, and says that it reads
    the cache only when the SBU files are not found (the notebooks' execution is stubbed here)."""
    from gcnprune.experiments.profiles import DEFAULT_PROFILES, default_profile

    assert (
        DEFAULT_PROFILES == {"synthetic": "quick", "sbu": "paper", "fpha": "paper"}
        and default_profile("fpha") == "paper"
    )
    if (repo_root / "data" / "sbu").exists():
        pytest.skip("this clone holds data/sbu; reading the cache only needs a machine without the SBU files")
    monkeypatch.setenv("GCNPRUNE_DATA", str(tmp_path / "no-data"))
    executed = {}
    monkeypatch.setattr(
        book.make, "execute", lambda nb, parameters, output, kernel: executed.update({nb.name: parameters}) or 0.0
    )
    monkeypatch.setattr(book.make, "hide_parameter_cells", lambda path: None)
    log: list[str] = []
    make_book(
        only="datasets",
        build=False,
        results=tmp_path / "results",
        book_dir=copy_book(repo_root, tmp_path / "book"),
        log=log.append,
    )
    assert executed["datasets"]["dataset"] == "sbu" and executed["datasets"]["profile"] == "paper"
    assert log[0].startswith("book: dataset=sbu profile=paper")
    assert log[1].startswith("runs: read from the cache only, nothing is trained (no sbu data found)")


def test_a_chapter_rerun_under_another_setting_says_so_in_the_banner(built, tmp_path, monkeypatch):
    """``--only`` under another profile: the kept pages' setting is named in the banner, so no page reads as this
    build's when it is not; a rerun under the same setting adds nothing."""
    book_dir = tmp_path / "book"
    shutil.copytree(built[0], book_dir, ignore=shutil.ignore_patterns("html", ".staging-*"))
    monkeypatch.setattr(book.make, "execute", lambda nb, parameters, output, kernel: 0.0)
    monkeypatch.setattr(book.make, "hide_parameter_cells", lambda path: None)
    monkeypatch.setattr(book.make, "train_chapters", lambda *args: (0, 0.0))

    def rerun(profile: str) -> str:
        make_book(dataset="synthetic", profile=profile, only="datasets", build=False, results=tmp_path / "results",
                  book_dir=book_dir, log=lambda _: None)  # fmt: skip
        return json.loads((book_dir / "notebooks" / "provenance.json").read_text())["build"]["banner"]

    quick = rerun("quick")
    assert quick.startswith("This build uses the synthetic dataset and the quick profile")
    assert f"others keep an earlier execution, which said: {BANNER}" in quick
    assert "earlier execution" not in rerun("smoke")  # the kept pages' own setting: nothing to add


@needs_chromium
def test_browser_check_moves_the_rate_explorer_and_reports_one_that_does_not_follow(tmp_path):
    from gcnprune.book.report.rate_explorer import explorer_html, read_explorer

    fragment = explorer_html(read_explorer())
    stuck = fragment.replace('slider.addEventListener("input"', 'slider.addEventListener("never"')  # never redrawn
    html = _site(tmp_path / "html", {"works.html": fragment, "stuck.html": stuck})
    problems = check_book(html, tmp_path / "shots")
    assert _kinds(problems) == [("stuck.html", "rate explorer")], problems
    assert "moved to rate" in problems[0].detail


ANNOTATED = FAILING.replace("divisor = 0", "label: str | None = None  # an annotation papermill cannot read").replace(
    "answer = 42 / divisor", "print(label)"
)


def test_a_notebook_runs_with_its_annotated_parameters_and_refuses_others(tmp_path, caplog):
    """papermill calls a name annotated ``str | None`` unknown; the runner checks the names itself, so the book's
    log has no such false warning, and a name the parameters cell does not assign stops before anything runs."""
    from gcnprune.book.build.execution import execute, notebook_kernel
    from gcnprune.book.build.parameters import Notebook, parameters_of

    path = tmp_path / "annotated.md"
    path.write_text(ANNOTATED)
    notebook = Notebook("annotated", path, parameters_of("label: str | None = None", "annotated"))
    with notebook_kernel(tmp_path / "staging") as kernel:
        with pytest.raises(ParameterError, match="has no parameter 'lable'; its parameters cell assigns: label"):
            execute(notebook, {"lable": "x"}, tmp_path / "wrong.ipynb", kernel)
        assert not (tmp_path / "wrong.ipynb").exists()
        with caplog.at_level("WARNING", logger="papermill"):
            execute(notebook, {"label": "seen"}, tmp_path / "out.ipynb", kernel)
    assert not [r for r in caplog.records if "unknown parameter" in r.getMessage()]
    outputs = json.loads((tmp_path / "out.ipynb").read_text())["cells"][-1]["outputs"]
    assert "".join(outputs[0]["text"]).strip() == "seen"
