"""What a user types or a disk does, checked before any work: one representative of each class of fault that
is not covered in its own module (damaged caches: test_cache_damage.py; CLI values: test_cli_errors.py;
lineages: test_core_experiments.py; workers: test_local_executor.py; model files: test_export.py). Output paths
are checked before the work whose result they hold, files are written whole or not at all, notebook parameters
are checked by type (by the runner and, for papermill, by the notebook itself), and ``--data`` is refused where
nothing reads it."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from gcnprune import cli
from gcnprune.book.build.parameters import annotations_of, read_notebook
from gcnprune.book.chapters import check_parameters
from gcnprune.book.chapters.parameters import ParameterTypeError, parameter_type, type_problem
from gcnprune.errors import UserError
from gcnprune.outputs import check_output, write_atomically

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    return err.rstrip("\n")


def test_bench_refuses_a_json_path_in_a_missing_folder_before_measuring(tmp_path, capsys, monkeypatch):
    measured = []
    monkeypatch.setattr(cli, "bench_runs", lambda *a, **k: measured.append(a))
    out = tmp_path / "no-such-folder" / "bench.json"
    assert cli.main(["bench", "0123456789abcdef", "--results", str(tmp_path), "--json", str(out)]) == 1
    assert error_line(capsys) == (f"error: cannot write {out}: the folder {out.parent} does not exist; "
                                  "create it or give another --json")  # fmt: skip
    assert measured == []


def test_export_refuses_an_output_that_is_a_folder(tmp_path, capsys):
    assert cli.main(["export", "0123456789abcdef", "--results", str(tmp_path), "--out", str(tmp_path)]) == 1
    assert error_line(capsys) == f"error: cannot write {tmp_path}: it is a folder; give a file name (--out FILE)"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through read-only permissions")
def test_an_unwritable_folder_is_refused(tmp_path):
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(UserError, match="its folder is not writable; give another --out"):
            check_output(tmp_path / "model.safetensors", "--out")
    finally:
        tmp_path.chmod(0o700)


def test_a_full_disk_leaves_the_old_file_whole_and_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "model.safetensors"
    path.write_bytes(b"the previous model")

    def full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(UserError, match=f"cannot write {path}: No space left on device; free some space"):
        write_atomically(path, b"x" * 1000)
    assert path.read_bytes() == b"the previous model" and [p.name for p in tmp_path.iterdir()] == [path.name]


def test_a_file_is_written_whole(tmp_path):
    path = tmp_path / "b.json"
    write_atomically(path, b"{}\n")
    assert path.read_bytes() == b"{}\n" and [p.name for p in tmp_path.iterdir()] == ["b.json"]


def test_every_notebook_parameter_is_annotated_with_a_checkable_type():
    for source in sorted(NOTEBOOKS.glob("*.md")):
        notebook = read_notebook(source)
        assert set(notebook.annotations) == set(notebook.parameters), source.name
        for name, annotation in notebook.annotations.items():
            assert type_problem(name, notebook.parameters[name], parameter_type(annotation)) is None, (source, name)


@pytest.mark.parametrize("value, accepted", [
    ([0.9, 0.99], True), ([1, 0.5], True), (None, True), (0.5, False), ("[0.9]", False), ([True], False),
])  # fmt: skip
def test_a_list_of_numbers_or_none(value, accepted):
    assert (type_problem("rates", value, parameter_type("list[float] | None")) is None) == accepted


def test_a_notebook_checks_what_papermill_injected():
    """The parameters cell runs, then papermill's cell (``-p seeds '[0,1]'`` passes text), then the check."""
    source = "dataset: str = 'synthetic'\nseeds: list[int] = [0]\njobs: int = 2\n"
    assert annotations_of(source) == {"dataset": "str", "seeds": "list[int]", "jobs": "int"}
    namespace: dict[str, object] = {}
    exec(compile(source, "<parameters>", "exec"), namespace)  # noqa: S102 - the test's own cell
    check_parameters(namespace)
    exec("seeds = '[0,1]'", namespace)  # noqa: S102 - what papermill injects
    with pytest.raises(ParameterTypeError) as error:
        check_parameters(namespace)
    assert str(error.value) == (
        "this notebook's parameter seeds = '[0,1]' is not a list of integers; e.g. seeds=[0, 1] "
        "(with papermill, -y passes YAML: -y 'seeds: [0, 1]'; -p passes text)"
    )


def test_data_is_refused_for_the_synthetic_set(tmp_path, capsys):
    assert cli.main(["grid", "--data", str(tmp_path), "--results", str(tmp_path / "r")]) == 1
    assert error_line(capsys).startswith(f"error: --data {tmp_path}: the synthetic dataset is generated from a seed")
    assert not (tmp_path / "r").exists()


def test_the_runner_finds_the_data_where_make_book_does(tmp_path, monkeypatch):
    """Run directly, ``python -m gcnprune.book`` looks in ../shared/data as ``make book`` does (so a chapter rerun
    with --only agrees with the other pages), and leaves the environment as it found it."""
    from gcnprune.book.build import cli as runner

    shared = tmp_path / "shared" / "data"
    shared.mkdir(parents=True)
    monkeypatch.setattr(runner, "SHARED_DATA", shared)
    monkeypatch.delenv("GCNPRUNE_DATA", raising=False)
    with runner.shared_data():
        assert os.environ["GCNPRUNE_DATA"] == str(shared)
    assert "GCNPRUNE_DATA" not in os.environ
    monkeypatch.setenv("GCNPRUNE_DATA", str(tmp_path / "mine"))
    with runner.shared_data():  # a folder the user set wins
        assert os.environ["GCNPRUNE_DATA"] == str(tmp_path / "mine")
