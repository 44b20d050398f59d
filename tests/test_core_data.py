"""SBU loader on fixtures in the release's exact format, the real SBU data (if present), and synthetic data."""

from __future__ import annotations

import dataclasses
import re
import shutil

import numpy as np
import pytest
from conftest import format_sbu_line, random_normalised, write_sbu_file

from gcnprune.data import DatasetNotFoundError, SyntheticConfig, load_dataset, load_sbu, make_synthetic
from gcnprune.data.sbu import CLASSES, FOLDS, read_sequence, to_world
from gcnprune.errors import DataError

FOLD_OF = {s: f"fold{k + 1}" for k, sets in enumerate(FOLDS) for s in sets}


def world(normalised: np.ndarray) -> np.ndarray:
    """The documented transform, computed independently of the loader."""
    x, y, z = (normalised[..., i].astype(np.float64) for i in range(3))
    return np.stack([1280.0 - 2560.0 * x, 960.0 - 1920.0 * y, 10000.0 * z / 7.8125], axis=-1)


# --- SBU on fixtures -------------------------------------------------------------------------------


def test_round_trip_values_dtype_shape(small_sbu):
    data = load_sbu(small_sbu.folder)
    assert data.name == "sbu"
    assert len(data) == len(small_sbu.normalised) == 15 + 17  # the four sets written, one sequence in each other set
    for got, written in zip(data.sequences, small_sbu.normalised, strict=True):
        assert got.dtype == np.float32
        assert got.shape == (len(written), 30, 3)
        np.testing.assert_allclose(got, world(written), rtol=1e-6, atol=1e-3)
    assert data.sources == small_sbu.sources


def test_transform_at_known_points(tmp_path):
    frame = np.zeros((30, 3))
    frame[0] = (0.0, 0.0, 0.0)
    frame[1] = (1.0, 1.0, 7.8125)
    frame[2] = (0.5, 0.5, 3.90625)
    frame[29] = (0.25, 0.75, 1.0)
    path = tmp_path / "skeleton_pos.txt"
    write_sbu_file(path, frame[None])
    got = read_sequence(path)
    assert got.shape == (1, 30, 3) and got.dtype == np.float32
    np.testing.assert_array_equal(got[0, 0], [1280, 960, 0])
    np.testing.assert_array_equal(got[0, 1], [-1280, -960, 10000])
    np.testing.assert_array_equal(got[0, 2], [0, 0, 5000])
    np.testing.assert_array_equal(got[0, 29], [640, -480, 1280])  # person B's last joint is joint 29
    np.testing.assert_array_equal(to_world(frame[None])[0], got[0])


def test_person_a_first_then_person_b(tmp_path):
    frame = np.zeros((30, 3))
    frame[:15, 0] = 0.25  # A: X = 640
    frame[15:, 0] = 0.75  # B: X = -640
    path = tmp_path / "skeleton_pos.txt"
    write_sbu_file(path, frame[None])
    got = read_sequence(path)
    assert (got[0, :15, 0] == 640).all() and (got[0, 15:, 0] == -640).all()


def test_labels_are_class_folder_minus_one(small_sbu):
    data = load_sbu(small_sbu.folder)
    assert data.labels.dtype == np.int64
    assert data.labels.tolist() == list(small_sbu.labels)
    for label, source in zip(data.labels, data.sources, strict=True):
        assert label == int(source.split("/")[1]) - 1
    assert data.class_names == CLASSES and data.num_classes == 8
    assert sorted(set(data.labels.tolist())) == list(range(8))


def test_subsets_follow_folds_table(small_sbu):
    data = load_sbu(small_sbu.folder)
    assert data.subsets == tuple(FOLD_OF[s] for s in small_sbu.sets)
    by_set = dict(zip(small_sbu.sets, data.subsets))
    assert by_set["s01s02"] == "fold1" and by_set["s03s04"] == "fold1"
    assert by_set["s02s03"] == "fold2"
    assert by_set["s07s01"] == "fold3"
    # Every fold becomes a split, testing on itself and training on the others.
    names = [f"fold{k}" for k in range(1, 6)]
    assert [s.name for s in data.splits] == names
    for split in data.splits:
        assert split.test == (split.name,)
        assert set(split.train) == set(names) - {split.name}


