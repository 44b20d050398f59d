"""The benchmark's counts, checked by hand on the tiny GCN (parameters, multiply-adds, minimal
multiply-adds), and ``gcnprune bench`` on smoke runs: its table and JSON, never its timings."""

from __future__ import annotations

import json

import pytest
import torch
from smoke_runs import smoke
from test_export import masked, path_masks, randomised
from test_methods_topological import tiny

from gcnprune.cli import main
from gcnprune.deploy.bench import (  # fmt: skip
    batch_of,
    bench_runs,
    compact_macs,
    compact_parameters,
    gcn_macs,
    median_latencies,
    minimal_macs,
    state_dict_bytes,
)
from gcnprune.deploy.compact import load_compact
from gcnprune.deploy.compaction import compact_model
from gcnprune.errors import UserError
from gcnprune.experiments import run


def test_dense_multiply_adds_of_the_tiny_gcn_by_hand():
    # 3 joints, 3 features, 2 heads × 2 channels + the adjacency head's 2, 2 graph channels, 3 hidden, 2 classes
    projections = 3 * 3 * (3 * 4 + 2)  # n F (3Hd + d): query, key, value, adjacency value
    attention = 2 * 2 * 3 * 3 * 2 + 3 * 3 * 2  # scores and A V for each head (n² d each), Â V_A
    graph = 3 * 6 * 2 + 3 * 3 * 2  # U W_Gᵀ over the 6 concatenated channels, then Â
    hidden, classifier = 3 * 2 * 3, 3 * 2
    assert projections + attention + graph + hidden + classifier == 294
    assert gcn_macs(tiny()) == 294
    assert gcn_macs(tiny(adjacency_head=False)) == 3 * 3 * 12 + 2 * 2 * 9 * 2 + 3 * 4 * 2 + 9 * 2 + 18 + 6


def test_compact_counts_of_one_path_by_hand():
    """The one-path network of test_export: one head with one query/key and one value channel, one graph
    channel, one hidden unit, the 2 × 1 classifier column."""
    model = masked(randomised(2, prune_classifier=False), path_masks(randomised(2, prune_classifier=False)))
    compact = compact_model(model)
    # minimal: n × (3 projection + 1 graph nonzeros) + 1 hidden + 2 classifier + n² × (1 qk + 1 value + 1 graph channel)
    assert minimal_macs(compact) == 3 * 4 + 1 + 2 + 9 * 3 == 42
    # executed at batch 64: every layer is too dense for CSR (3 of 9, 1 of 1, 1 of 3, 2 of 2), so
    # n × 9 projection + n × 1 graph + 3 hidden + 2 classifier + n² × (1 + 1) attention + n² × 1 Â mixing
    assert compact_macs(compact, 64) == 27 + 3 + 3 + 2 + 18 + 9 == 62
    # stored: the projection (3 of 9) and hidden (1 of 3) as CSR, graph (1 × 1) and classifier (2 × 1) dense;
    # biases: 3 projection, 2 × 1 graph rows, 1 hidden, 2 classifier
    assert compact_parameters(compact) == (3 + 1 + 1 + 2) + (3 + 2 + 1 + 2) == 15


def test_compact_counts_of_the_full_network_match_the_dense_ones():
    model = tiny()
    compact = compact_model(model)
    assert compact_macs(compact, 64) == minimal_macs(compact) == gcn_macs(model)
    # weights and biases, the graph convolution's bias twice (its Â1 and Â²1 rows)
    assert compact_parameters(compact) == model.parameter_count() + model.config.graph_channels


def test_nothing_left_counts_nothing():
    model = masked(
        randomised(1), {n: torch.zeros_like(layer.weight) for n, layer in randomised(1).prunable_layers().items()}
    )
    compact = compact_model(model)
    assert compact_macs(compact) == minimal_macs(compact) == 0
    assert compact_parameters(compact) == model.classifier.out_features  # the folded classifier bias


