"""The FPHA loader against a tiny dataset written in the release's exact format."""

from __future__ import annotations

import re
from collections import deque

import numpy as np
import pytest
from fpha_fixture import ANNOTATIONS, SPLIT_FILE, UNLISTED_EMPTY, write_fpha, write_skeleton, write_split

from gcnprune.data.fpha import load_fpha, read_split
from gcnprune.data.locate import DatasetNotFoundError


@pytest.fixture
def fpha(tmp_path):
    return write_fpha(tmp_path)


def test_round_trip(fpha):
    data = load_fpha(fpha.folder)
    assert data.name == "fpha"
    assert len(data) == len(fpha.sequences) == 12
    for got, want in zip(data.sequences, fpha.arrays, strict=True):
        assert got.dtype == np.float32
        assert got.shape == want.shape
        np.testing.assert_array_equal(got, want)
    assert data.labels.tolist() == list(fpha.labels)
    assert data.subsets == fpha.subsets
    assert data.class_names == ("charge_cell_phone", "pour_milk", "open_juice_bottle") == fpha.class_names
    assert data.sources == tuple(f"{ANNOTATIONS}/{s}/skeleton.txt" for s in fpha.sequences)
    assert data.protocol == "official 600/575 split"
    assert [s.name for s in data.splits] == ["official"]
    train, test = data.split_indices(0)
    assert train.tolist() == list(range(6)) and test.tolist() == list(range(6, 12))
    assert all(fpha.sequences[i].endswith("/1") for i in train)
    assert all(fpha.sequences[i].endswith("/2") for i in test)


def test_hand_topology(fpha):
    data = load_fpha(fpha.folder)
    assert data.num_joints == 21 and data.centre_joints == (0,)
    names = data.joint_names
    assert names[0] == "wrist" and names[1] == "thumb MCP" and names[5] == "pinky MCP"
    assert names[6:9] == ("thumb PIP", "thumb DIP", "thumb TIP") and names[20] == "pinky TIP"
    assert len(set(names)) == 21
    bones = data.bones
    assert len(bones) == 20 and len({frozenset(b) for b in bones}) == 20
    assert all(a != b and 0 <= a < 21 and 0 <= b < 21 for a, b in bones)
    for f in range(5):
        chain = [0, 1 + f, 6 + 3 * f, 7 + 3 * f, 8 + 3 * f]
        for a, b in zip(chain, chain[1:]):
            assert (a, b) in bones
    # 20 edges reaching all 21 joints from the wrist: a spanning tree.
    adjacency = data.adjacency()
    reached, queue = {0}, deque([0])
    while queue:
        for j in np.flatnonzero(adjacency[queue.popleft()]):
            if int(j) not in reached:
                reached.add(int(j))
                queue.append(int(j))
    assert reached == set(range(21))


def test_unlisted_empty_sequence_is_not_loaded(fpha):
    assert fpha.skeleton(UNLISTED_EMPTY).read_text() == ""
    data = load_fpha(fpha.folder)
    assert not any(UNLISTED_EMPTY in s for s in data.sources)
    assert len(data) == 12


def test_listed_empty_sequence_raises(fpha):
    lines = fpha.split_file.read_text().splitlines()
    test_header = lines.index("Test 6")
    lines[test_header] = "Test 7"
    lines.insert(test_header + 1, f"{UNLISTED_EMPTY} 1")
    fpha.split_file.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=r"skeleton\.txt:1: the file holds no frames") as error:
        load_fpha(fpha.folder)
    assert str(fpha.skeleton(UNLISTED_EMPTY)) in str(error.value)


def test_found_through_gcnprune_data(fpha, monkeypatch):
    monkeypatch.setenv("GCNPRUNE_DATA", str(fpha.folder.parent))
    assert load_fpha().sources == load_fpha(fpha.folder).sources


def test_missing_folder_points_to_readme(tmp_path):
    with pytest.raises(DatasetNotFoundError) as error:
        load_fpha(tmp_path / "nowhere")
    message = str(error.value)
    assert "data/README.md" in message and str(tmp_path / "nowhere") in message
    assert ANNOTATIONS in message and SPLIT_FILE in message


def test_missing_split_file(fpha):
    fpha.split_file.unlink()
    with pytest.raises(DatasetNotFoundError, match=re.escape(str(fpha.split_file))):
        load_fpha(fpha.folder)


def test_missing_annotation_folder(tmp_path):
    (tmp_path / SPLIT_FILE).write_text("Training 1\nSubject_1/a/1 0\nTest 1\nSubject_1/a/2 0\n")
    with pytest.raises(DatasetNotFoundError, match=re.escape(str(tmp_path / ANNOTATIONS))):
        load_fpha(tmp_path)


def test_missing_listed_sequence(fpha):
    path = fpha.skeleton(fpha.sequences[7])
    path.unlink()
    with pytest.raises(DatasetNotFoundError, match=re.escape(str(path))):
        load_fpha(fpha.folder)


