"""The command lines refuse bad input up front: one ``error: …`` line, a non-zero exit, no traceback,
and nothing trained or written before the refusal (``gcnprune grid`` and ``python -m gcnprune.book``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from conftest import dead_pid

from gcnprune import cli
from gcnprune.book import build as book
from gcnprune.errors import UserError
from gcnprune.experiments import runner
from gcnprune.experiments.pids import Busy, pid_lock

Main = Callable[[Sequence[str]], int]


@pytest.fixture
def no_training(monkeypatch) -> None:
    """Any run that starts training fails the test: refusals must come first."""

    def refuse(*args, **kwargs):
        raise AssertionError("a run was trained before the refusal")

    monkeypatch.setattr(runner, "_train", refuse)


def refused(capsys, main: Main, argv: Sequence[str]) -> str:
    """Run a command line that must refuse; return its one error line."""
    code = main(list(argv))
    captured = capsys.readouterr()
    assert code != 0
    assert "Traceback" not in captured.err + captured.out
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    return lines[0]


# --- gcnprune grid --------------------------------------------------------------------------------


@pytest.mark.parametrize("args, problem", [
    (["--rates", "-0.1"], "pruning rates (fractions of the prunable weights removed) must lie in [0, 1), got -0.1"),
    (["--rates", "nan"], "must lie in [0, 1), got nan"),
    (["--rates", "0.5,1"], "must lie in [0, 1), got 1.0"),
    (["--rates", ""], "--rates is empty"),
    (["--rates", "0.5;0.9"], "--rates takes comma-separated numbers, got '0.5;0.9'"),
    (["--methods", "magnitude", "--rates", "0"], "magnitude run(s) only at nonzero rates"),
    (["--methods", ""], "--methods is empty"),
    (["--methods", "multi_rate_train"], "multi_rate_train is not a grid method"),
    (["--methods", "lottery"], "unknown pruning method 'lottery'"),
    (["--folds", "3-1"], "--folds range 3-1 selects no fold; write it low-high, e.g. 1-3"),
    (["--folds", "0"], "--folds counts folds from 1, got 0"),
    (["--folds", "6"], "--folds 6: synthetic has 5 fold(s), numbered 1..5; there is no fold 6"),
    (["--folds", "one"], "--folds takes fold numbers and ranges"),
    (["--protocol", "papers", "--folds", "1"], "--protocol papers is one split (the papers' synthetic split); drop"),
    (["--seeds", "a"], "--seeds takes comma-separated integers"),
    (["--seeds", "99999999999999999999"], "--seeds takes seeds from 0 to 2147483647, got 99999999999999999999"),
    (["--seeds", "0,0"], "--seeds names 0 more than once; give each value once"),
    (["--folds", "1,1"], "--folds names 1 more than once"),
    (["--folds", "1-100000000000"], "--folds 1-100000000000: no protocol has 100000000000 folds"),
    (["--results", ""], "the results path is empty; give a folder for the run cache"),
    (["--set", "nosuch.k=1"], "hyperparameters are set for 'nosuch', which is not a pruning method"),
    (["--set", "probabilistic.alignment_weight=0"],
     "hyperparameters are set for probabilistic, which the grid does not run"),
    (["--methods", "dense,probabilistic", "--set", "probabilistic.alignment_weight=abc"],
     "bad hyperparameters for probabilistic: alignment_weight must be a number, got 'abc' (str)"),
    (["--methods", "dense,probabilistic", "--set", "probabilistic.kl_samples=1.5"],
     "kl_samples must be an integer, got 1.5 (float)"),
    (["--set", "magnitude.scope=row"], "scope must be one of 'global', 'layer', got 'row'"),
    (["--set", "magnitude.sparsity=0.5"],
     "bad hyperparameters for magnitude: it has no hyperparameter 'sparsity'; valid: scope"),
    (["--set", "scope=layer"], "--set expects METHOD.KEY=VALUE"),
    (["--jobs", "0"], "--jobs must be at least 1"),
    (["--jobs", "-1"], "--jobs must be at least 1"),
    (["--dataset", "ntu"], "unknown dataset 'ntu'; choose one of synthetic, sbu, fpha"),
])  # fmt: skip
def test_grid_refuses_bad_options_before_training(capsys, tmp_path, no_training, args, problem):
    results = tmp_path / "results"
    line = refused(capsys, cli.main, ["grid", "--profile", "smoke", "--results", str(results), *args])
    assert problem in line
    assert not results.exists()


def test_grid_refuses_a_results_path_that_is_a_file(capsys, tmp_path, no_training):
    results = tmp_path / "results"
    results.write_text("not a folder\n")
    line = refused(capsys, cli.main, ["grid", "--profile", "smoke", "--folds", "1", "--results", str(results)])
    assert f"the results path {results} is not a folder" in line
    assert results.read_text() == "not a folder\n"
    line = refused(capsys, cli.main, ["grid", "--profile", "smoke", "--folds", "1", "--results", str(results / "sub")])
    assert f"cannot create the results folder {results / 'sub'}: {results} is a file" in line


def test_grid_refuses_an_unwritable_results_folder_before_training(capsys, tmp_path, no_training, monkeypatch):
    results = tmp_path / "results"
    results.mkdir()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != results and real_access(path, mode))
    line = refused(capsys, cli.main, ["grid", "--profile", "smoke", "--folds", "1", "--results", str(results)])
    assert f"the results folder {results} is not writable" in line
    assert list(results.iterdir()) == []


def test_grid_refuses_incomplete_and_undecodable_sbu_data(capsys, tmp_path, no_training, sbu_writer):
    fixture = sbu_writer({"s01s02": {1: 1}})
    argv = ["grid", "--dataset", "sbu", "--data", str(fixture.folder), "--profile", "smoke", "--folds", "1",
            "--results", str(tmp_path / "results")]  # fmt: skip
    path = fixture.path(fixture.sources[0])
    path.write_bytes(b"\xff" + path.read_bytes())
    assert f"error: {path}:1: not UTF-8 text (byte 0xff at offset 0)" in refused(capsys, cli.main, argv)
    path.parent.parent.parent.rename(tmp_path / "away")  # the whole of set s01s02
    assert "lacks 1 of the protocol's 21 sets: s01s02 (fold 1)" in refused(capsys, cli.main, argv)
    assert not (tmp_path / "results").exists()


def test_help_offers_only_grid_methods(capsys):
    with pytest.raises(SystemExit):
        cli.main(["grid", "--help"])
    out = capsys.readouterr().out
    assert "multi_rate," in out.replace("\n", " ").replace("  ", " ") and "multi_rate_train" not in out


def test_debug_shows_the_traceback_and_bugs_are_not_hidden(tmp_path, monkeypatch):
    argv = ["grid", "--profile", "smoke", "--rates", "-0.1", "--results", str(tmp_path)]
    with pytest.raises(UserError, match="must lie in"):
        cli.main([*argv, "--debug"])

    def bug(*args, **kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr(cli, "run_configs", bug)
    with pytest.raises(KeyError, match="a bug"):
        cli.main(["grid", "--profile", "smoke", "--folds", "1", "--results", str(tmp_path)])


# --- python -m gcnprune.book ------------------------------------------------------------------------


@pytest.mark.parametrize("args, problem", [
    (["--dataset", "ntu"], "--dataset 'ntu': unknown dataset; choose one of synthetic, sbu, fpha"),
    (["--jobs", "0"], "--jobs must be at least 1"),
    (["--jobs", "-1"], "--jobs must be at least 1"),
])  # fmt: skip
def test_book_runner_refuses_bad_options_up_front(capsys, tmp_path, no_training, args, problem):
    book_dir, results = tmp_path / "book", tmp_path / "results"
    line = refused(capsys, book.main, ["--book", str(book_dir), "--results", str(results), "--profile", "smoke", *args])
    assert problem in line
    assert not book_dir.exists() and not results.exists()


@pytest.mark.parametrize("args, problem", [
    (["--only", "magnitude-pruning", "--param", "seeds=\"0\""],
     "notebook magnitude-pruning: parameter seeds = '0' is not a list of integers; e.g. seeds=[0, 1]"),
    (["--only", "magnitude-pruning", "--param", "rates=0.5"],
     "notebook magnitude-pruning: parameter rates = 0.5 is not a list of numbers, or None; e.g. rates=[0.9, 0.99]"),
    (["--only", "results", "--param", "jobs=two"],
     "notebook results: parameter jobs = 'two' is not an integer; e.g. jobs=2"),
    (["--only", "results", "--param", "results=5"],
     "notebook results: parameter results = 5 is not a string, or None; e.g. results=\"text\""),
])  # fmt: skip
def test_book_runner_refuses_a_parameter_of_the_wrong_type(capsys, tmp_path, no_training, repo_root, args, problem):
    """Checked against the type each notebook's parameters cell annotates, before any notebook runs."""
    book_dir, results = tmp_path / "book", tmp_path / "results"
    shutil.copytree(repo_root / "book", book_dir, ignore=shutil.ignore_patterns("_build"))
    line = refused(capsys, book.main, ["--book", str(book_dir), "--results", str(results), "--profile", "smoke", *args])
    assert line == f"error: {problem}"
    assert not (book_dir / "_build").exists() and not results.exists()


