"""Compact export: the compact model computes the masked network's logits (random masks on a tiny GCN,
each folding rule on hand-made masks, smoke runs of MP and TC up to a very high rate), its file
(safetensors layout, dense or CSR matrices, smaller than the state dict, loadable without the training
code in a fresh process), recomputing runs that saved no weights, and ``gcnprune export``."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import OrderedDict

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save as save_safetensors
from smoke_runs import smoke
from test_methods_topological import CHANNELS, FEATURES, HEADS, full, tiny

from gcnprune.cli import main
from gcnprune.deploy.compact import CompactGCN, load_compact
from gcnprune.deploy.compaction import compact_model, removed_units, structure_summary
from gcnprune.deploy.export import check_logits, export_run
from gcnprune.deploy.tensor_file import (
    checksum,
    from_csr,
    index_dtype,
    pack_matrix,
    read_tensors,
    to_csr,
    write_tensors,
)
from gcnprune.errors import UserError
from gcnprune.experiments import load_run, run
from gcnprune.experiments.cache import stored_config
from gcnprune.masks import Mask, set_mask
from gcnprune.unit_graph import consistent, layer_shapes

TOLERANCE = 1e-5


def randomised(seed: int, prune_classifier: bool = True, adjacency_head: bool = True):
    """The tiny GCN with standard-normal weights and biases (so that no bias is zero and logits are large)."""
    model = tiny(prune_classifier=prune_classifier, adjacency_head=adjacency_head, seed=seed)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_()
    return model


def masked(model, masks):
    set_mask(model, Mask(masks))
    return model.eval()


def assert_same_logits(model, compact, x: torch.Tensor) -> None:
    """Logits equal to 1e-5 on a tall batch (the CSR products) and one sequence at a time (dense ones)."""
    with torch.no_grad():
        for batch in (x, x[:1]):
            torch.testing.assert_close(compact(batch), model(batch), atol=TOLERANCE, rtol=0)


# --- the compact model computes the masked network ------------------------------------------------


@pytest.mark.parametrize("adjacency_head", [True, False])
def test_random_masks_at_every_density_give_the_masked_logits(adjacency_head):
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(50, 3, FEATURES, generator=generator)
    for trial in range(120):
        model = randomised(trial, adjacency_head=adjacency_head)
        density = (0.0, 0.03, 0.1, 0.3, 0.6, 1.0)[trial % 6]
        masks = OrderedDict(
            (n, (torch.rand(m.shape, generator=generator) < density).float()) for n, m in full(model).items()
        )
        compact = compact_model(masked(model, masks))
        assert_same_logits(model, compact, x)
        assert_same_logits(model, CompactGCN.from_bytes(compact.to_bytes()), x)


def test_everything_pruned_leaves_the_folded_biases():
    model = masked(randomised(1), OrderedDict((n, torch.zeros_like(m)) for n, m in full(randomised(1)).items()))
    compact = compact_model(model)
    assert compact.hidden_units == 0 and removed_units(compact) == sum(
        d for d, _ in structure_summary(compact).values()
    )
    x = torch.randn(4, 3, FEATURES)
    assert_same_logits(model, compact, x)
    assert torch.equal(compact(x)[0], compact(x)[3])  # constant logits


def path_masks(model):
    """One path: head 0's value channel 0 reads feature 0, its query/key channel 1 reads features 2 and 1,
    graph channel 0 reads value channel 0, hidden unit 0 reads graph channel 0 at joint 1; the rest pruned."""
    masks = OrderedDict((n, torch.zeros_like(m)) for n, m in full(model).items())
    masks["attention.value"][0, 0] = 1
    masks["attention.query"][1, 2] = 1
    masks["attention.key"][1, 1] = 1
    masks["graph_conv.linear"][0, 0] = 1
    masks["hidden"][0, 1 * 2 + 0] = 1  # (joint 1, graph channel 0)
    return masks


def test_one_path_keeps_exactly_its_units():
    model = masked(randomised(2, prune_classifier=False), path_masks(randomised(2, prune_classifier=False)))
    compact = compact_model(model)
    s = compact.structure
    assert (s["heads"], s["qk_channels"], s["value_channels"]) == ([0], [[1]], [[0]])
    assert (s["adjacency_channels"], s["graph_channels"], s["hidden_units"], s["in_features"]) == (
        [],
        [0],
        [0],
        [0, 1, 2],
    )
    assert_same_logits(model, compact, torch.randn(40, 3, FEATURES))


@pytest.mark.parametrize(
    "case",
    [
        "constant key",
        "constant query",
        "uniform attention",
        "constant value",
        "constant adjacency channel",
        "constant graph channel",
        "constant hidden unit",
    ],
)
def test_each_folding_rule_is_exact(case):
    """Hand-made masks for each rule of export's docstring, on top of the full network."""
    model = randomised(3)
    masks = full(model)
    d = CHANNELS
    if case == "constant key":  # key 0 of head 0 constant: the pair leaves, softmax ignores its row constant
        masks["attention.key"][0] = 0
    elif case == "constant query":  # query 0 of head 0 constant: its bias still meets varying keys, it stays
        masks["attention.query"][0] = 0
    elif case == "uniform attention":  # every key of head 1 constant: the head attends uniformly
        masks["attention.key"][d : 2 * d] = 0
    elif case == "constant value":
        masks["attention.value"][d] = 0
    elif case == "constant adjacency channel":  # folded through Â²1
        masks["attention.adjacency_value"][1] = 0
    elif case == "constant graph channel":
        masks["graph_conv.linear"][1] = 0
    else:
        masks["hidden"][2] = 0
    compact = compact_model(masked(model, masks))
    s = compact.structure
    expected = {
        "constant key": lambda: s["qk_channels"][0] == [1],
        "constant query": lambda: s["qk_channels"][0] == [0, 1],
        "uniform attention": lambda: s["qk_channels"][1] == [] and s["value_channels"][1] == [0, 1],
        "constant value": lambda: s["value_channels"][1] == [1],
        "constant adjacency channel": lambda: (
            s["adjacency_channels"] == [0] and bool(compact.graph_bias[1].abs().sum() > 0)
        ),
        "constant graph channel": lambda: s["graph_channels"] == [0],
        "constant hidden unit": lambda: s["hidden_units"] == [0, 1],
    }
    assert expected[case](), s
    assert_same_logits(model, compact, torch.randn(40, 3, FEATURES))