def test_folds_table_is_a_partition_of_21_sets():
    sets = [s for fold in FOLDS for s in fold]
    assert len(FOLDS) == 5 and len(sets) == 21 == len(set(sets))
    assert all(re.fullmatch(r"s0[1-7]s0[1-7]", s) for s in sets)


@pytest.mark.parametrize("fold", [0, 1, 2])
def test_split_indices_disjoint_and_cover(small_sbu, fold):
    data = load_sbu(small_sbu.folder)
    train, test = data.split_indices(fold)
    assert len(test) > 0 and len(train) > 0
    assert set(train.tolist()).isdisjoint(test.tolist())
    assert sorted(train.tolist() + test.tolist()) == list(range(len(data)))
    name = data.splits[fold].name
    assert all(data.subsets[i] == name for i in test)
    assert all(data.subsets[i] != name for i in train)


def test_split_indices_rejects_bad_fold(small_sbu):
    data = load_sbu(small_sbu.folder)
    for fold in (-1, len(data.splits)):
        with pytest.raises(ValueError, match="fold must be in"):
            data.split_indices(fold)


def test_bones_and_adjacency(small_sbu):
    data = load_sbu(small_sbu.folder)
    assert data.num_joints == 30 and len(data.bones) == 28
    a = data.adjacency()
    np.testing.assert_array_equal(a, a.T)
    assert (np.diag(a) == 0).all()
    assert a[:15, 15:].sum() == 0  # the two people are not connected
    np.testing.assert_array_equal(a[:15, :15], a[15:, 15:])
    assert data.centre_joints == (2, 17)  # the two torsos
    assert data.joint_names[2].endswith("torso") and data.joint_names[17].endswith("torso")


def test_mirror_swaps_people_and_sides(small_sbu):
    data = load_sbu(small_sbu.folder)
    m = data.mirror
    assert sorted(m) == list(range(30))
    assert all(m[m[j]] == j for j in range(30))  # mirroring twice is the identity

    def mirrored(name: str) -> str:
        person, joint = name.split(" ", 1)
        joint = joint.replace("left", "#").replace("right", "left").replace("#", "right")
        return ("B" if person == "A" else "A") + " " + joint

    assert all(data.joint_names[m[j]] == mirrored(name) for j, name in enumerate(data.joint_names))
    assert {frozenset((m[a], m[b])) for a, b in data.bones} == {frozenset(b) for b in data.bones}


def test_missing_folder_points_to_readme(tmp_path):
    with pytest.raises(DatasetNotFoundError, match=r"data/README\.md") as info:
        load_sbu(tmp_path / "nowhere")
    assert "nowhere" in str(info.value)
    assert isinstance(info.value, FileNotFoundError)


def test_missing_everywhere_points_to_readme(tmp_path, monkeypatch):
    monkeypatch.setenv("GCNPRUNE_DATA", str(tmp_path / "absent"))
    monkeypatch.setattr("gcnprune.data.locate.REPO_ROOT", tmp_path / "repo")
    with pytest.raises(DatasetNotFoundError, match=r"data/README\.md") as info:
        load_sbu()
    assert str(tmp_path / "absent" / "sbu") in str(info.value)


def test_found_through_gcnprune_data(small_sbu, monkeypatch):
    monkeypatch.setenv("GCNPRUNE_DATA", str(small_sbu.folder.parent))
    data = load_sbu()
    assert len(data) == len(small_sbu.sources)


def test_empty_dataset_folder_raises(tmp_path):
    (tmp_path / "sbu").mkdir()
    with pytest.raises(DatasetNotFoundError, match=r"data/README\.md"):
        load_sbu(tmp_path / "sbu")