def test_book_runner_refuses_a_results_path_that_is_a_file(capsys, tmp_path, no_training):
    results = tmp_path / "results"
    results.write_text("")
    line = refused(capsys, book.main, ["--book", str(tmp_path / "book"), "--results", str(results)])
    assert f"the results path {results} is not a folder" in line
    assert not (tmp_path / "book").exists()


# --- one book runner per book folder ----------------------------------------------------------------


def test_the_book_lock_refuses_a_second_runner_while_the_first_lives(tmp_path):
    lock = tmp_path / "_build" / book.LOCK_FILE
    first = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        lock.parent.mkdir()
        lock.write_text(f"{first.pid}\n")  # the first runner holds the book folder
        with pytest.raises(Busy, match=f"another process \\(pid {first.pid}\\) is using the book folder"):
            with pid_lock(lock, "the book folder"):
                pass
        assert lock.read_text() == f"{first.pid}\n"  # its lock is left alone
    finally:
        first.kill()
        first.wait()
    with pid_lock(lock, "the book folder"):  # once it is gone, the lock is taken over
        assert lock.read_text() == f"{os.getpid()}\n"
    assert not lock.exists() and list(lock.parent.iterdir()) == []


def test_a_busy_book_folder_is_one_error_line(capsys, tmp_path, monkeypatch):
    def busy(*args, **kwargs):
        raise Busy("another process (pid 1) is using the book folder book/")

    monkeypatch.setattr(book.cli, "make_book", busy)
    assert "is using the book folder" in refused(capsys, book.main, ["--book", str(tmp_path)])


