"""The compact SBU models committed under ``models/sbu/`` and the benchmark that measured them.

``scripts/bench_models.py`` exports the dense run, MP, PMP and TC at 0.9, 0.98 and 0.99, and head-aware MP keeping a
share of the attention heads at 0.98 and 0.99, on SBU's first fold
(:func:`gcnprune.book.chapters.grids.bench_grids`) to ``models/sbu/<run>.safetensors`` and writes
``models/sbu/bench.json`` (:func:`gcnprune.deploy.bench.bench_record`). The book's "what pruning buys" chapter reads
these files only: it neither trains nor needs the data, except to classify real sequences.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from gcnprune.data import dataset_info
from gcnprune.deploy.compact import CompactGCN, load_compact
from gcnprune.deploy.compaction import structure_summary
from gcnprune.errors import UserError
from gcnprune.experiments.cache import stored_config
from gcnprune.experiments.repo import DEFAULT_RESULTS, REPO_ROOT
from gcnprune.experiments.runner import build

from ..names import readable

MODELS_DIR = REPO_ROOT / "models" / "sbu"
BENCH_FILE = "bench.json"


def read_bench(folder: str | os.PathLike[str] = MODELS_DIR) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The benchmark's rows (one per run and format, as :func:`gcnprune.deploy.bench.bench_runs` made them) and
    its record of the machine and timing settings; a missing file is a UserError naming the command."""
    path = Path(folder) / BENCH_FILE
    if not path.is_file():
        raise UserError(f"no benchmark at {path}; `python scripts/bench_models.py --data <SBU folder>` measures it")
    record = json.loads(path.read_text())
    return pd.DataFrame(record["runs"]), {k: v for k, v in record.items() if k != "runs"}


def model_path(run: str, folder: str | os.PathLike[str] = MODELS_DIR) -> Path:
    """The committed compact model of ``run``; a run without one is a UserError listing those there are."""
    path = Path(folder) / f"{run}.safetensors"
    if not path.is_file():
        there = sorted(p.stem for p in Path(folder).glob("*.safetensors"))
        raise UserError(f"no compact model of run {run} in {folder}; there are: {', '.join(there) or 'none'}")
    return path


def load_model(run: str, folder: str | os.PathLike[str] = MODELS_DIR) -> CompactGCN:
    """The committed compact model of ``run`` (torch alone: :func:`gcnprune.deploy.compact.load_compact`)."""
    try:
        return load_compact(model_path(run, folder))
    except ValueError as error:  # names the file and what is wrong with it
        raise UserError(f"committed compact model {error}; restore it with git checkout -- models/") from None


def unit_table(bench: pd.DataFrame, folder: str | os.PathLike[str] = MODELS_DIR) -> pd.DataFrame:
    """Kept / dense units of every kind (heads, channels, hidden units…) in each benchmarked compact
    model, one column per run, labelled by method and rate."""

    rows = bench[bench["format"].isin(["compact"])].drop_duplicates("run")
    columns = {}
    for row in rows.itertuples():
        summary = structure_summary(load_model(row.run, folder))
        name = "dense" if row.method == "dense" else f"{readable(row.method)} {row.rate:g}"
        columns[name] = {kind: f"{kept:,} / {dense:,}" for kind, (dense, kept) in summary.items()}
    return pd.DataFrame(columns)


def test_sequences(
    model: CompactGCN, data_root: str | os.PathLike[str] | None, results: str | os.PathLike[str] | None = None
) -> tuple[torch.Tensor, torch.Tensor, tuple[str, ...]]:
    """The node signals, labels and class names of the test sequences of the run ``model`` came from
    (its fold of SBU, as its training saw them): the data's folder is needed, the weights are not."""

    config = stored_config(model.source["run"], results or DEFAULT_RESULTS)
    _, trainer = build(config, str(data_root) if data_root is not None else None, False)
    return trainer.signals(trainer.test_x), trainer.test_y, tuple(dataset_info(config.dataset).class_names)