def _corrupt(path, line: int, text: str) -> None:
    lines = path.read_bytes().decode().split("\r\n")
    lines[line - 1] = text
    path.write_bytes("\r\n".join(lines).encode())


@pytest.mark.parametrize(
    "make_line, problem",
    [
        (lambda good: good.rsplit(",", 1)[0], "found 90"),  # one field short
        (lambda good: good + ",0.5", "found 92"),  # one field too many
        (lambda good: good.replace(",", ",abc,", 1).rsplit(",", 1)[0], "not a number"),
        (lambda good: good.rsplit(",", 1)[0] + ",nan", "non-finite"),
        (lambda good: "", None),  # blank lines are skipped, not an error
    ],
)
def test_malformed_line_names_file_and_line(sbu_writer, make_line, problem):
    fixture = sbu_writer({"s01s02": {1: 1}, "s02s03": {1: 1}})
    path = fixture.path(fixture.sources[0])
    rows = path.read_bytes().decode().split("\r\n")
    line = 2
    _corrupt(path, line, make_line(rows[line - 1]))
    if problem is None:
        data = load_sbu(fixture.folder)
        assert len(data.sequences[0]) == len(fixture.normalised[0]) - 1
        return
    with pytest.raises(ValueError) as info:
        load_sbu(fixture.folder)
    message = str(info.value)
    assert message.startswith(f"{path}:{line}:"), message
    assert problem in message


def test_malformed_line_number_counts_blank_lines(tmp_path):
    rng = np.random.default_rng(1)
    good = [format_sbu_line(t + 1, f) for t, f in enumerate(random_normalised(rng, 3))]
    path = tmp_path / "skeleton_pos.txt"
    path.write_text("\n".join([good[0], "", good[1], "1,2,3"]) + "\n")
    with pytest.raises(ValueError, match=re.escape(f"{path}:4:")):
        read_sequence(path)


@pytest.mark.parametrize("content", [b"", b"\r\n", b"   \n\n"])
def test_empty_skeleton_file_raises(sbu_writer, content):
    fixture = sbu_writer({"s01s02": {1: 1}})
    path = fixture.path(fixture.sources[0])
    path.write_bytes(content)
    with pytest.raises(ValueError, match=re.escape(str(path))):
        load_sbu(fixture.folder)


def test_unknown_set_folder_raises(sbu_writer):
    fixture = sbu_writer({"s01s02": {1: 1}, "s09s09": {1: 1}})
    with pytest.raises(DatasetNotFoundError, match="s09s09"):
        load_sbu(fixture.folder)


@pytest.mark.parametrize("bad", ["00", "09", "walk"])
def test_bad_class_folder_raises(sbu_writer, bad):
    fixture = sbu_writer({"s01s02": {1: 1}})
    write_sbu_file(fixture.folder / "s01s02" / bad / "001" / "skeleton_pos.txt", fixture.normalised[0])
    with pytest.raises(DatasetNotFoundError, match=f"s01s02/{bad}: class folders"):
        load_sbu(fixture.folder)


def test_sequence_folder_without_file_raises(sbu_writer):
    fixture = sbu_writer({"s01s02": {1: 1}})
    (fixture.folder / "s01s02" / "01" / "002").mkdir()
    with pytest.raises(DatasetNotFoundError, match="skeleton_pos.txt"):
        load_sbu(fixture.folder)


def test_loose_files_next_to_set_folders_are_ignored(small_sbu):
    (small_sbu.folder / "README.md").write_text("notes\n")
    assert len(load_sbu(small_sbu.folder)) == len(small_sbu.sources)


def test_load_dataset_rejects_unknown_name_and_sbu_options(small_sbu):
    with pytest.raises(ValueError, match="unknown dataset"):
        load_dataset("ntu")
    with pytest.raises(ValueError, match="takes no options"):
        load_dataset("sbu", small_sbu.folder, chunks=3)