def test_timing_helpers():
    signals = torch.arange(3.0).view(3, 1, 1)
    assert batch_of(signals, 7).flatten().tolist() == [0, 1, 2, 0, 1, 2, 0]
    calls = []
    first, second = (lambda x: calls.append(("first", x))), (lambda x: calls.append(("second", x)))
    times = median_latencies([first, second], [signals], repeats=5, warmup=2)  # cold: one call each in turn
    assert len(times) == 2 and min(times) >= 0 and [c for c, _ in calls] == ["first", "second"] * 7
    calls.clear()
    copies = [signals.clone(), signals.clone()]
    median_latencies([first, second], copies, repeats=4, warmup=1)  # steady: a network's calls in a row
    assert [c for c, _ in calls] == (["first"] * 2 + ["second"] * 2) * 3  # 1 warm-up round, 2 timed ones
    assert [x is copies[i % 2] for i, (_, x) in enumerate(calls)] == [True] * 12  # a new batch each call
    with pytest.raises(UserError, match="at least one timed repetition"):
        median_latencies([first], [signals], repeats=0, warmup=0)
    with pytest.raises(UserError, match="and a batch"):
        median_latencies([first], [], repeats=1, warmup=0)
    assert state_dict_bytes(tiny()) > 4 * tiny().parameter_count()


@pytest.fixture(scope="module")
def runs(shared):
    configs = {"dense": smoke("dense", 0.0), "mp": smoke("magnitude", 0.9), "tc": smoke("topological", 0.99)}
    for config in configs.values():
        run(config, shared)
    return {k: c.run_hash() for k, c in configs.items()}


def test_bench_puts_each_run_beside_its_dense_one(runs, shared):
    table = bench_runs([runs["mp"], runs["tc"]], shared, repeats=3, warmup=1)
    assert list(table["format"]) == ["masked", "compact", "masked", "compact"]
    assert list(table["run"]) == [runs["mp"]] * 2 + [runs["tc"]] * 2
    dense_macs = table["macs"][0]
    assert (table["macs_ratio"] * table["macs"] - dense_macs).abs().max() < 1e-6 * dense_macs
    masked_rows = table[table["format"] == "masked"]
    assert (masked_rows["macs_ratio"] == 1).all() and (masked_rows["parameters_ratio"] == 1).all()
    compact_rows = table[table["format"] == "compact"]
    assert (compact_rows["bytes_ratio"] > 1).all() and (compact_rows["parameters_ratio"] > 1).all()
    assert (table["latency_1"] > 0).all() and (table["latency_64"] > 0).all()
    assert (table["cold_latency_1"] > 0).all() and (table["cold_latency_64"] > 0).all()
    assert (compact_rows["macs_limit_ratio"] >= compact_rows["macs_ratio"]).all()  # executed ≥ minimal
    assert (table["logit_gap"] <= 1e-5).all()


def test_bench_times_the_onnx_file_beside_the_compact_model(runs, shared):
    pytest.importorskip("onnxruntime")
    table = bench_runs([runs["tc"]], shared, repeats=3, warmup=1, onnx=True)
    assert list(table["format"]) == ["masked", "compact", "onnx"]
    compact, onnx = table.iloc[1], table.iloc[2]
    assert onnx["parameters"] >= compact["parameters"] and onnx["latency_64"] > 0  # every matrix dense in ONNX
    assert onnx["macs"] >= compact["macs"] and onnx["logit_gap"] <= 1e-5


def test_cli_bench_prints_the_table_and_writes_json(runs, shared, tmp_path, capsys):
    out = tmp_path / "bench.json"
    models = tmp_path / "models"
    args = [
        "bench",
        runs["dense"],
        runs["tc"],
        "--results",
        str(shared),
        "--repeats",
        "2",
        "--warmup",
        "0",
        "--json",
        str(out),
    ]
    assert main([*args, "--models", str(models)]) == 0
    assert sorted(p.name for p in models.iterdir()) == sorted(f"{runs[k]}.safetensors" for k in ("dense", "tc"))
    assert load_compact(models / f"{runs['tc']}.safetensors").source["run"] == runs["tc"]
    printed = capsys.readouterr().out
    assert "limit×" in printed and f"wrote {out}" in printed
    record = json.loads(out.read_text())
    assert record["machine"]["threads"] == 1 and record["repeats"] == 2
    rows = record["runs"]
    assert [(r["method"], r["format"]) for r in rows] == [
        ("dense", "dense"),
        ("dense", "compact"),
        ("topological", "masked"),
        ("topological", "compact"),
    ]
    assert rows[0]["bytes_ratio"] == rows[0]["macs_ratio"] == rows[0]["latency_64_ratio"] == 1.0
    assert main([*args[:3], "--repeats", "0"]) == 1
    assert "--repeats must be at least 1" in capsys.readouterr().err