def test_export_keeps_exactly_the_consistent_weights():
    """The compact model's prunable weights are the unit graph's accessible and co-accessible ones."""
    generator = torch.Generator().manual_seed(5)
    for trial in range(40):
        model = randomised(trial, prune_classifier=False)
        masks = OrderedDict(
            (n, (torch.rand(m.shape, generator=generator) < 0.3).float()) for n, m in full(model).items()
        )
        compact = compact_model(masked(model, masks))
        useful = int(sum(m.sum() for m in consistent(masks, layer_shapes(model), HEADS).values()))
        assert compact.projection.nonzero + compact.graph.nonzero + compact.hidden.nonzero == useful


# --- the file ---------------------------------------------------------------------------------------


def test_tensor_file_is_written_by_safetensors_and_read_by_any_reader(tmp_path):
    tensors = {"a": torch.arange(6, dtype=torch.float32).view(2, 3), "b": torch.tensor([1, 2], dtype=torch.int16),
               "empty": torch.zeros(0, 4)}  # fmt: skip
    data = write_tensors(tensors, {"note": "hi"})
    path = tmp_path / "t.safetensors"
    path.write_bytes(data)
    with safe_open(str(path), framework="pt") as reader:  # the library's own reader, as any user's
        assert json.loads(reader.metadata()["gcnprune"]) == {"note": "hi", "sha256": checksum(tensors)}
        assert all(torch.equal(reader.get_tensor(k), v) for k, v in tensors.items())
    back, meta = read_tensors(data)
    assert meta == {"note": "hi"} and all(torch.equal(back[k], v) for k, v in tensors.items())
    assert write_tensors(tensors, {"note": "hi"}) == data  # the same bytes from one write to the next
    assert checksum({**tensors, "a": tensors["a"].view(3, 2)}) != checksum(tensors)  # a reshape is a change
    with pytest.raises(ValueError, match="not a safetensors file"):
        read_tensors(data[:-2])
    with pytest.raises(ValueError, match="holds no gcnprune metadata"):
        read_tensors(save_safetensors(tensors, {"note": "hi"}))
    with pytest.raises(ValueError, match="holds no checksum"):
        read_tensors(save_safetensors(tensors, {"gcnprune": '{"note": "hi"}'}))