def test_a_copy_without_every_set_is_refused_naming_the_missing_ones(sbu_writer):
    """Without fold 1's sets the other folds would be renumbered ("fold 1" training on fold 2): refused."""
    fold1 = set(FOLDS[0])
    fixture = sbu_writer({s: {1: 1} for sets in FOLDS for s in sets if s not in fold1}, complete=False)
    with pytest.raises(DataError) as info:
        load_sbu(fixture.folder)
    message = str(info.value)
    assert str(fixture.folder) in message and "4 of the protocol's 21 sets" in message
    assert all(f"{s} (fold 1)" in message for s in fold1)


def test_one_missing_set_is_refused_too(sbu_writer):
    fixture = sbu_writer({"s01s02": {1: 1}})
    shutil.rmtree(fixture.folder / "s06s03")
    with pytest.raises(DataError, match=r"lacks 1 of the protocol's 21 sets: s06s03 \(fold 5\)"):
        load_sbu(fixture.folder)


def test_a_file_that_is_not_utf8_names_the_file_and_line(sbu_writer):
    fixture = sbu_writer({"s01s02": {1: 1}})
    path = fixture.path(fixture.sources[0])
    lines = path.read_bytes().split(b"\r\n")
    lines[1] = b"\xff\xfe" + lines[1]
    path.write_bytes(b"\r\n".join(lines))
    with pytest.raises(DataError, match=re.escape(f"{path}:2: not UTF-8 text (byte 0xff")):
        load_sbu(fixture.folder)


# --- real SBU -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_sbu(sbu_root):
    return load_sbu(sbu_root)


@pytest.mark.sbu
def test_real_sbu_counts(real_sbu):
    data = real_sbu
    assert len(data) == 282
    assert data.num_classes == 8 and sorted(set(data.labels.tolist())) == list(range(8))
    assert data.num_joints == 30
    assert all(s.shape[1:] == (30, 3) and s.dtype == np.float32 for s in data.sequences)
    frames = data.frame_counts()
    assert frames.min() >= 10 and frames.max() <= 46
    assert frames.min() == 10 and frames.max() == 46
    assert frames.sum() == 6822
    assert all(np.isfinite(s).all() for s in data.sequences)
    assert all((s[..., 2] > 0).all() for s in data.sequences)  # depth in front of the camera


@pytest.mark.sbu
def test_real_sbu_folds_partition(real_sbu):
    data = real_sbu
    assert [s.name for s in data.splits] == [f"fold{k}" for k in range(1, 6)]
    tests = [data.split_indices(k)[1] for k in range(5)]
    everything = np.concatenate(tests)
    assert len(everything) == len(set(everything.tolist())) == len(data)
    for k in range(5):
        train, test = data.split_indices(k)
        assert len(test) > 0
        assert sorted(np.concatenate([train, test]).tolist()) == list(range(len(data)))
    sets = {source.split("/")[0] for source in data.sources}
    assert sets == set(FOLD_OF)
    for source, subset in zip(data.sources, data.subsets, strict=True):
        assert FOLD_OF[source.split("/")[0]] == subset


# --- synthetic ------------------------------------------------------------------------------------

SMALL = SyntheticConfig(num_subjects=5, per_class_per_subject=1, num_folds=5, min_frames=5, max_frames=12)


def test_synthetic_is_deterministic():
    a, b = make_synthetic(SMALL), make_synthetic(dataclasses.replace(SMALL))
    assert len(a) == len(b) == 5 * 10
    for x, y in zip(a.sequences, b.sequences, strict=True):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert a.subsets == b.subsets and a.sources == b.sources


def test_synthetic_seed_changes_data():
    a, b = make_synthetic(SMALL), make_synthetic(dataclasses.replace(SMALL, seed=1))
    np.testing.assert_array_equal(a.labels, b.labels)  # same design ...
    assert any(x.shape != y.shape or not np.array_equal(x, y) for x, y in zip(a.sequences, b.sequences))


