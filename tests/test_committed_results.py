"""The committed run cache stays reachable: every folder in results/ is a current run (its stored
configuration resolves to its folder's hash under today's code) that today's book grids or tuning
scripts ask for, and none is damaged. A refactor that changed a default, a hash or a grid fails here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gcnprune.book.chapters.grids import ORDER, bench_grids, chapter_grids, development_grid
from gcnprune.book.chapters.tuning import (
    CANDIDATES,
    DENSE_CANDIDATES,
    DENSE_FOLDS,
    FPHA_DENSE_CANDIDATES,
    dense_config,
    fpha_dense_config,
    tuning_configs,
)
from gcnprune.experiments import RunConfig, audit_cache, stale_runs
from gcnprune.methods import METHODS

RESULTS = Path(__file__).resolve().parents[1] / "results"
FOLDS = [0, 1, 2, 3, 4]


def _asked_for() -> set[str]:
    """Hashes of every run the book (SBU and FPHA, paper profile, and the benchmark) and the tuning scripts ask for."""
    configs: list[RunConfig] = [c for chapter in ORDER for g in chapter_grids(chapter, "sbu", "paper", FOLDS)
                                for c in g.configs()]  # fmt: skip
    configs += development_grid("paper").configs() + [c for g in bench_grids() for c in g.configs()]
    configs += [dense_config(name, fold) for name in DENSE_CANDIDATES for fold in DENSE_FOLDS]
    configs += [fpha_dense_config(name) for name in FPHA_DENSE_CANDIDATES]
    configs += [c for method in CANDIDATES for group in tuning_configs(method).values() for c in group]
    hashes = {c.run_hash() for c in configs}
    for config in configs:  # parents of what is asked for (MRMP's trained model, validation dense runs)
        parent = config.parent()
        while parent is not None:
            hashes.add(parent.run_hash())
            parent = parent.parent()
    return hashes


committed = sorted(p.parent.name for p in RESULTS.glob("*/config.json"))


@pytest.mark.skipif(not committed, reason="no committed runs in results/")
def test_committed_runs_are_current_and_undamaged():
    assert stale_runs(RESULTS) == []
    assert [f for f in audit_cache(RESULTS) if f.kind != "interrupted"] == []
    for name in committed:  # the folder is the hash of the configuration it stores
        stored = json.loads((RESULTS / name / "config.json").read_text())
        assert RunConfig.from_resolved(stored).run_hash() == name


@pytest.mark.skipif(not committed, reason="no committed runs in results/")
def test_every_committed_run_is_asked_for_by_the_book_or_a_tuning_script():
    unreached = sorted(set(committed) - _asked_for())
    assert unreached == [], f"{len(unreached)} committed runs no grid asks for, e.g. {unreached[:3]}"


@pytest.mark.skipif(not committed, reason="no committed runs in results/")
def test_every_method_declares_the_parent_its_committed_runs_started_from():
    """The parent that :meth:`RunConfig.parent` builds from each method's declaration is the committed run
    that the method's committed runs name (``parent`` in config.json) and started from (``parent_run`` in
    metrics.json); every registered method has committed runs, so each declaration is checked."""
    methods = set()
    for name in committed:
        stored = json.loads((RESULTS / name / "config.json").read_text())
        metrics = json.loads((RESULTS / name / "metrics.json").read_text())
        parent = RunConfig.from_resolved(stored).parent()
        if parent is None:
            assert stored["parent"] is None and "parent_run" not in metrics, name
        else:
            assert parent.run_hash() == stored["parent"] == metrics["parent_run"], name
            assert parent.run_hash() in committed, name
        methods.add(stored["method"])
    assert methods == set(METHODS)


@pytest.mark.skipif(not committed, reason="no committed runs in results/")
def test_the_tuning_record_is_committed_for_every_candidate():
    """Every candidate of :mod:`gcnprune.book.chapters.tuning` has its validation runs committed, so the
    method chapters' tables show no "not run"."""
    absent = [c.run_hash() for m in CANDIDATES for group in tuning_configs(m).values() for c in group
              if not (RESULTS / c.run_hash() / "metrics.json").is_file()]  # fmt: skip
    assert absent == [], f"{len(absent)} tuning runs are not committed; train them with scripts/tune_methods.py"
