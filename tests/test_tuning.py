"""The tuning record (``gcnprune.tuning``): validation runs only, on the record's seed and folds, one per
fold for every valid candidate and rate; its table summarises the runs it finds and marks the others."""

from __future__ import annotations

import pytest
from cache_fixture import write_runs

from gcnprune.methods import get_method
from gcnprune.tuning import (
    CANDIDATES,
    TUNING_FOLDS,
    TUNING_RATES,
    TUNING_SEED,
    candidate_label,
    tuning_configs,
    tuning_table,
)


@pytest.mark.parametrize("method", list(CANDIDATES))
def test_every_candidate_is_valid_and_runs_on_validation_splits_only(method):
    groups = tuning_configs(method)
    assert set(groups) == {(r, candidate_label(c)) for r in TUNING_RATES for c in CANDIDATES[method]}
    for (rate, _), configs in groups.items():
        assert [c.fold for c in configs] == list(TUNING_FOLDS)
        assert all(c.evaluate == "validation" and c.seed == TUNING_SEED and c.dataset == "sbu" for c in configs)
        assert all(c.rate == rate and c.method == method for c in configs)
    for candidate in CANDIDATES[method]:
        get_method(method, candidate)  # raises on a bad setting


def test_candidate_labels():
    assert candidate_label({}) == "defaults"
    assert candidate_label({"threshold": "prior", "alignment_weight": 10.0}) == "threshold=prior, alignment_weight=10.0"


def test_table_summarises_found_runs_and_marks_the_others(tmp_path):
    groups = tuning_configs("topological")
    first, second = groups[(0.98, "kappa=10.0")]
    write_runs([first], tmp_path, accuracy=0.8, soft_rate=0.979, kept_overlap=0.96)
    write_runs([second], tmp_path, accuracy=0.6, soft_rate=0.981, kept_overlap=0.98)
    table = tuning_table("topological", tmp_path).set_index(["rate", "candidate"])
    row = table.loc[("0.98", "kappa=10.0")]
    assert row["folds"] == 2 and row["validation accuracy (%)"] == "70.0 ± 10.0"
    assert row["achieved rate"] == "0.9800" and row["soft rate"] == "0.9800" and row["kept overlap"] == "0.9700"
    assert table.loc[("0.99", "kappa=1.0"), "validation accuracy (%)"] == "not run"
    assert table.loc[("0.99", "kappa=1.0"), "folds"] == 0
