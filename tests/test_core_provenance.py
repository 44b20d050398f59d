"""A run's hash covers the code and the data it came from: an older implementation version, another
copy of the data or a changed parent is never read as a current run, and validation never splits a group."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from smoke_runs import smoke

from gcnprune.data import data_fingerprint, load_dataset
from gcnprune.data.sbu import actor_pair
from gcnprune.experiments import load_run, make_config, run, stale_runs
from gcnprune.methods import METHODS
from gcnprune.train import validation_split

# Every actor pair of SBU's layout appears in two sets, with the roles swapped in one of them.
PAIRED_SETS = {"s01s02": {1: 2, 2: 2}, "s02s01": {1: 1, 2: 2}, "s03s04": {1: 2, 2: 1}, "s04s02": {1: 1, 2: 1},
               "s02s03": {1: 2, 2: 1}, "s03s02": {1: 1, 2: 2}, "s05s02": {1: 1, 2: 1}, "s02s07": {1: 2, 2: 1},
               "s07s01": {1: 1, 2: 1}, "s01s07": {1: 2, 2: 2}}  # fmt: skip


def test_older_method_version_is_not_read_and_is_stale(results_dir, monkeypatch):
    config = smoke("magnitude", 0.5)
    run(config, results_dir)
    old = config.run_hash()
    monkeypatch.setattr(METHODS["magnitude"], "version", METHODS["magnitude"].version + 1)
    assert config.run_hash() != old
    assert load_run(config, results_dir) is None
    assert [p.name for p in stale_runs(results_dir)] == [old]


def test_runs_with_tuple_hyperparameters_are_current(results_dir):
    run(smoke("multi_rate", 0.9), results_dir)  # MRMP's config holds tuples, which config.json stores as lists
    assert stale_runs(results_dir) == []


def test_changed_parent_changes_the_child_hash(monkeypatch):
    child = smoke("magnitude", 0.5)
    before = child.run_hash()
    monkeypatch.setattr(METHODS["dense"], "version", METHODS["dense"].version + 1)
    assert child.resolved()["parent"] == child.parent().run_hash()
    assert child.run_hash() != before


def test_config_json_without_the_implementation_entry_is_stale(results_dir):
    config = smoke("dense", 0.0)
    run(config, results_dir)
    path = results_dir / config.run_hash() / "config.json"
    stored = json.loads(path.read_text())
    del stored["implementation"]
    path.write_text(json.dumps(stored))
    assert [p.name for p in stale_runs(results_dir)] == [config.run_hash()]


def _swap_classes(folder, first: str, second: str) -> None:
    """Relabel a copy of SBU by exchanging two class folders in every set (labels swapped)."""
    for set_dir in folder.iterdir():
        a, b = set_dir / first, set_dir / second
        if a.is_dir() and b.is_dir():
            a.rename(set_dir / "tmp")
            b.rename(a)
            (set_dir / "tmp").rename(b)


def test_another_copy_of_the_data_is_never_read_as_this_one(sbu_writer, tmp_path, results_dir):
    right = sbu_writer(PAIRED_SETS, folder=tmp_path / "right")
    wrong = tmp_path / "wrong"
    shutil.copytree(right.folder, wrong)
    _swap_classes(wrong, "01", "02")
    a = make_config("sbu", "smoke", 0, "dense", 0.0, data_root=right.folder)
    b = make_config("sbu", "smoke", 0, "dense", 0.0, data_root=wrong)
    assert a.data == load_dataset("sbu", right.folder).fingerprint
    assert a.data != b.data and a.run_hash() != b.run_hash()
    run(a, results_dir, str(right.folder))
    assert load_run(b, results_dir) is None
    with pytest.raises(ValueError, match="fingerprint"):
        run(a, results_dir / "other", str(wrong))  # a configuration for one copy refuses the other


def test_an_explicit_missing_folder_is_an_error_not_the_release(tmp_path):
    with pytest.raises(FileNotFoundError, match="sbu dataset not found"):
        data_fingerprint("sbu", tmp_path / "nowhere")


def test_missing_real_data_resolves_to_the_committed_copy(monkeypatch, tmp_path):
    from gcnprune.data import KNOWN_FINGERPRINTS, locate

    monkeypatch.setattr(locate, "REPO_ROOT", tmp_path)
    monkeypatch.delenv("GCNPRUNE_DATA", raising=False)
    assert data_fingerprint("sbu") == KNOWN_FINGERPRINTS["sbu"]


def test_release_fingerprint_matches_the_real_sbu(sbu_root):
    from gcnprune.data import KNOWN_FINGERPRINTS

    assert load_dataset("sbu", sbu_root).fingerprint == KNOWN_FINGERPRINTS["sbu"]


# --- validation splits by group -------------------------------------------------------------------


def test_actor_pair_is_unordered():
    assert actor_pair("s01s02") == actor_pair("s02s01") == "s01+s02"


@pytest.mark.parametrize("seed", range(5))
def test_sbu_validation_never_splits_an_actor_pair(sbu_writer, seed):
    dataset = load_dataset("sbu", sbu_writer(PAIRED_SETS).folder)
    pairs = np.asarray([actor_pair(source.split("/")[0]) for source in dataset.sources])
    assert list(pairs) == list(dataset.groups)
    for fold in range(len(dataset.splits)):
        train, _ = dataset.split_indices(fold)
        kept, held = validation_split(dataset.labels, train, 0.2, seed, np.asarray(dataset.groups))
        assert len(held) >= 0.2 * len(train) and len(kept) > 0
        assert set(pairs[kept]).isdisjoint(pairs[held])
        assert sorted(kept.tolist() + held.tolist()) == train.tolist()


def test_group_split_holds_out_whole_groups_deterministically():
    groups = np.repeat(np.array(list("abcdefghij")), 7)
    labels = np.tile(np.arange(7), 10)
    indices = np.arange(len(labels))
    kept, held = validation_split(labels, indices, 0.25, 3, groups)
    assert set(groups[kept]).isdisjoint(groups[held])
    assert len(held) == 21  # three whole groups of 7: the first count that reaches 25 %
    again = validation_split(labels, indices, 0.25, 3, groups)
    assert np.array_equal(held, again[1])
    assert not np.array_equal(held, validation_split(labels, indices, 0.25, 4, groups)[1])


def test_group_split_refuses_to_hold_out_everything():
    groups = np.array(["a"] * 5)
    with pytest.raises(ValueError, match="cannot hold out"):
        validation_split(np.zeros(5, dtype=int), np.arange(5), 0.2, 0, groups)
