"""The course kit: every chapter a teacher assigns states its objectives and prerequisites, and the method and
teaching chapters hold at least two exercises, each with a folded solution; the landing page maps which
chapter needs which."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
REFERENCES = {"intro", "results", "reproducibility"}  # the landing page and the reference pages
WITH_EXERCISES = ["magnitude-pruning", "phase-field", "topological", "probabilistic", "multi-rate",
                  "write-your-own-method", "designing-a-lightweight-gcn"]  # fmt: skip


@pytest.mark.parametrize("name", sorted(p.stem for p in NOTEBOOKS.glob("*.md") if p.stem not in REFERENCES))
def test_a_chapter_states_its_objectives_and_prerequisites(name):
    text = (NOTEBOOKS / f"{name}.md").read_text()
    block = re.search(r"```\{admonition\} Objectives and prerequisites\n(.*?)```", text, re.S)
    assert block and "**You will**" in block[1] and "**You need**" in block[1], name


@pytest.mark.parametrize("name", WITH_EXERCISES)
def test_a_chapter_has_exercises_each_with_a_folded_solution(name):
    text = (NOTEBOOKS / f"{name}.md").read_text()
    exercises = re.findall(r":::\{exercise\}.*?\n:label: (\S+)", text)
    solutions = re.findall(r":::\{solution\} (\S+)\n:class: dropdown", text)
    assert len(exercises) >= 2 and sorted(exercises) == sorted(solutions), name


def test_the_landing_page_maps_the_chapters():
    text = (NOTEBOOKS / "intro.md").read_text()
    linked = set(re.findall(r"\{doc\}`([\w-]+)`", text.split("A map of the chapters")[1].split("##")[0]))
    assert {n for n in WITH_EXERCISES} <= linked
