"""The committed compact SBU models and their benchmark (models/sbu/): complete, loadable with torch alone,
traced to current committed runs, and read into the chapter's facts correctly."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
import torch

from gcnprune.book.chapters.grids import bench_grid, bench_grids
from gcnprune.book.report.committed_models import (
    MODELS_DIR,
    bench_facts,
    faster_runtime,
    load_model,
    model_path,
    read_bench,
    unit_table,
)
from gcnprune.errors import UserError
from gcnprune.experiments import DEFAULT_RESULTS, RunConfig
from gcnprune.experiments.variants import label


@pytest.fixture(scope="module")
def bench():
    return read_bench()


def test_the_benchmark_covers_its_grid_with_a_model_file_each(bench):
    table, record = bench
    pruned = table[table["method"] != "dense"]
    expected = {(label(c), c.rate) for grid in bench_grids() for c in grid.configs() if c.method != "dense"}
    assert set(zip(pruned["method"], pruned["rate"])) == expected
    grid = bench_grid()
    assert set(table["fold"]) == set(grid.folds) and set(table["seed"]) == set(grid.seeds)
    assert set(table[table["method"] == "dense"]["format"]) == {"dense", "compact", "onnx"}
    assert set(pruned["format"]) == {"masked", "compact", "onnx"}
    assert record["machine"]["threads"] == 1 and record["repeats"] >= 1
    for run in table["run"].unique():
        assert model_path(run).is_file()
    assert sorted(p.stem for p in MODELS_DIR.glob("*.safetensors")) == sorted(table["run"].unique())


def test_every_benchmarked_run_is_a_current_committed_run_with_the_same_accuracy(bench):
    table, _ = bench
    for row in table.drop_duplicates("run").itertuples():
        folder = DEFAULT_RESULTS / row.run
        config = RunConfig.from_resolved(json.loads((folder / "config.json").read_text()))
        assert config.run_hash() == row.run
        assert (label(config), config.rate, config.fold) == (row.method, row.rate, row.fold)
        assert json.loads((folder / "metrics.json").read_text())["accuracy"] == row.accuracy


def test_each_compact_model_loads_and_says_where_it_came_from(bench):
    table, _ = bench
    for row in table[table["format"] == "compact"].itertuples():
        model = load_model(row.run)
        assert model.source["run"] == row.run and model.source["accuracy"] == row.accuracy
        with torch.no_grad():
            logits = model(torch.randn(2, model.shape.joints, model.shape.in_features))
        assert logits.shape == (2, model.shape.classes) and torch.isfinite(logits).all()


def test_the_compact_models_load_with_torch_alone(bench):
    table, _ = bench
    path = model_path(table[table["format"] == "compact"]["run"].iloc[-1])
    allowed = ("('gcnprune.deploy', 'gcnprune.deploy.compact', 'gcnprune.deploy.feature_major', "
               "'gcnprune.deploy.tensor_file', 'gcnprune.errors', 'gcnprune.outputs')")  # fmt: skip
    code = ("import sys; from gcnprune.deploy.compact import load_compact; m = load_compact(sys.argv[1]); "
            f"assert not any(k.startswith('gcnprune.') and k not in {allowed} "
            "for k in sys.modules if k != 'gcnprune'), sorted(sys.modules); print(m.shape.classes)")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "8"


def test_the_unit_table_counts_kept_units_of_every_model(bench):
    table, _ = bench
    units = unit_table(table)
    assert list(units.columns)[0] == "dense" and len(units.columns) == table["run"].nunique()
    dense = units["dense"]
    assert all(kept == total for kept, total in (v.split(" / ") for v in dense))  # dense keeps everything


def _row(method, rate, fmt, **values):
    base = {"method": method, "rate": rate, "format": fmt, "bytes_ratio": 1.0, "latency_64_ratio": 1.0,
            "latency_1_ratio": 1.0, "macs_limit_ratio": 1.0, "macs_ratio": 1.0}  # fmt: skip
    return {**base, **values}


def test_bench_facts_on_a_hand_made_table():
    table = pd.DataFrame([
        _row("dense", 0.0, "compact"),
        _row("magnitude", 0.99, "masked", latency_64_ratio=0.9, latency_1_ratio=0.7),
        _row("magnitude", 0.99, "compact", bytes_ratio=65.6, latency_64_ratio=1.5, latency_1_ratio=1.2,
             macs_limit_ratio=10.2, macs_ratio=8.9),
        _row("topological", 0.99, "masked", latency_64_ratio=1.0, latency_1_ratio=0.7),
        _row("topological", 0.99, "compact", bytes_ratio=50.4, latency_64_ratio=1.84, latency_1_ratio=1.32,
             macs_limit_ratio=21.4, macs_ratio=10.4),
        _row("topological", 0.9, "compact", bytes_ratio=5.0, latency_64_ratio=9.0),
    ])  # fmt: skip
    record = {"machine": {"processor": "cpu", "torch": "2.13.0", "load_average": [0.25, 0, 0]}, "repeats": 200}
    facts = bench_facts(table, record)
    assert facts["pb_bytes"] == "50.4–65.6×" and facts["pb_b64"] == "1.50–1.84×" and facts["pb_b1"] == "1.20–1.32×"
    assert facts["pb_limit"] == "10.2–21.4×" and facts["pb_macs"] == "8.9–10.4×"
    assert facts["pb_best"] == "TC (1.84×)"  # the 0.9 row is another rate
    assert facts["pb_masked_b64"] == "0.90–1.00×" and facts["pb_masked_b1"] == "0.70×"
    assert "load average 0.25" in facts["pb_machine"] and "200 calls" in facts["pb_machine"]


def test_the_faster_runtime_is_the_one_faster_on_most_models():
    rows = [("a", "compact", 1.0, 2.0), ("a", "onnx", 0.5, 3.0), ("b", "compact", 1.0, 2.0), ("b", "onnx", 0.9, 1.0),
            ("c", "compact", 1.0, 2.0), ("c", "masked", 0.1, 0.1), ("d", "compact", 1.0, 1.0)]  # fmt: skip
    table = pd.DataFrame([{"run": run, "method": "magnitude", "format": fmt, "latency_1": b1, "latency_64": b64}
                          for run, fmt, b1, b64 in rows])  # fmt: skip
    assert faster_runtime(table, 1) == "onnxruntime (faster on 2 of the 2 models)"  # c and d have no ONNX file
    assert faster_runtime(table, 64) == "torch (faster on 1 of the 2 models)"  # a tie goes to torch
    assert faster_runtime(table[table["format"] != "onnx"], 1) == "(not measured)"


def test_missing_benchmark_and_model_are_errors_naming_the_fix(tmp_path):
    with pytest.raises(UserError, match="scripts/bench_models.py"):
        read_bench(tmp_path)
    (tmp_path / "0123456789abcdef.safetensors").write_bytes(b"")
    with pytest.raises(UserError, match="there are: 0123456789abcdef"):
        model_path("fedcba9876543210", tmp_path)


def test_a_damaged_committed_model_is_named_in_one_line(bench, tmp_path):
    """A copy of a committed model with its header cut: the error names the file and how to restore it."""
    table, _ = bench
    run = table[table["format"] == "compact"]["run"].iloc[0]
    (tmp_path / f"{run}.safetensors").write_bytes(model_path(run).read_bytes()[:40])
    with pytest.raises(UserError, match=f"committed compact model {tmp_path / run}.safetensors: .*git checkout"):
        load_model(run, tmp_path)


def test_the_copy_free_path_gives_the_row_major_logits_on_every_committed_model(bench):
    """The batch path (heads at their own widths, activations feature-major) computes what the row-major one
    does, on each committed compact model, within the export's tolerance."""
    table, _ = bench
    generator = torch.Generator().manual_seed(0)
    sparse_hidden = []
    for run in table[table["format"] == "compact"]["run"].unique():
        model = load_model(run)
        x = torch.randn(64, model.shape.joints, model.shape.in_features, generator=generator)
        with torch.no_grad():
            torch.testing.assert_close(model.batched(x), model.row_major(x), atol=1e-5, rtol=0)
        sparse_hidden.append(model.batched.hidden_csr is not None)
    assert any(sparse_hidden) and not all(sparse_hidden)  # both hidden-layer products are checked


