"""The facts of each dataset that the book reads without its files equal what the loaders produce."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from fpha_fixture import write_fpha

from gcnprune.book.report.datasets import NO_DATA, describe
from gcnprune.data import (
    DatasetNotFoundError,
    SkeletonDataset,
    SyntheticConfig,
    data_folder,
    dataset_info,
    load_fpha,
    load_sbu,
    make_synthetic,
)
from gcnprune.data.fpha import SPLIT_FILE, read_split
from gcnprune.data.sbu import FOLDS
from gcnprune.errors import UserError
from gcnprune.experiments.profiles import PROFILES


def test_sbu_facts_equal_the_loaded_fixture(small_sbu):
    loaded = load_sbu(small_sbu.folder)
    info = dataset_info("sbu")
    assert loaded.info == info and not isinstance(info, SkeletonDataset)
    assert (info.num_classes, info.num_joints, len(info.splits)) == (8, 30, 5)
    np.testing.assert_array_equal(info.adjacency(), loaded.adjacency())
    assert info.joint_roots() == loaded.joint_roots()


def test_fpha_facts_equal_the_loaded_fixture_but_for_its_class_names(tmp_path):
    fixture = write_fpha(tmp_path)
    loaded = load_fpha(fixture.folder)
    info = dataset_info("fpha")
    assert loaded.info == dataclasses.replace(info, class_names=fixture.class_names)  # a copy names its own classes
    assert (info.num_classes, info.num_joints, len(info.splits)) == (45, 21, 1)


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_synthetic_facts_follow_the_profiles_options(profile):
    options = PROFILES[profile].dataset_options("synthetic")
    assert make_synthetic(SyntheticConfig(**options)).info == dataset_info("synthetic", **options)
    assert PROFILES[profile].dataset_options("sbu") == {}


def test_fpha_class_names_are_the_release_split_files(repo_root):
    split = repo_root.parent / "shared" / "data" / "fpha-dev" / SPLIT_FILE
    if not split.is_file():
        pytest.skip(f"FPHA's split file not found at {split}")
    assert read_split(split)[1] == dataset_info("fpha").class_names


def test_unknown_dataset_or_options_for_a_real_one_are_refused():
    with pytest.raises(UserError, match="unknown dataset 'ntu'"):
        dataset_info("ntu")
    with pytest.raises(UserError, match="the sbu dataset takes no options"):
        dataset_info("sbu", num_folds=3)


def test_describe_marks_the_sizes_that_need_the_files():
    facts = describe(dataset_info("sbu"))
    assert facts["classes"] == 8 and facts["skeletons"] == 2 and facts["splits"] == 5
    assert facts["sequences"] == facts["train/test sizes"] == NO_DATA
    assert isinstance(
        describe(make_synthetic(SyntheticConfig(num_subjects=5, per_class_per_subject=1)))["sequences"], int
    )


def test_data_folder(small_sbu, tmp_path, monkeypatch):
    monkeypatch.setenv("GCNPRUNE_DATA", str(tmp_path / "nothing-here"))
    monkeypatch.setattr("gcnprune.data.locate.REPO_ROOT", tmp_path)  # no data/sbu in this "clone"
    assert data_folder("sbu") is None and data_folder("synthetic") is None
    assert data_folder("sbu", small_sbu.folder) == Path(small_sbu.folder)
    monkeypatch.setenv("GCNPRUNE_DATA", str(small_sbu.folder.parent))
    assert data_folder("sbu") == small_sbu.folder
    with pytest.raises(DatasetNotFoundError, match="looked in: .*elsewhere"):
        data_folder("sbu", tmp_path / "elsewhere")  # a folder given explicitly must exist


def test_the_papers_split_is_sbus_fold_5_trained_on_the_four_others():
    """The author's SBU test set has 65 sequences: fold 5's five sets; FPHA's is its official split."""
    sbu = dataset_info("sbu")
    split = sbu.splits[sbu.papers_split]
    assert sbu.papers_split == 4
    assert split.test == ("fold5",) and sorted(FOLDS[4]) == ["s04s02", "s04s03", "s04s06", "s06s02", "s06s03"]
    assert sorted(split.train) == ["fold1", "fold2", "fold3", "fold4"]
    assert dataset_info("fpha").papers_split == 0