def test_a_flipped_byte_or_a_broken_header_names_the_compact_file(exported, tmp_path):
    path = tmp_path / "model.safetensors"
    path.write_bytes(exported["topological", 0.9].path.read_bytes())
    data = bytearray(path.read_bytes())
    data[-5] ^= 0x40  # one bit of one weight
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=f"{path}: its tensor data does not match the checksum"):
        load_compact(path)
    path.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json")
    with pytest.raises(ValueError, match=f"{path}: not a safetensors file"):
        load_compact(path)


def test_matrices_are_stored_dense_or_csr_whichever_is_smaller():
    sparse = torch.zeros(20, 300)
    sparse[3, 299] = 1.5
    sparse[7, 4] = -2.0
    form, packed = pack_matrix("w", sparse)
    assert form == "csr" and packed["w.columns"].dtype == torch.int16 and packed["w.row_pointers"].dtype == torch.uint8
    assert torch.equal(from_csr(packed["w.values"], packed["w.columns"], packed["w.row_pointers"], (20, 300)), sparse)
    assert pack_matrix("w", torch.randn(4, 4))[0] == "dense"
    assert (index_dtype(255), index_dtype(256), index_dtype(40000)) == (torch.uint8, torch.int16, torch.int32)
    assert to_csr(torch.zeros(0, 3))["row_pointers"].tolist() == [0]


# --- smoke runs: MP, TC, a very high rate ---------------------------------------------------------


@pytest.fixture(scope="module")
def exported(shared):
    """Exports of smoke runs, by (method, rate): written files and the in-memory results."""
    out = {}
    for method, rate in (("magnitude", 0.9), ("topological", 0.9), ("magnitude", 0.999), ("topological", 0.99)):
        config = smoke(method, rate)
        run(config, shared)
        out[method, rate] = export_run(config.run_hash(), shared, out=shared / f"{method}-{rate}.safetensors")
    return out


def dense_bytes(export) -> int:
    """The size of the dense parent's state dict (its model.pt), the file the compact one replaces."""
    return (export.path.parent / export.config.parent().run_hash() / "model.pt").stat().st_size


@pytest.mark.parametrize("key", [("magnitude", 0.9), ("topological", 0.9), ("magnitude", 0.999), ("topological", 0.99)])
def test_smoke_exports_give_the_masked_logits_on_every_test_sequence(exported, key):
    export = exported[key]
    signals = export.trainer.signals(export.trainer.test_x)
    assert export.logit_gap <= TOLERANCE
    with torch.no_grad():
        assert_same_logits(export.model, load_compact(export.path), signals)
        compact = load_compact(export.path)
        if compact.hidden_units:  # both paths, whatever the batch's size
            assert_same_logits(export.model, compact.batched, signals)
            assert_same_logits(export.model, compact.row_major, signals)
        for sequence in signals:  # one at a time too
            torch.testing.assert_close(load_compact(export.path)(sequence[None]), export.model(sequence[None]),
                                       atol=TOLERANCE, rtol=0)  # fmt: skip
    assert export.path.stat().st_size < dense_bytes(export)
    assert export.compact.source["run"] == export.config.run_hash()


@pytest.mark.parametrize("key", [("magnitude", 0.9), ("topological", 0.9), ("magnitude", 0.999), ("topological", 0.99)])
def test_export_removes_exactly_the_dangling_weights_a_run_reports(exported, shared, key):
    """TC, which leaves no dangling weight, keeps every weight it kept; MP loses its dangling fraction."""
    export = exported[key]
    metrics = load_run(export.config, shared)
    kept = export.compact.projection.nonzero + export.compact.graph.nonzero + export.compact.hidden.nonzero
    assert kept == round(metrics["prunable_nonzero"] * (1 - metrics["dangling_fraction"]))
    if key[0] == "topological":
        assert metrics["dangling_fraction"] == 0 and kept == metrics["prunable_nonzero"]


