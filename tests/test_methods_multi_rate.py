"""One-shot multi-rate pruning (MRMP): its configuration, one trained parent serving every rate (seen in
training or not), the accuracy curve, and the sampled-rate variant."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from smoke_runs import record_training

from gcnprune import experiments
from gcnprune.experiments import make_config, parent_weights, run_configs
from gcnprune.masks import kept_count
from gcnprune.methods import get_method
from gcnprune.methods.multi_rate import CURVE_RATES, MultiRateConfig

SMALL = {"training_rates": (0.5, 0.9, 0.97)}
GRID_RATES = (0.5, 0.8, 0.97)  # 0.8 is not a training rate


def smoke(method: str, rate: float, method_config: dict | None = None):
    return make_config("synthetic", "smoke", 0, method, rate, method_config=method_config)


# --- configuration --------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [
    {"training_rates": ()},
    {"training_rates": []},
    {"training_rates": (0.5, 1.0)},
    {"training_rates": (-0.2, 0.5)},
    {"training_rates": (0.5, 0.9), "rate_weights": (1.0,)},
    {"training_rates": (0.5, 0.9), "rate_weights": (1.0, 1.0, 1.0)},
    {"training_rates": (0.5, 0.9), "rate_weights": (1.0, -0.5)},
    {"alignment_weight": -1.0},
    {"family": "student"},
    {"alignment": "sinkhorn"},
])  # fmt: skip
def test_multi_rate_config_validation(bad):
    with pytest.raises(ValueError):
        MultiRateConfig(**bad)
    for name in ("multi_rate_train", "multi_rate"):
        with pytest.raises(ValueError):
            get_method(name, bad)


# fmt: skip
def test_multi_rate_config_rejects_weights_that_sum_to_zero():
    with pytest.raises(ValueError):
        MultiRateConfig(training_rates=(0.5, 0.9), rate_weights=(0.0, 0.0))


def test_multi_rate_config_normalises_rates_and_weights():
    c = MultiRateConfig(training_rates=[0.5, 0.9], rate_weights=[1, 3])
    assert c.training_rates == (0.5, 0.9) and c.rate_weights == (1.0, 3.0)
    assert all(isinstance(r, float) for r in c.training_rates + c.rate_weights)
    assert c.weights() == [1.0, 3.0]
    assert MultiRateConfig(training_rates=(0.5, 0.7, 0.9, 0.95)).weights() == pytest.approx([0.25] * 4)
    default = MultiRateConfig()
    assert default.weights() == pytest.approx([1 / len(default.training_rates)] * len(default.training_rates))
    # lists (as read from JSON) and tuples give the same run
    as_list = smoke("multi_rate", 0.8, {"training_rates": [0.5, 0.9]})
    as_tuple = smoke("multi_rate", 0.8, {"training_rates": (0.5, 0.9)})
    assert as_list.run_hash() == as_tuple.run_hash()
    assert as_list.run_hash() != smoke("multi_rate", 0.8, {"training_rates": (0.5, 0.95)}).run_hash()


def test_parents_share_the_training_run_and_rate_zero():
    children = [smoke("multi_rate", r, SMALL) for r in GRID_RATES]
    parents = {c.parent().run_hash() for c in children}
    assert len(parents) == 1
    parent = children[0].parent()
    assert parent.method == "multi_rate_train" and parent.rate == 0.0
    assert parent.method_config == SMALL
    assert parent.parent().method == "dense" and parent.parent().rate == 0.0
    sampled = smoke("multi_rate", 0.8, {**SMALL, "sample": True})
    assert sampled.parent().run_hash() not in parents


def test_multi_rate_train_refuses_a_nonzero_rate(tmp_path):
    config = smoke("multi_rate_train", 0.0, SMALL)
    model, trainer = experiments.build(config, None, False)
    with pytest.raises(ValueError, match="rate 0"):
        get_method("multi_rate_train", SMALL).fit(model, trainer, 0.5)


# --- one parent, many rates -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    """The smoke grid of MRMP at three rates, with every run that was actually trained recorded."""
    results = tmp_path_factory.mktemp("methods-multi-rate")
    mp = pytest.MonkeyPatch()
    trained = record_training(mp)
    try:
        configs = [smoke("multi_rate", r, SMALL) for r in GRID_RATES]
        table = run_configs(configs, results, jobs=1, progress=False)
    finally:
        mp.undo()
    return results, configs, table, trained


def folders_by_method(results) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for folder in results.iterdir():
        if (folder / "config.json").is_file():
            method = json.loads((folder / "config.json").read_text())["method"]
            out.setdefault(method, []).append(folder.name)
    return out


def test_grid_trains_the_parent_once(grid):
    results, configs, table, trained = grid
    folders = folders_by_method(results)
    assert len(folders["multi_rate_train"]) == 1
    assert len(folders["dense"]) == 1
    assert sorted(folders["multi_rate"]) == sorted(c.run_hash() for c in configs)
    assert [m for m, _ in trained].count("multi_rate_train") == 1
    assert [m for m, _ in trained].count("dense") == 1
    assert trained.index(("dense", 0.0)) < trained.index(("multi_rate_train", 0.0))
    parent = folders["multi_rate_train"][0]
    assert (results / parent / "model.pt").is_file()  # the children start from its weights
    stored = json.loads((results / parent / "config.json").read_text())
    assert stored["method_config"]["training_rates"] == [0.5, 0.9, 0.97]
    assert not any((results / name / "model.pt").exists() for name in folders["multi_rate"])


def test_every_child_points_to_the_parent_and_hits_its_rate(grid):
    results, configs, table, _ = grid
    parent = folders_by_method(results)["multi_rate_train"][0]
    assert list(table["rate"]) == list(GRID_RATES)
    for config, (_, row) in zip(configs, table.iterrows()):
        metrics = json.loads((results / config.run_hash() / "metrics.json").read_text())
        assert metrics["parent_run"] == parent == config.parent().run_hash()
        n = metrics["prunable_dense"]
        assert metrics["prunable_nonzero"] == kept_count(n, config.rate)
        assert abs(metrics["achieved_rate"] - config.rate) <= 1 / n
        assert 0.0 <= metrics["threshold_accuracy"] <= 1.0 and 0.0 <= metrics["threshold_rate"] <= 1.0
        assert row["accuracy"] == metrics["accuracy"] and row["run"] == config.run_hash()


def test_parent_reports_an_accuracy_curve_that_the_children_reproduce(grid):
    results, configs, _, _ = grid
    parent = folders_by_method(results)["multi_rate_train"][0]
    metrics = json.loads((results / parent / "metrics.json").read_text())
    assert metrics["achieved_rate"] == 0.0 and metrics["target_rate"] == 0.0  # reported unpruned
    curve = metrics["curve"]
    assert curve["rates"] == list(CURVE_RATES)
    assert {len(curve[key]) for key in ("accuracy", "threshold_accuracy", "threshold_rate")} == {len(curve["rates"])}
    assert curve["rates"] == sorted(curve["rates"]) and 0.5 <= min(curve["rates"]) and max(curve["rates"]) < 1.0
    assert all(0.0 <= a <= 1.0 for a in curve["accuracy"] + curve["threshold_accuracy"] + curve["threshold_rate"])
    assert len(metrics["latent_histogram_start"]) == len(metrics["latent_histogram_end"])
    assert metrics["train_seconds"] > 0 and metrics["curve_seconds"] > 0  # training and the curve timed apart
    # a child evaluates the same trained model at its rate, with no retraining: the same numbers
    for config in configs:
        child = json.loads((results / config.run_hash() / "metrics.json").read_text())
        k = curve["rates"].index(config.rate)
        assert child["accuracy"] == curve["accuracy"][k]
        assert child["threshold_accuracy"] == curve["threshold_accuracy"][k]
        assert child["threshold_rate"] == curve["threshold_rate"][k]


def test_child_restores_the_parent_weights_unchanged(grid):
    results, configs, _, _ = grid
    config = configs[1]
    state = parent_weights(config.parent(), results, None, False)
    model, _, metrics = experiments.train_run(config, results, None, False)
    latent = {k: v for k, v in model.state_dict().items() if k.endswith("original")}
    assert latent and all(torch.equal(v, state[k]) for k, v in latent.items())
    stored = json.loads((results / config.run_hash() / "metrics.json").read_text())
    assert metrics["accuracy"] == stored["accuracy"]


@pytest.mark.parametrize("extra", [{"sample": True}, {"sample": True, "rate_weights": (0.2, 0.3, 0.5)},
                                   {"threshold": "empirical"}, {"alignment": "kl"}])  # fmt: skip
def test_variants_train_and_serve_their_rates(tmp_path, grid, extra):
    results, _, _, _ = grid
    dense = smoke("dense", 0.0)
    shutil.copytree(results / dense.run_hash(), tmp_path / dense.run_hash())  # reuse the trained dense model
    method_config = {**SMALL, **extra}
    configs = [smoke("multi_rate", r, method_config) for r in (0.8, 0.97)]
    table = run_configs(configs, tmp_path, jobs=1, progress=False)
    folders = folders_by_method(tmp_path)
    assert len(folders["multi_rate_train"]) == 1
    parent = folders["multi_rate_train"][0]
    assert parent == configs[0].parent().run_hash()
    assert parent not in {c.parent().run_hash() for c in grid[1]}  # a different training run
    for config, (_, row) in zip(configs, table.iterrows()):
        assert row["parent_run"] == parent
        assert row["prunable_nonzero"] == kept_count(row["prunable_dense"], config.rate)
    if extra.get("threshold") == "empirical":  # empirical bands cut each layer at its own quantile
        for _, row in table.iterrows():
            assert abs(row["threshold_rate"] - row["rate"]) <= 6 / row["prunable_dense"]