@pytest.mark.parametrize(
    "corrupt, problem",
    [
        (lambda fields: fields[:-1], "expected 64 space-separated numbers, found 63"),
        (lambda fields: fields + ["1.0"], "expected 64 space-separated numbers, found 65"),
        (lambda fields: fields[:10] + ["abc"] + fields[11:], "not a number"),
        (lambda fields: fields[:10] + ["nan"] + fields[11:], "non-finite"),
        (lambda fields: fields[:10] + ["-inf"] + fields[11:], "non-finite"),
    ],
)
def test_malformed_line_names_file_and_line(fpha, corrupt, problem):
    path = fpha.skeleton(fpha.sequences[3])
    lines = path.read_text().splitlines()
    lines[2] = " ".join(corrupt(lines[2].split()))
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError) as error:
        load_fpha(fpha.folder)
    assert str(error.value).startswith(f"{path}:3: ")
    assert problem in str(error.value)


@pytest.mark.parametrize("announced, line", [(5, 7), (7, 8)])
def test_header_count_mismatch(fpha, announced, line):
    # 6 training lines (2..7) follow "Training <n>" on line 1, then "Test 6" on line 8: too small a count
    # stops at the first surplus entry, too large a one at the Test header.
    sections = {"Training": [], "Test": []}
    for subset, sequence, label in zip(fpha.subsets, fpha.sequences, fpha.labels):
        sections["Training" if subset == "train" else "Test"].append((sequence, label))
    write_split(fpha.split_file, sections, counts={"Training": announced})
    with pytest.raises(ValueError) as error:
        load_fpha(fpha.folder)
    assert str(error.value).startswith(f"{fpha.split_file}:{line}: ")
    assert f"announced {announced}" in str(error.value)


def test_test_section_shorter_than_announced(fpha):
    text = fpha.split_file.read_text().replace("Test 6", "Test 9")
    fpha.split_file.write_text(text)
    with pytest.raises(ValueError, match=r":15: end of file: the Test header on line 8 announced 9 sequences but 6"):
        load_fpha(fpha.folder)


def test_read_split_parses_counts_and_class_names(tmp_path):
    path = tmp_path / SPLIT_FILE
    path.write_text(
        "Training 3\nSubject_1/b/1 3\nSubject_1/a/1 0\nSubject_2/b/1 3\n\nTest 2\nSubject_3/a/1 0\nSubject_3/c/2 1\n"
    )
    entries, names = read_split(path)
    assert entries == [
        ("train", "Subject_1/b/1", 3), ("train", "Subject_1/a/1", 0), ("train", "Subject_2/b/1", 3),
        ("test", "Subject_3/a/1", 0), ("test", "Subject_3/c/2", 1),
    ]  # fmt: skip
    assert names == ("a", "c", "class_2", "b")


@pytest.mark.parametrize(
    "text, line, problem",
    [
        ("Training 2\nS/a/1 0\nS/b/1 0\nTest 1\nS/a/2 0\n", 3, "label 0 names b here but a earlier"),
        ("Training 2\nS/a/1 0\nS/a/3 1\nTest 1\nS/a/2 0\n", 3, "a has label 1 here but 0 earlier"),
        ("Training 1\nS/a/1 0\nTest 1\nS/a/1 0\n", 4, "listed twice"),
        ("Training 1\nS/a/1 x\nTest 1\nS/a/2 0\n", 2, "not a non-negative integer"),
        ("Training 1\nS/a/1 -1\nTest 1\nS/a/2 0\n", 2, "not a non-negative integer"),
        ("Training 1\nS/a 0\nTest 1\nS/a/2 0\n", 2, "expected '<subject>/<action>/<sequence> <label>'"),
        ("Training 1\nS/a/1 0\n", 3, "no Test section"),
        ("Train 1\nS/a/1 0\nTest 1\nS/a/2 0\n", 1, "header"),
        ("Training 0\nTest 1\nS/a/2 0\n", 1, "at least one sequence"),
        ("Training 1\nS/a/1 0\nTraining 1\nS/a/2 0\n", 3, "a second Training section"),
    ],
)
def test_read_split_rejects_malformed(tmp_path, text, line, problem):
    path = tmp_path / SPLIT_FILE
    path.write_text(text)
    with pytest.raises(ValueError) as error:
        read_split(path)
    assert str(error.value).startswith(f"{path}:{line}: ")
    assert problem in str(error.value)


def test_crlf_and_trailing_spaces_are_accepted(tmp_path):
    folder = tmp_path / "fpha"
    joints = np.arange(2 * 21 * 3, dtype=np.float64).reshape(2, 21, 3) / 4
    for k, sequence in enumerate(("Subject_1/a/1", "Subject_1/a/2")):  # distinct: a copy across the split is a leak
        write_skeleton(folder / ANNOTATIONS / sequence / "skeleton.txt", joints + k)
        path = folder / ANNOTATIONS / sequence / "skeleton.txt"
        path.write_bytes(path.read_text().replace("\n", " \r\n").encode())
    (folder / SPLIT_FILE).write_bytes(b"Training 1\r\nSubject_1/a/1 0\r\nTest 1\r\nSubject_1/a/2 0\r\n")
    data = load_fpha(folder)
    assert data.subsets == ("train", "test") and data.class_names == ("a",)
    np.testing.assert_array_equal(data.sequences[1], (joints + 1).astype(np.float32))
