"""A damaged run folder is named by the error (with its repair), listed by ``gcnprune clean`` and removed
by ``clean --delete``, so the next run recomputes it; temporary folders of live grids are left alone."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from conftest import dead_pid
from smoke_runs import smoke

from gcnprune import cli
from gcnprune.errors import CacheError
from gcnprune.experiments import audit_cache, load_run, prepare, run, stale_runs
from gcnprune.experiments import runner as runner

DENSE = smoke("dense", 0.0)
GRID = ["grid", "--profile", "smoke", "--methods", "dense,magnitude", "--rates", "0.5", "--folds", "1"]


@pytest.fixture(scope="module")
def trained(shared) -> Path:
    """A results folder holding one finished dense run (trained once per module)."""
    run(DENSE, shared)
    return shared


@pytest.fixture
def results(trained, tmp_path) -> Path:
    """A fresh copy of the trained results folder, for one test to damage."""
    return Path(shutil.copytree(trained, tmp_path / "results"))


def prepare_only(config, results, data_root, progress):
    """In place of ``runner._train``: read what the run starts from (its parent's metrics and
    weights), and fail if that succeeds, since the run would then train on top of a damaged folder."""
    prepare(config, results, data_root, progress)
    pytest.fail("trained on top of a damaged run folder")


def _empty_metrics(folder: Path) -> None:
    (folder / "metrics.json").write_text("")


def _invalid_metrics(folder: Path) -> None:
    (folder / "metrics.json").write_text('{"accuracy": 0.5,')


def _missing_metrics(folder: Path) -> None:
    (folder / "metrics.json").unlink()


def _list_metrics(folder: Path) -> None:
    (folder / "metrics.json").write_text("[1, 2]")


def _set_metric(key: str, value: object) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        metrics = json.loads((folder / "metrics.json").read_text())
        (folder / "metrics.json").write_text(json.dumps({**metrics, key: value}))

    return damage


def _empty_object_metrics(folder: Path) -> None:
    (folder / "metrics.json").write_text("{}")


def _garbage_weights(folder: Path) -> None:
    (folder / "model.pt").write_bytes(bytes(range(250, 256)) * 10)


DAMAGE: dict[str, tuple[Callable[[Path], None], str]] = {
    "empty metrics": (_empty_metrics, "metrics.json is not valid JSON"),
    "invalid metrics": (_invalid_metrics, "metrics.json is not valid JSON"),
    "no metrics": (_missing_metrics, "metrics.json is missing"),
    "metrics not an object": (_list_metrics, "metrics.json holds a list, not a JSON object"),
    "garbage weights": (_garbage_weights, "model.pt cannot be read by torch.load"),
    "accuracy of 7.5": (_set_metric("accuracy", 7.5), "metrics.json records accuracy = 7.5, not a number in [0, 1]"),
    "NaN accuracy": (_set_metric("accuracy", float("nan")), "metrics.json records accuracy = nan, not a number in"),
    "empty object": (_empty_object_metrics, "metrics.json records accuracy = None, not a number in [0, 1]"),
    "negative count": (_set_metric("prunable_nonzero", -3), "metrics.json records prunable_nonzero = -3, not a count"),
    "rate of 1.7": (_set_metric("achieved_rate", 1.7), "metrics.json records achieved_rate = 1.7, not a number in"),
}


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_damage_is_named_listed_and_repaired(results, capsys, monkeypatch, kind):
    damage, problem = DAMAGE[kind]
    folder = results / DENSE.run_hash()
    damage(folder)
    with monkeypatch.context() as patch:
        patch.setattr(runner, "_train", prepare_only)
        with pytest.raises(CacheError) as info:
            run(smoke("magnitude", 0.5), results)
        message = str(info.value)
        assert f"damaged run folder {folder}: {problem}" in message
        assert f"`gcnprune clean --delete --results {results}` removes it" in message
        # the command line names it in one line, before training anything
        assert cli.main([*GRID, "--results", str(results)]) == 1
        err = capsys.readouterr().err  # after the progress bar, where the weights are read when a run starts
        assert "Traceback" not in err and err.endswith("\n") and "\n" not in err.split("error: ")[-1][:-1]
        assert err.split("\n")[-2].startswith(f"error: damaged run folder {folder}: {problem}")
    # gcnprune clean lists it, --delete removes it (only the weights, where the run's record is intact), and
    # the next run recomputes it
    target = folder / "model.pt" if "weights" in kind else folder
    record = json.loads((folder / "metrics.json").read_text()) if "weights" in kind else None
    assert cli.main(["clean", "--results", str(results)]) == 0
    out = capsys.readouterr().out
    assert f"damaged {target}: {problem}" in out and "0 stale, 1 damaged and 0 interrupted" in out
    assert folder.is_dir()
    assert cli.main(["clean", "--delete", "--results", str(results)]) == 0
    assert f"removed damaged {target}" in capsys.readouterr().out and not target.exists()
    assert (folder / "config.json").is_file() == (record is not None)
    assert run(DENSE, results)["accuracy"] >= 0.0 and stale_runs(results) == []
    if record is not None:  # the intact record was kept, not retrained
        assert load_run(DENSE, results) == record


def _foreign_weights(folder: Path) -> None:
    torch.save({"not.a.layer": torch.zeros(3)}, folder / "model.pt")


def _folder_weights(folder: Path) -> None:
    (folder / "model.pt").unlink()
    (folder / "model.pt").mkdir()


def test_weights_that_do_not_fit_the_network_are_one_error(results, monkeypatch):
    """A ``model.pt`` that loads but holds another network's tensors is named before any child trains on it."""
    folder = results / DENSE.run_hash()
    _foreign_weights(folder)
    monkeypatch.setattr(runner, "_train", prepare_only)
    with pytest.raises(CacheError, match=f"damaged run folder {folder}: model.pt does not fit the network its config"):
        run(smoke("magnitude", 0.5), results)