def test_the_rate_explorer_matches_the_committed_multi_rate_runs():
    """The explorer's accuracy at each training rate is the committed multi_rate run's (the same model cut the
    same way), its counts shrink as the rate rises, and its page fragment embeds every rate."""
    from gcnprune.book.report.rate_explorer import explorer_html, read_explorer

    data = read_explorer()
    assert data is not None and len(data["rates"]) == len(data["accuracy"]) == len(data["joint_share"])
    runs = [json.loads((folder / "config.json").read_text()) | {"folder": folder}
            for folder in DEFAULT_RESULTS.iterdir() if (folder / "config.json").is_file()]  # fmt: skip
    checked = 0
    for config in runs:
        if (config["method"], config["dataset"], config["fold"], config["seed"]) != ("multi_rate", "sbu", 0, 0):
            continue
        if config["parent"] != data["run"] or config["rate"] not in data["rates"]:
            continue
        accuracy = json.loads((config["folder"] / "metrics.json").read_text())["accuracy"]
        assert data["accuracy"][data["rates"].index(config["rate"])] == accuracy
        checked += 1
    assert checked >= 5  # the training rates
    assert data["kept_weights"] == sorted(data["kept_weights"], reverse=True)
    page = explorer_html(data)
    assert page.count("<circle") == len(data["skeleton"]["x"]) and 'type="range"' in page
