"""Where runs train (``--device``): CPU runs keep their names, a CUDA run has its own, ``auto`` picks CUDA only where
torch finds it, training on CUDA without it is a one-line error; on a CUDA machine, a smoke grid trains there,
records its device and repeats itself (skipped elsewhere)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import torch

from gcnprune.cli import main
from gcnprune.errors import UserError
from gcnprune.experiments import Grid, make_config, run_configs
from gcnprune.experiments.config import hashed, resolve_device
from gcnprune.train import TrainConfig

CUDA = torch.cuda.is_available()


def test_cpu_runs_keep_their_hash_and_a_cuda_run_has_its_own():
    cpu = make_config("synthetic", "smoke", 0, "magnitude", 0.5)
    assert "device" not in hashed(cpu.train) and cpu.run_hash() == make_config(
        "synthetic", "smoke", 0, "magnitude", 0.5, device="cpu").run_hash()  # fmt: skip
    cuda = make_config("synthetic", "smoke", 0, "magnitude", 0.5, device="cuda")
    assert cuda.train.device == "cuda" and cuda.run_hash() != cpu.run_hash()
    assert cuda.parent().train.device == "cuda"  # its dense parent trains there too


def test_auto_picks_cuda_only_where_torch_finds_it_and_unknown_devices_are_refused():
    assert resolve_device("auto") == ("cuda" if CUDA else "cpu")
    assert Grid("synthetic", "smoke", ("dense",), (0.0,), (0,), device="auto").configs()[0].train.device in (
        "cpu",
        "cuda",
    )
    with pytest.raises(UserError, match="unknown device 'tpu'; choose one of cpu, cuda, auto"):
        resolve_device("tpu")
    with pytest.raises(ValueError, match="device must be one of cpu, cuda"):
        TrainConfig(device="gpu")


@pytest.mark.skipif(CUDA, reason="checks the message given where there is no CUDA device")
def test_training_on_cuda_without_one_is_a_one_line_error(tmp_path, capsys):
    code = main(["grid", "--dataset", "synthetic", "--profile", "smoke", "--methods", "dense", "--device", "cuda",
                 "--results", str(tmp_path)])  # fmt: skip
    assert code == 1
    assert "torch finds no CUDA device here; use --device cpu" in capsys.readouterr().err
    assert not list(tmp_path.glob("*/metrics.json"))


@pytest.mark.skipif(not CUDA, reason="needs a CUDA device")
def test_a_smoke_grid_trains_on_cuda_records_it_and_repeats_itself(tmp_path):
    configs = Grid("synthetic", "smoke", ("dense", "magnitude", "probabilistic"), (0.9,), (0,), device="cuda").configs()
    first = run_configs(configs, tmp_path / "a")
    second = run_configs(configs, tmp_path / "b")
    assert list(first["accuracy"]) == list(second["accuracy"])
    for config in configs:
        metrics = json.loads((tmp_path / "a" / config.run_hash() / "metrics.json").read_text())
        assert metrics["device"] != "cpu" and abs(metrics["achieved_rate"] - config.rate) < 1e-3
    weights = torch.load(next((tmp_path / "a").glob("*/model.pt")), weights_only=True)
    assert all(t.device.type == "cpu" for t in weights.values())  # readable where there is no CUDA


def test_cpu_runs_record_their_device(tmp_path):
    config = replace(make_config("synthetic", "smoke", 0, "dense", 0.0))
    run_configs([config], tmp_path)
    assert json.loads((tmp_path / config.run_hash() / "metrics.json").read_text())["device"] == "cpu"