def test_a_folder_where_the_weights_belong_is_listed_and_removed_alone(results, capsys):
    folder = results / DENSE.run_hash()
    _folder_weights(folder)
    assert [(f.target, f.kind) for f in audit_cache(results)] == [(folder / "model.pt", "damaged")]
    assert cli.main(["clean", "--delete", "--results", str(results)]) == 0
    assert not (folder / "model.pt").exists() and (folder / "metrics.json").is_file() and audit_cache(results) == []


def test_clean_refuses_a_results_folder_that_does_not_exist(tmp_path, capsys):
    missing = tmp_path / "reslts"
    assert cli.main(["clean", "--results", str(missing)]) == 1
    err = capsys.readouterr().err
    assert err == f"error: the results folder {missing} does not exist; give the run cache to check (--results DIR)\n"


def test_load_run_names_the_damaged_folder(results):
    folder = results / DENSE.run_hash()
    _invalid_metrics(folder)
    with pytest.raises(CacheError, match=f"damaged run folder {folder}: metrics.json is not valid JSON"):
        load_run(DENSE, results)


def test_damaged_config_and_stray_files_are_listed(results):
    folder = results / DENSE.run_hash()
    (folder / "config.json").write_text("{")
    stray = results / "0123456789abcdef"
    stray.write_text("a file where a run folder belongs\n")
    foreign = results / "notes"  # not the cache's: never listed, never removed
    foreign.mkdir()
    found = {(f.folder, f.kind, f.reason.split(" (")[0]) for f in audit_cache(results)}
    assert found == {(folder, "damaged", "config.json is not valid JSON"), (stray, "damaged", "not a folder")}


def test_clean_delete_leaves_a_running_grid_alone(results, capsys):
    """A ``.tmp-<hash>-<pid>`` folder of a live process is a run being written: ``clean --delete`` must
    not remove it; one whose process has gone is a leftover, removed."""
    live = results / f".tmp-{DENSE.run_hash()}-{os.getpid()}"
    dead = results / f".tmp-{DENSE.run_hash()}-{dead_pid()}"
    unnamed = results / f".tmp-{DENSE.run_hash()}-x"
    for tmp in (live, dead, unnamed):
        tmp.mkdir()
        (tmp / "config.json").write_text(json.dumps({"partial": True}))
    assert [(f.folder, f.kind) for f in audit_cache(results)] == [(dead, "interrupted"), (unnamed, "interrupted")]
    assert cli.main(["clean", "--delete", "--results", str(results)]) == 0
    assert "0 stale, 0 damaged and 2 interrupted" in capsys.readouterr().out
    assert live.is_dir() and not dead.exists() and not unnamed.exists()
    assert (results / DENSE.run_hash() / "metrics.json").is_file()


def test_clean_refuses_a_results_path_that_is_a_file(tmp_path, capsys):
    path = tmp_path / "results"
    path.write_text("")
    assert cli.main(["clean", "--delete", "--results", str(path)]) == 1
    assert (
        capsys.readouterr().err
        == f"error: the results path {path} is not a folder; give a folder for the run cache (--results DIR)\n"
    )
    assert path.is_file()


def test_cache_error_crosses_process_boundaries(tmp_path):
    """Parallel grids raise in worker processes: the error must unpickle with its folder and problem."""
    import pickle

    error = pickle.loads(pickle.dumps(CacheError(tmp_path / "abc", "metrics.json is missing")))
    assert (
        isinstance(error, CacheError)
        and error.folder == tmp_path / "abc"
        and error.problem == "metrics.json is missing"
    )
    assert str(error).startswith(f"damaged run folder {tmp_path / 'abc'}: metrics.json is missing;")


def test_a_folder_holding_another_runs_files_is_damaged(results):
    """Two folders' contents swapped: the 0.9 run's numbers must never print in the 0.5 column."""
    other = smoke("dense", 0.0, fold=1)
    run(other, results)
    a, b = results / DENSE.run_hash(), results / other.run_hash()
    for name in ("config.json", "metrics.json"):
        saved = (a / name).read_text()
        (a / name).write_text((b / name).read_text())
        (b / name).write_text(saved)
    with pytest.raises(CacheError, match=f"damaged run folder {a}: config.json describes another run"):
        load_run(DENSE, results)


def test_a_non_finite_number_is_never_written_as_json(tmp_path):
    from gcnprune.experiments.cache import write_json

    with pytest.raises(ValueError, match="not JSON compliant"):
        write_json(tmp_path / "metrics.json", {"accuracy": float("nan")})


def test_a_run_that_diverged_is_refused_in_one_line_and_not_cached(tmp_path):
    from gcnprune.errors import UserError
    from gcnprune.experiments.cache import store_run

    with pytest.raises(UserError, match="ended with non-finite accuracy .training diverged.; nothing is cached"):
        store_run(DENSE, {"accuracy": float("nan"), "achieved_rate": 0.0}, None, tmp_path)
    assert list(tmp_path.iterdir()) == []