def test_synthetic_shapes_and_frame_range():
    data = make_synthetic(SMALL)
    assert data.num_joints == 15 and data.num_classes == 10
    assert all(s.dtype == np.float32 and s.shape[1:] == (15, 3) for s in data.sequences)
    frames = data.frame_counts()
    assert frames.min() >= SMALL.min_frames and frames.max() <= SMALL.max_frames
    assert all(np.isfinite(s).all() for s in data.sequences)


@pytest.mark.parametrize(
    "config", [SMALL, SyntheticConfig(num_subjects=7, per_class_per_subject=2, num_folds=3, max_frames=25)]
)
def test_synthetic_every_class_in_every_fold_and_partition(config):
    data = make_synthetic(config)
    assert len(data.splits) == config.num_folds
    seen = []
    for fold in range(config.num_folds):
        train, test = data.split_indices(fold)
        assert set(data.labels[test].tolist()) == set(range(data.num_classes))
        assert set(data.labels[train].tolist()) == set(range(data.num_classes))
        assert set(train.tolist()).isdisjoint(test.tolist())
        assert sorted(train.tolist() + test.tolist()) == list(range(len(data)))
        seen.extend(test.tolist())
    assert sorted(seen) == list(range(len(data)))


@pytest.mark.parametrize(
    "bad",
    [
        dict(num_folds=1),
        dict(num_subjects=3, num_folds=5),
        dict(min_frames=1),
        dict(min_frames=30, max_frames=20),
    ],
)
def test_synthetic_bad_config_raises(bad):
    with pytest.raises(ValueError):
        make_synthetic(dataclasses.replace(SMALL, **bad))


def test_load_dataset_synthetic_options_and_cache():
    a = load_dataset("synthetic", num_subjects=5, per_class_per_subject=1, min_frames=5, max_frames=12)
    assert load_dataset("synthetic", max_frames=12, min_frames=5, per_class_per_subject=1, num_subjects=5) is a
    for x, y in zip(a.sequences, make_synthetic(SMALL).sequences, strict=True):
        np.testing.assert_array_equal(x, y)
    with pytest.raises(TypeError):
        load_dataset("synthetic", bogus=1)


def _synthetic():
    return make_synthetic(SyntheticConfig(num_subjects=5, per_class_per_subject=1))


def test_a_test_sequence_copied_into_training_is_refused():
    data = _synthetic()
    train, test = data.split_indices(0)
    sequences = list(data.sequences)
    sequences[train[0]] = sequences[test[0]].copy()
    first, second = sorted((train[0], test[0]))
    where = f"{data.source(first)} and {data.source(second)} are the same sequence on both sides"
    with pytest.raises(DataError, match=re.escape(where)):
        dataclasses.replace(data, sequences=tuple(sequences))
    same_side = list(data.sequences)
    same_side[train[1]] = same_side[train[0]].copy()  # a copy on one side is the dataset's own business
    assert len(dataclasses.replace(data, sequences=tuple(same_side))) == len(data)


def test_non_finite_coordinates_and_unnormalisable_sequences_name_their_sequence():
    from gcnprune.graphs import FeatureConfig, trajectories

    data = _synthetic()
    broken = list(data.sequences)
    broken[3] = broken[3].copy()
    broken[3][0, 0, 0] = np.float32("inf")
    with pytest.raises(DataError, match=re.escape(f"{data.source(3)}: holds coordinates that are not finite")):
        dataclasses.replace(data, sequences=tuple(broken))
    still = list(data.sequences)
    still[5] = np.zeros_like(still[5])
    with pytest.raises(DataError, match=re.escape(f"{data.source(5)}: cannot normalise a sequence whose joints")):
        trajectories(dataclasses.replace(data, sequences=tuple(still)), FeatureConfig(chunks=4))