def test_a_very_high_rate_removes_more_and_a_smaller_file(exported):
    low, high = exported["magnitude", 0.9], exported["magnitude", 0.999]
    assert removed_units(high.compact) > removed_units(low.compact)
    assert high.path.stat().st_size < low.path.stat().st_size < dense_bytes(low) / 4


def test_compact_file_loads_in_a_fresh_process_without_the_training_code(exported, tmp_path):
    export = exported["topological", 0.9]
    signals = export.trainer.signals(export.trainer.test_x)
    with torch.no_grad():
        torch.save({"x": signals, "logits": export.model(signals)}, tmp_path / "expected.pt")
    code = (
        "import sys, torch\n"
        "from gcnprune.deploy.compact import load_compact\n"
        f"model = load_compact({str(export.path)!r})\n"
        f"expected = torch.load({str(tmp_path / 'expected.pt')!r})\n"
        "with torch.no_grad():\n"
        f"    torch.testing.assert_close(model(expected['x']), expected['logits'], atol={TOLERANCE}, rtol=0)\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('gcnprune'))\n"
        "assert loaded == ['gcnprune', 'gcnprune.deploy', 'gcnprune.deploy.compact', 'gcnprune.deploy.feature_major', "
        "'gcnprune.deploy.tensor_file', 'gcnprune.errors', 'gcnprune.outputs'], loaded\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


def test_check_logits_refuses_a_compact_model_that_computes_something_else(exported):
    export = exported["magnitude", 0.9]
    other = exported["topological", 0.9].compact
    with pytest.raises(RuntimeError, match="export removed structure that matters"):
        check_logits(export.model, other, export.trainer.signals(export.trainer.test_x))


# --- runs without weights, errors, the command line ------------------------------------------------


def test_export_recomputes_a_run_and_refuses_weights_that_are_not_its_own(exported, shared, tmp_path):
    config = exported["magnitude", 0.9].config
    copy = tmp_path / "results"
    for h in (config.run_hash(), config.parent().run_hash()):
        shutil.copytree(shared / h, copy / h)
    assert not (copy / config.run_hash() / "model.pt").exists()  # pruned runs keep no weights
    metrics_path = copy / config.run_hash() / "metrics.json"
    metrics = json.loads(metrics_path.read_text())
    metrics["accuracy"] += 0.01
    metrics_path.write_text(json.dumps(metrics))
    with pytest.raises(UserError, match="recomputed model's accuracy .* is not the .* metrics.json records"):
        export_run(config.run_hash(), copy)


def test_run_config_names_a_bad_or_missing_run(shared):
    with pytest.raises(UserError, match="not a run hash"):
        stored_config("nope", shared)
    with pytest.raises(UserError, match="no run 0123456789abcdef in"):
        stored_config("0123456789abcdef", shared)


def test_cli_export_writes_the_file_and_prints_the_structure(exported, shared, tmp_path, capsys):
    config = exported["topological", 0.99].config
    out = tmp_path / "tc.safetensors"
    assert main(["export", config.run_hash(), "--results", str(shared), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "attention heads" in printed and f"wrote {out}" in printed
    assert out.read_bytes() == exported["topological", 0.99].compact.to_bytes()
    assert main(["export", config.run_hash(), "--results", str(shared), "--out", str(tmp_path / "no" / "x")]) == 1
    assert "does not exist" in capsys.readouterr().err


@pytest.mark.parametrize("key", [("magnitude", 0.9), ("topological", 0.99)])
def test_onnx_export_runs_under_onnxruntime_with_the_masked_logits(exported, shared, tmp_path, capsys, key):
    pytest.importorskip("onnxruntime")
    from gcnprune.deploy.onnx_export import OnnxModel

    export = exported[key]
    out = tmp_path / "model.onnx"
    command = ["export", export.config.run_hash(), "--results", str(shared), "--format", "onnx", "--out", str(out)]
    assert main(command) == 0
    assert f"wrote {out}" in capsys.readouterr().out and "under onnxruntime" not in capsys.readouterr().err
    signals = export.trainer.signals(export.trainer.test_x)
    with torch.no_grad():
        expected = export.model(signals)
    onnx = OnnxModel(out)
    for batch in (signals, signals[:1]):  # the batch dimension is free
        torch.testing.assert_close(onnx(batch), expected[: len(batch)], atol=TOLERANCE, rtol=0)
