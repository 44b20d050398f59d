"""The course kit: every chapter a teacher assigns states its objectives and prerequisites, and every chapter but
the landing and reference pages holds at least two exercises, each with a folded solution whose code runs on the
smoke profile; the landing page maps which chapter needs which."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
REFERENCES = {"intro", "results", "reproducibility"}  # the landing page and the reference pages
WITH_EXERCISES = ["datasets", "magnitude-pruning", "phase-field", "topological", "probabilistic", "multi-rate",
                  "write-your-own-method", "designing-a-lightweight-gcn", "what-pruning-buys",
                  "fpha-development"]  # fmt: skip
SOLUTION = re.compile(r"^:::\{solution\} (\S+)\n(.*?)^:::$", re.M | re.S)  # a solution's label and body
PYTHON = re.compile(r"^```python\n(.*?)^```$", re.M | re.S)  # a plain python block (solutions are not executed)


def solutions() -> list:
    """(notebook, label, body) of every solution of every notebook, one test id each."""
    return [
        pytest.param(path.stem, label, body, id=f"{path.stem}:{label}")
        for path in sorted(NOTEBOOKS.glob("*.md"))
        for label, body in SOLUTION.findall(path.read_text())
    ]


@pytest.mark.parametrize("name", sorted(p.stem for p in NOTEBOOKS.glob("*.md") if p.stem not in REFERENCES))
def test_a_chapter_states_its_objectives_and_prerequisites(name):
    text = (NOTEBOOKS / f"{name}.md").read_text()
    block = re.search(r"```\{admonition\} Objectives and prerequisites\n(.*?)```", text, re.S)
    assert block and "**You will**" in block[1] and "**You need**" in block[1], name


def test_every_chapter_but_the_references_has_exercises():
    assert sorted(WITH_EXERCISES) == sorted(p.stem for p in NOTEBOOKS.glob("*.md") if p.stem not in REFERENCES)


@pytest.mark.parametrize("name", WITH_EXERCISES)
def test_a_chapter_has_exercises_each_with_a_folded_solution(name):
    text = (NOTEBOOKS / f"{name}.md").read_text()
    exercises = re.findall(r":::\{exercise\}.*?\n:label: (\S+)", text)
    solutions = re.findall(r":::\{solution\} (\S+)\n:class: dropdown", text)
    assert len(exercises) >= 2 and sorted(exercises) == sorted(solutions), name
    assert text.count(":::{solution}") == len(exercises), name


@pytest.mark.parametrize(("name", "label", "body"), solutions())
def test_a_solution_s_code_runs_on_the_smoke_profile(name, label, body, monkeypatch, tmp_path):
    """Each ```python block of the solution runs as written, in a fresh namespace from the repository root;
    its ``tempfile.mkdtemp()`` results folder lands under the test's own temporary folder."""
    blocks = PYTHON.findall(body)
    assert blocks, f"{name}.md: solution {label} holds no ```python block"
    assert "{code-cell}" not in body, f"{name}.md: solution {label} holds a code cell (solutions are not executed)"
    monkeypatch.chdir(REPO)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    for k, code in enumerate(blocks, start=1):
        try:
            exec(compile(code, f"{name}.md:{label}:block {k}", "exec"), {"__name__": f"solution_{label}"})
        except Exception as error:
            raise AssertionError(f"{name}.md: the code of solution {label} (block {k}) fails: {error!r}") from error


def test_the_landing_page_maps_the_chapters():
    text = (NOTEBOOKS / "intro.md").read_text()
    linked = set(re.findall(r"\{doc\}`([\w-]+)`", text.split("A map of the chapters")[1].split("##")[0]))
    assert {n for n in WITH_EXERCISES} <= linked