def test_staging_of_a_live_runner_stays_and_a_dead_one_is_cleared(tmp_path):
    live = tmp_path / f"{book.STAGING_PREFIX}{os.getpid()}"
    dead = tmp_path / f"{book.STAGING_PREFIX}{dead_pid()}"
    for folder in (live, dead):
        (folder / "book").mkdir(parents=True)
    assert book.clear_stale_staging(tmp_path) == [dead]
    assert live.is_dir() and not dead.exists()


def test_protocol_papers_trains_and_tests_on_the_papers_split(monkeypatch, tmp_path):
    """SBU's papers' split is fold 5 (trained on folds 1-4, tested on fold 5's 65 sequences): the grid asks for
    that fold alone; the synthetic set's is its first split."""
    asked = []
    monkeypatch.setattr(cli, "run_configs", lambda configs, *a, **k: asked.extend(configs) or _stop())
    for dataset, fold in (("sbu", 4), ("synthetic", 0)):
        asked.clear()
        with pytest.raises(_Stop):
            cli.main(["grid", "--dataset", dataset, "--profile", "smoke", "--protocol", "papers", "--methods", "dense",
                      "--rates", "0", "--results", str(tmp_path)])  # fmt: skip
        assert {c.fold for c in asked} == {fold} and {c.dataset for c in asked} == {dataset}


class _Stop(Exception):
    pass


def _stop():
    raise _Stop