def _range(values: pd.Series, digits: int = 1, unit: str = "×") -> str:
    """``1.5×`` or ``1.5–2.0×``: the span of ``values``."""
    low, high = round(float(values.min()), digits), round(float(values.max()), digits)
    return f"{low:.{digits}f}{unit}" if low == high else f"{low:.{digits}f}–{high:.{digits}f}{unit}"


HEADS = "head"  # in the labels of the runs that remove whole heads: head_magnitude, and head_share variants


def rate_only(bench: pd.DataFrame) -> pd.DataFrame:
    """The rows of the runs that prune by a weight rate alone (none that removes whole heads first)."""
    return bench[~bench["method"].str.contains(HEADS)]


def faster_runtime(bench: pd.DataFrame, batch: int) -> str:
    """Which runtime runs the compact models faster at ``batch`` (1 or 64), torch or onnxruntime, and on how many
    of the models both ran."""
    if not {"run", f"latency_{batch}"} <= set(bench.columns):
        return "(not measured)"
    times = bench[bench["method"] != "dense"].pivot_table(index="run", columns="format", values=f"latency_{batch}")
    times = times.dropna(subset=[f for f in ("compact", "onnx") if f in times.columns])
    if not {"compact", "onnx"} <= set(times.columns) or times.empty:
        return "(not measured)"
    onnx = int((times["onnx"] < times["compact"]).sum())
    runtime, wins = ("onnxruntime", onnx) if 2 * onnx > len(times) else ("torch", len(times) - onnx)
    return f"{runtime} (faster on {wins} of the {len(times)} models)"


def bench_facts(bench: pd.DataFrame, record: dict[str, Any], rate: float = 0.99) -> dict[str, str]:
    """The numbers the chapter's prose cites, as text keyed for ``glue``: the machine, and at ``rate``
    the rate-only methods' compact models' size and speed ratios to dense, their physical limit, and the masked
    networks', and which runtime is the faster at each batch size."""
    runtimes = {f"pb_runtime_{b}": faster_runtime(bench, b) for b in (1, 64)}
    bench = rate_only(bench)
    compact = bench[(bench["format"] == "compact") & (bench["rate"] == rate)]
    onnx = bench[(bench["format"] == "onnx") & (bench["rate"] == rate)]
    masked = bench[bench["format"] == "masked"]
    best = compact.loc[compact["latency_64_ratio"].idxmax()] if len(compact) else None
    machine = record["machine"]
    return {
        "pb_machine": f"{machine['processor']}, one thread, torch {machine['torch']}, load average "
                      f"{machine['load_average'][0]:.2f}; medians of {record['repeats']} calls",
        "pb_rate": f"{rate:g}",
        "pb_bytes": _range(compact["bytes_ratio"]) if len(compact) else "(not measured)",
        "pb_b64": _range(compact["latency_64_ratio"], 2) if len(compact) else "(not measured)",
        "pb_b1": _range(compact["latency_1_ratio"], 2) if len(compact) else "(not measured)",
        "pb_limit": _range(compact["macs_limit_ratio"]) if len(compact) else "(not measured)",
        "pb_macs": _range(compact["macs_ratio"]) if len(compact) else "(not measured)",
        "pb_best": "(not measured)" if best is None
        else f"{readable(best['method'])} ({best['latency_64_ratio']:.2f}×)",
        "pb_onnx_b1": _range(onnx["latency_1_ratio"], 2) if len(onnx) else "(not measured)",
        "pb_onnx_b64": _range(onnx["latency_64_ratio"], 2) if len(onnx) else "(not measured)",
        "pb_masked_b64": _range(masked["latency_64_ratio"], 2) if len(masked) else "(not measured)",
        "pb_masked_b1": _range(masked["latency_1_ratio"], 2) if len(masked) else "(not measured)",
        **runtimes,
    }  # fmt: skip


