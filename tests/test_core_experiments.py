"""Runs and their cache, run hashes, grids and tables, the command line, and the method registry."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import pytest
import torch
from smoke_runs import record_training

from gcnprune import __version__, experiments
from gcnprune.cli import main
from gcnprune.experiments import (  # fmt: skip
    Grid,
    RunConfig,
    Variant,
    accuracy_table,
    load_run,
    make_config,
    parent_weights,
    repo,
    run,
    run_configs,
    runner,
    summarise,
    train_run,
)
from gcnprune.experiments.config import hashed
from gcnprune.experiments.options import folds as _folds
from gcnprune.experiments.profiles import PROFILES, get_profile
from gcnprune.masks import get_mask, kept_count, magnitude_mask
from gcnprune.methods import METHODS, PruningMethod, get_method, register
from gcnprune.methods.base import NoConfig
from gcnprune.methods.magnitude import Magnitude, MagnitudeConfig

METRIC_KEYS = {"accuracy", "achieved_rate", "prunable_dense", "prunable_nonzero", "params_dense", "params_nonzero",
               "train_seconds", "version", "git_commit", "target_rate", "torch", "evaluated_on"}  # fmt: skip


def smoke(method: str = "dense", rate: float = 0.0, seed: int = 0, fold: int = 0, **kwargs) -> RunConfig:
    return make_config("synthetic", "smoke", fold, method, rate, seed, **kwargs)


@pytest.fixture
def train_calls(monkeypatch):
    """(method, rate) of every run actually trained, in the order they finish training."""
    return record_training(monkeypatch)


# --- run() and its cache --------------------------------------------------------------------------


def test_run_writes_config_metrics_and_dense_weights(results_dir):
    config = smoke()
    assert load_run(config, results_dir) is None
    metrics = run(config, results_dir)
    folder = results_dir / config.run_hash()
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "metrics.json", "model.pt"]
    assert json.loads((folder / "config.json").read_text()) == json.loads(json.dumps(config.resolved()))
    assert json.loads((folder / "metrics.json").read_text()) == metrics == load_run(config, results_dir)
    assert METRIC_KEYS <= set(metrics)
    assert 0.0 <= metrics["accuracy"] <= 1.0
    assert metrics["version"] == __version__
    assert isinstance(metrics["git_commit"], str) and metrics["git_commit"]
    assert metrics["train_seconds"] > 0
    assert metrics["achieved_rate"] == 0.0 and metrics["target_rate"] == 0.0
    assert metrics["prunable_nonzero"] == metrics["prunable_dense"]
    assert metrics["params_nonzero"] == metrics["params_dense"] > metrics["prunable_dense"]
    assert metrics["evaluated_on"] == "test"
    assert not any(p.name.startswith(".tmp-") for p in results_dir.iterdir())
    state = torch.load(folder / "model.pt", weights_only=True)
    assert "hidden.weight" in state and "classifier.weight" in state


def test_second_run_comes_from_the_cache(results_dir, monkeypatch):
    config = smoke()
    first = run(config, results_dir)

    def fail(*args, **kwargs):
        raise AssertionError("a cached run was trained again")

    monkeypatch.setattr(runner, "_train", fail)
    assert run(config, results_dir) == first
    with pytest.raises(AssertionError, match="trained again"):
        run(smoke(seed=1), results_dir)  # a different run is not in the cache


def test_leftover_tmp_folder_is_not_a_finished_run(results_dir, train_calls):
    config = smoke()
    for pid in (999999, os.getpid()):
        stale = results_dir / f".tmp-{config.run_hash()}-{pid}"
        stale.mkdir()
        (stale / "metrics.json").write_text(json.dumps({"accuracy": -1.0}))
    assert load_run(config, results_dir) is None
    metrics = run(config, results_dir)
    assert train_calls == [("dense", 0.0)]
    assert metrics["accuracy"] >= 0.0
    assert load_run(config, results_dir) == metrics


@pytest.mark.parametrize("scope", ["global", "layer"])
def test_magnitude_run_hits_its_target_and_reuses_dense_parent(results_dir, train_calls, scope):
    config = smoke("magnitude", 0.9, method_config={"scope": scope})
    metrics = run(config, results_dir)
    parent = results_dir / config.parent().run_hash()
    assert (parent / "model.pt").is_file() and (parent / "metrics.json").is_file()
    assert not (results_dir / config.run_hash() / "model.pt").exists()  # only dense runs keep weights
    assert train_calls == [("dense", 0.0), ("magnitude", 0.9)]
    n = metrics["prunable_dense"]
    assert metrics["prunable_nonzero"] == kept_count(n, 0.9)
    assert abs(metrics["achieved_rate"] - 0.9) <= 1 / n
    assert metrics["params_dense"] - metrics["params_nonzero"] == n - metrics["prunable_nonzero"]
    assert metrics["target_rate"] == 0.9
    assert json.loads((results_dir / config.run_hash() / "config.json").read_text())["method_config"] == {
        "scope": scope
    }
    # another rate starts from the same dense parent without training it again
    run(smoke("magnitude", 0.5, method_config={"scope": scope}), results_dir)
    assert train_calls == [("dense", 0.0), ("magnitude", 0.9), ("magnitude", 0.5)]


def test_magnitude_starts_from_the_parent_weights(results_dir):
    config = smoke("magnitude", 0.7)
    run(config.parent(), results_dir)
    dense = torch.load(results_dir / config.parent().run_hash() / "model.pt", weights_only=True)
    model, _, _ = experiments.train_run(config, results_dir, None, False)
    names = list(model.prunable_layers())
    expected = magnitude_mask({name: dense[f"{name}.weight"] for name in names}, 0.7, "global")
    mask = get_mask(model)
    assert all(torch.equal(mask[name], expected[name]) for name in names)


def test_parent_weights_rebuilt_identically_when_missing(results_dir, train_calls):
    parent = smoke()
    run(parent, results_dir)
    path = results_dir / parent.run_hash() / "model.pt"
    original = torch.load(path, weights_only=True)
    path.unlink()
    rebuilt = parent_weights(parent, results_dir, None, False)
    assert path.is_file()
    assert train_calls == [("dense", 0.0), ("dense", 0.0)]
    assert list(rebuilt) == list(original) and all(torch.equal(rebuilt[k], original[k]) for k in original)
    assert not any(".tmp" in p.name for p in path.parent.iterdir())


def test_same_run_into_two_results_dirs_gives_identical_metrics(tmp_path):
    config = smoke("magnitude", 0.5)
    a, b = run(config, tmp_path / "a"), run(config, tmp_path / "b")
    strip = lambda m: {k: v for k, v in m.items() if k != "train_seconds"}  # noqa: E731
    assert strip(a) == strip(b)
    parent = config.parent().run_hash()
    wa = torch.load(tmp_path / "a" / parent / "model.pt", weights_only=True)
    wb = torch.load(tmp_path / "b" / parent / "model.pt", weights_only=True)
    assert all(torch.equal(wa[k], wb[k]) for k in wa)


# --- run hashes -----------------------------------------------------------------------------------


def _variants(base: RunConfig) -> dict[str, RunConfig]:
    r = dataclasses.replace
    return {
        "rate": r(base, rate=0.6),
        "seed": r(base, seed=1),
        "fold": r(base, fold=1),
        "method": r(base, method="dense", rate=0.0, method_config={}),
        "scope": r(base, method_config={"scope": "layer"}),
        "epochs": r(base, train=r(base.train, epochs=base.train.epochs + 1)),
        "lr": r(base, train=r(base.train, lr=base.train.lr * 2)),
        "finetune_epochs": r(base, train=r(base.train, finetune_epochs=base.train.finetune_epochs + 1)),
        "augment": r(base, train=r(base.train, augment=not base.train.augment)),
        "validation_fraction": r(base, train=r(base.train, validation_fraction=0.25)),
        "heads": r(base, model=r(base.model, heads=base.model.heads + 1)),
        "prune_classifier": r(base, model=r(base.model, prune_classifier=True)),
        "lr_rule": r(base, train=r(base.train, lr_rule="loss_derivative")),
        "chunks": r(base, features=r(base.features, chunks=base.features.chunks + 1)),
        "velocities": r(base, features=r(base.features, velocities=True)),
        "dataset_options": r(base, dataset_options={**base.dataset_options, "seed": 1}),
        "dataset": r(base, dataset="sbu", dataset_options={}),
        "evaluate": r(base, evaluate="validation"),
    }


def test_every_parameter_changes_the_hash():
    base = smoke("magnitude", 0.5)
    hashes = {name: c.run_hash() for name, c in _variants(base).items()}
    assert all(re.fullmatch(r"[0-9a-f]{16}", h) for h in hashes.values())
    assert base.run_hash() not in hashes.values()
    assert len(set(hashes.values())) == len(hashes)  # and no two changes collide


def test_hash_is_stable_and_ignores_how_defaults_are_given():
    a = smoke("magnitude", 0.5)
    assert a.run_hash() == smoke("magnitude", 0.5).run_hash()
    assert a.run_hash() == smoke("magnitude", 0.5, method_config={"scope": "global"}).run_hash()


def test_resolved_holds_every_default():
    resolved = smoke("magnitude", 0.5, method_config={}).resolved()
    assert resolved["method_config"] == dataclasses.asdict(MagnitudeConfig()) == {"scope": "global"}
    smoke_profile = get_profile("smoke")
    assert resolved["train"] == hashed(smoke_profile.train)  # every setting but those added at their committed value
    assert resolved["model"] == hashed(smoke_profile.model)
    assert set(dataclasses.asdict(smoke_profile.model)) - set(resolved["model"]) == {
        "architecture", "blocks", "block_heads", "filters", "attention"}  # fmt: skip
    assert resolved["features"] == hashed(smoke_profile.features)
    assert resolved["dataset_options"] == smoke_profile.synthetic
    json.dumps(resolved)  # serialisable as it is
    assert smoke().resolved()["method_config"] == {}  # dense has no hyperparameters


def test_changing_a_method_default_changes_the_hash(monkeypatch):
    before = smoke("magnitude", 0.5).run_hash()

    @dataclass(frozen=True)
    class LayerByDefault(MagnitudeConfig):
        scope: Literal["global", "layer"] = "layer"

    class MagnitudeLayerDefault(Magnitude):
        Config = LayerByDefault

    monkeypatch.setitem(METHODS, "magnitude", MagnitudeLayerDefault)
    assert smoke("magnitude", 0.5).run_hash() != before
    assert smoke("magnitude", 0.5).run_hash() == smoke("magnitude", 0.5, method_config={"scope": "layer"}).run_hash()


def test_parent_is_the_dense_run_of_the_same_fold_and_seed():
    assert smoke().parent() is None
    config = smoke("magnitude", 0.9, seed=2, fold=3, method_config={"scope": "layer"})
    parent = config.parent()
    assert (parent.method, parent.rate, parent.method_config) == ("dense", 0.0, {})
    assert (parent.seed, parent.fold, parent.train, parent.model, parent.features) == (
        2,
        3,
        config.train,
        config.model,
        config.features,
    )
    assert parent.run_hash() == smoke(seed=2, fold=3).run_hash()


def test_hash_does_not_depend_on_number_types():
    assert smoke(rate=0).run_hash() == smoke(rate=0.0).run_hash() == smoke("magnitude", 0.9).parent().run_hash()
    assert smoke(fold=np.int64(1)).run_hash() == smoke(fold=1).run_hash()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(rate=1.0), "rate"),
        (dict(rate=-0.1), "rate"),
        (dict(evaluate="train"), "evaluate"),
        (dict(method="lottery"), "unknown pruning method"),
        (dict(method="magnitude", method_config={"scope": "row"}), "scope"),
        (dict(method="magnitude", method_config={"sparsity": 0.5}), "bad hyperparameters"),
    ],
)
def test_run_config_validation(kwargs, match):
    fields = dict(dataset="synthetic", fold=0, method="dense", rate=0.0) | kwargs
    with pytest.raises(ValueError, match=match):
        RunConfig(**fields)


# --- git commit -----------------------------------------------------------------------------------


def test_git_commit_unknown_when_git_fails(monkeypatch):
    """In a repository without commits ``git rev-parse HEAD`` prints "HEAD" and exits 128."""

    def failing(args, **kwargs):
        return subprocess.CompletedProcess(args, 128, stdout="HEAD\n", stderr="fatal: ambiguous argument 'HEAD'")

    monkeypatch.setattr(repo.subprocess, "run", failing)
    assert experiments.git_commit() == "unknown"


def test_git_commit_reports_the_commit(monkeypatch):
    sha = "0123456789abcdef0123456789abcdef01234567"
    monkeypatch.setattr(
        repo.subprocess, "run", lambda args, **kw: subprocess.CompletedProcess(args, 0, stdout=sha + "\n")
    )
    assert experiments.git_commit() == sha


def test_git_commit_when_git_is_missing(monkeypatch):
    def missing(*args, **kwargs):
        raise FileNotFoundError("git")

    monkeypatch.setattr(repo.subprocess, "run", missing)
    assert experiments.git_commit() == "unknown"


# --- grids and tables -----------------------------------------------------------------------------


def test_grid_configs_expand_dense_once_per_fold_and_seed():
    grid = Grid("synthetic", "smoke", ["dense", "magnitude"], [0, 0.5, 0.9], folds=[0, 2], seeds=[0, 1],
                method_configs={"magnitude": {"scope": "layer"}})  # fmt: skip
    configs = grid.configs()
    dense = [c for c in configs if c.method == "dense"]
    magnitude = [c for c in configs if c.method == "magnitude"]
    assert len(configs) == len(dense) + len(magnitude) == 4 + 8
    assert {(c.fold, c.seed) for c in dense} == {(f, s) for f in (0, 2) for s in (0, 1)}
    assert all(c.rate == 0.0 for c in dense)
    assert sorted((c.rate, c.fold, c.seed) for c in magnitude) == sorted(
        (r, f, s) for r in (0.5, 0.9) for f in (0, 2) for s in (0, 1)
    )
    assert all(c.method_config == {"scope": "layer"} for c in magnitude)
    assert all(c.train == get_profile("smoke").train for c in configs)
    assert len({c.run_hash() for c in configs}) == len(configs)


def test_grid_dense_runs_even_without_zero_rate():
    configs = Grid("synthetic", "smoke", ["dense"], [0.5, 0.9], folds=[0]).configs()
    assert [(c.method, c.rate) for c in configs] == [("dense", 0.0)]


def test_grid_rejects_unknown_method():
    with pytest.raises(ValueError, match="unknown pruning method 'lottery'"):
        Grid("synthetic", "smoke", ["dense", "lottery"], [0.5], folds=[0]).configs()


def test_run_configs_one_row_per_config_and_tables(results_dir):
    grid = Grid("synthetic", "smoke", ["dense", "magnitude"], [0, 0.5, 0.9], folds=[0, 1])
    configs = grid.configs()
    runs = run_configs(grid.configs(), results_dir, jobs=1, progress=False)
    assert len(runs) == len(configs) == 6
    assert list(runs["run"]) == [c.run_hash() for c in configs]
    assert {"method", "rate", "fold", "seed", "accuracy", "achieved_rate"} <= set(runs.columns)
    for c in configs:
        assert (results_dir / c.run_hash() / "metrics.json").is_file()
    magnitude = runs[runs["method"] == "magnitude"]
    assert np.allclose(magnitude["achieved_rate"], magnitude["rate"], atol=1 / magnitude["prunable_dense"].min())

    table = accuracy_table(runs)
    assert list(table.index) == ["dense", "magnitude"]
    assert list(table.columns) == [0.0, 0.5, 0.9]
    cells = re.compile(r"\d+\.\d ± \d+\.\d")
    assert all(cells.fullmatch(table.loc["magnitude", r]) for r in (0.5, 0.9))
    assert cells.fullmatch(table.loc["dense", 0.0]) and table.loc["dense", 0.5] == ""
    summary = summarise(runs)
    assert (summary["runs"] == 2).all() and len(summary) == 3

    # a second grid over the same runs trains nothing
    def fail(*args, **kwargs):
        raise AssertionError("trained again")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(runner, "_train", fail)
        again = run_configs(grid.configs(), results_dir, jobs=1, progress=False)
    pd.testing.assert_frame_equal(again, runs)


def test_summarise_mean_and_std_over_folds():
    runs = pd.DataFrame(
        {
            "method": ["dense"] * 3 + ["magnitude"] * 4,
            "rate": [0.0] * 3 + [0.5, 0.5, 0.9, 0.9],
            "fold": [0, 1, 2, 0, 1, 0, 1],
            "accuracy": [0.5, 0.6, 0.7, 0.4, 0.8, 0.3, 0.3],
            "achieved_rate": [0.0] * 3 + [0.5, 0.5, 0.9, 0.9],
            "variant": [Variant("dense")] * 3 + [Variant("magnitude")] * 4,
        }
    )
    s = summarise(runs).set_index(["method", "rate"])
    assert s.loc[("dense", 0.0), "mean"] == pytest.approx(60.0)
    assert s.loc[("dense", 0.0), "std"] == pytest.approx(np.std([50, 60, 70]))  # population std over folds
    assert s.loc[("magnitude", 0.5), "std"] == pytest.approx(20.0)
    assert s.loc[("magnitude", 0.9), "std"] == pytest.approx(0.0)
    assert s.loc[("magnitude", 0.5), "runs"] == 2 and s.loc[("dense", 0.0), "runs"] == 3
    assert s.loc[("magnitude", 0.9), "achieved_rate"] == pytest.approx(0.9)
    table = accuracy_table(runs)
    assert table.loc["dense", 0.0] == "60.0 ± 8.2"
    assert table.loc["magnitude", 0.5] == "60.0 ± 20.0"
    assert accuracy_table(runs, digits=2).loc["magnitude", 0.9] == "30.00 ± 0.00"


# --- command line ---------------------------------------------------------------------------------


def test_cli_grid_prints_table(tmp_path, capsys):
    code = main(["grid", "--profile", "smoke", "--rates", "0,0.5", "--folds", "1-2", "--results", str(tmp_path)])
    assert code == 0
    out = capsys.readouterr().out
    assert "dense" in out and "magnitude" in out and "±" in out
    assert "2 fold(s)" in out
    finished = [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
    assert len(finished) == 4  # dense and magnitude at 0.5, on folds 1 and 2
    table = out.split("Achieved rates")[0]  # the accuracy table comes first, then the summary
    rows = {line.split()[0]: line for line in table.splitlines() if line.startswith(("dense ", "magnitude "))}
    assert set(rows) == {"dense", "magnitude"}
    assert rows["dense"].count("±") == 1 and rows["magnitude"].count("±") == 1


@pytest.mark.parametrize("text, folds", [("1-5", [0, 1, 2, 3, 4]), ("1,3", [0, 2]), ("2", [1]), ("1-2,5", [0, 1, 4])])
def test_cli_fold_parsing(text, folds):
    assert _folds(text) == folds


def test_cli_rejects_unknown_profile(capsys):
    with pytest.raises(SystemExit):
        main(["grid", "--profile", "huge"])
    assert "huge" in capsys.readouterr().err


def test_profiles():
    assert set(PROFILES) == {"smoke", "quick", "paper"}
    assert get_profile("smoke").train.epochs < get_profile("quick").train.epochs < get_profile("paper").train.epochs
    with pytest.raises(ValueError, match="unknown profile"):
        get_profile("huge")


# --- method registry ------------------------------------------------------------------------------


def test_get_method_unknown_lists_registered():
    with pytest.raises(ValueError) as info:
        get_method("lottery")
    message = str(info.value)
    assert "lottery" in message
    for name in METHODS:
        assert name in message
    assert {"dense", "magnitude"} <= set(METHODS)


def test_get_method_defaults_and_hyperparameters():
    assert isinstance(get_method("dense").config, NoConfig)
    assert get_method("magnitude").config == MagnitudeConfig("global")
    assert get_method("magnitude", {"scope": "layer"}).config.scope == "layer"
    assert METHODS["magnitude"].parent_method == "dense" and METHODS["dense"].parent_method is None


@pytest.mark.parametrize("name, config", [("magnitude", {"sparsity": 0.5}), ("dense", {"epochs": 3})])
def test_get_method_rejects_bad_hyperparameter(name, config):
    with pytest.raises(ValueError, match=f"bad hyperparameters for {name}"):
        get_method(name, config)


@pytest.mark.parametrize("scope", ["row", "", None])
def test_magnitude_config_rejects_bad_scope(scope):
    with pytest.raises(ValueError, match="scope"):
        MagnitudeConfig(scope)
    with pytest.raises(ValueError, match="scope"):
        get_method("magnitude", {"scope": scope})


def test_register_duplicate_name_raises():
    before = dict(METHODS)

    class Impostor(PruningMethod):
        name = "dense"

        def fit(self, model, trainer, rate):
            return {}

    with pytest.raises(ValueError, match="already registered"):
        register(Impostor)
    assert METHODS == before and METHODS["dense"] is not Impostor


def test_register_new_method():
    assert "noop" not in METHODS

    @register
    class Noop(PruningMethod):
        name = "noop"

        def fit(self, model, trainer, rate):
            return {"noop": 1.0}

    try:
        assert METHODS["noop"] is Noop
        assert isinstance(get_method("noop"), Noop)
        assert smoke("noop", 0.5).resolved()["method_config"] == {}
    finally:
        METHODS.pop("noop", None)


def test_cli_set_passes_method_hyperparameters(tmp_path, capsys):
    from gcnprune.cli import main

    argv = ["grid", "--profile", "smoke", "--methods", "dense,magnitude", "--rates", "0,0.9", "--folds", "1",
            "--set", "magnitude.scope=layer", "--results", str(tmp_path)]  # fmt: skip
    assert main(argv) == 0
    assert "magnitude (scope=layer)" in capsys.readouterr().out
    configs = [json.loads(p.read_text()) for p in tmp_path.glob("*/config.json")]
    assert {c["method_config"].get("scope") for c in configs if c["method"] == "magnitude"} == {"layer"}


def test_cli_set_rejects_a_malformed_setting(capsys):
    from gcnprune.cli import main

    assert main(["grid", "--set", "scope=layer"]) == 1
    assert (
        capsys.readouterr().err
        == "error: --set expects METHOD.KEY=VALUE (e.g. magnitude.scope=layer), got 'scope=layer'\n"
    )


def test_a_child_is_the_same_whether_its_parent_was_read_or_retrained_in_process(tmp_path):
    """The parent's retraining reseeds and draws from torch's global generator: the child seeds after its parent
    is ready, so its fine-tuning (dropout draws included) runs on the same stream either way, bit for bit."""
    child = smoke("magnitude", 0.5)
    parent = child.parent()
    run(parent, tmp_path / "read")
    shutil.copytree(tmp_path / "read", tmp_path / "retrained")
    (tmp_path / "retrained" / parent.run_hash() / "model.pt").unlink()  # as in a clone: no weights in git
    read, _, read_metrics = train_run(child, tmp_path / "read", None, False)
    retrained, _, retrained_metrics = train_run(child, tmp_path / "retrained", None, False)
    assert (tmp_path / "retrained" / parent.run_hash() / "model.pt").is_file()  # it was trained again
    assert read_metrics["accuracy"] == retrained_metrics["accuracy"]
    state = read.state_dict()
    assert all(torch.equal(state[k], v) for k, v in retrained.state_dict().items())