def _model_text(row: pd.Series) -> str:
    """A compact model as the prose names it: method (readable), rate, accuracy and speed-ups (batch 64 and 1 in
    steady state, and batch 64 cold)."""
    return (
        f"{readable(row['method'])} at {row['rate']:g} ({100 * row['accuracy']:.1f} %, "
        f"{row['latency_64_ratio']:.2f}× the dense speed at batch 64, {row['latency_1_ratio']:.2f}× at batch 1; "
        f"{row['cold_latency_64_ratio']:.2f}× at batch 64 cold)"
    )


def fastest_within(bench: pd.DataFrame, points: float) -> pd.Series | None:
    """The compact model fastest at batch 64 among those within ``points`` of the dense network's accuracy."""
    dense = 100 * bench.loc[bench["method"] == "dense", "accuracy"].iloc[0]
    compact = bench[(bench["format"] == "compact") & (bench["method"] != "dense")]
    close = compact[100 * compact["accuracy"] >= dense - points]
    return close.loc[close["latency_64_ratio"].idxmax()] if len(close) else None


def head_facts(bench: pd.DataFrame, within: tuple[float, ...] = (2.0, 5.0)) -> dict[str, str]:
    """What removing whole heads buys, as text keyed for ``glue``: the dense accuracy, and for each margin in
    ``within`` the fastest compact model within it of the dense accuracy, of all the methods and of the rate-only
    ones; and the fastest head-aware model at each of its rates."""
    facts = {"ph_dense": f"{100 * bench.loc[bench['method'] == 'dense', 'accuracy'].iloc[0]:.1f} %"}
    for points in within:
        key = f"{points:g}".replace(".", "_")
        best, rate_best = fastest_within(bench, points), fastest_within(rate_only(bench), points)
        facts[f"ph_within_{key}"] = _model_text(best) if best is not None else "none"
        facts[f"ph_rate_within_{key}"] = _model_text(rate_best) if rate_best is not None else "none"
    heads = bench[(bench["format"] == "compact") & bench["method"].str.contains(HEADS)]
    for rate, rows in heads.groupby("rate"):
        facts[f"ph_fastest_{rate:g}".replace(".", "_")] = _model_text(rows.loc[rows["latency_64_ratio"].idxmax()])
    return facts


def dense_run(folder: str | os.PathLike[str] = MODELS_DIR) -> tuple[str, dict[str, Any]] | None:
    """The benchmark's dense run (its hash and its row: fold, seed, accuracy), whose trained network is committed
    in full as a compact model; None without a benchmark."""
    if not (Path(folder) / BENCH_FILE).is_file():
        return None
    bench, _ = read_bench(folder)
    rows = bench[bench["method"] == "dense"]
    return (str(rows["run"].iloc[0]), rows.iloc[0].to_dict()) if len(rows) else None


def trained_dense_weights(compact: CompactGCN) -> dict[str, torch.Tensor]:
    """The prunable weights of the dense GCN a compact model was exported from, layer by layer (the names of
    :func:`gcnprune.masks.latent_weights`), where export removed nothing: the fused projection split back
    into query (whose 1/√d scale export folded in is undone), key, value and adjacency-value weights, then
    the graph convolution's and the hidden layer's. A model that export pruned is a ValueError."""
    s, dense = compact.structure, compact.structure["dense"]
    heads, d = dense["heads"], dense["head_channels"]
    full = (len(s["heads"]) == heads and all(len(c) == d for c in s["qk_channels"] + s["value_channels"])
            and len(s["adjacency_channels"]) == dense["adjacency_channels"])  # fmt: skip
    if not full or compact.shape.in_features != dense["in_features"]:
        raise ValueError("this compact model was pruned: its dense weights cannot be recovered from it")
    p, width = compact.projection.weight, heads * d
    return {
        "attention.query": p[:width] * d**0.5,
        "attention.key": p[width : 2 * width].clone(),
        "attention.value": p[2 * width : 3 * width].clone(),
        "attention.adjacency_value": p[3 * width :].clone(),
        "graph_conv.linear": compact.graph.weight.clone(),
        "hidden": compact.hidden.weight.clone(),
    }
