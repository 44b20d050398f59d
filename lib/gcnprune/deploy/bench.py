"""What pruning buys, measured: parameters, multiply-adds, bytes on disk and CPU latency of the dense
network, each pruned run's masked network and its compact model (:mod:`.compact`), side by side.

Multiply-adds are counted per sequence, for the products with weights and with attention (biases,
softmax and ReLU are left out). The dense GCN's, for n joints, F features, H heads of d channels
(plus the adjacency head's d), G graph channels, N hidden units and K classes:

    n F (3 H d + d)  +  2 H n² d + n² d  +  n (H + 1) d G + n² G  +  n G N  +  N K
    projections        attention, Â mixing   graph convolution     hidden    classifier

The masked network computes every one of them (its zeros included). The compact model's are those it
executes at batch 64 (nonzeros of CSR layers, every entry of dense ones, each head at its own width); the
*minimal* count keeps only nonzero weights and unpadded head channels, the physical limit of any
implementation of that network, so dense / minimal is the largest speed-up pruning can give.

Latency is the median wall time of one forward pass over many repetitions after a warm-up, on one
CPU thread, at batch 1 and batch 64 of the run's own test sequences, each run's networks timed in turns
with its dense one. It is taken in *steady state*, as a deployed model runs: each network is called
several times in a row, on a new batch in memory each time (its weights stay in cache, its input does
not). Called once right after the other networks instead (*cold*: caches filled by them, which costs a
small model most), the ``cold_`` figures. Timings are only as good as the machine is quiet: the JSON
records its load average.
"""

from __future__ import annotations

import io
import math
import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from torch import nn
from torch.nn.utils import parametrize

from gcnprune import __version__
from gcnprune.errors import UserError
from gcnprune.experiments.cache import load_run, stored_config
from gcnprune.experiments.repo import DEFAULT_RESULTS
from gcnprune.experiments.variants import label
from gcnprune.metrics import sparsity
from gcnprune.model import GCN

from .compact import FEATURE_MAJOR_FROM, CompactGCN
from .compaction import structure_summary
from .export import export_run
from .onnx_export import OnnxModel, onnx_bytes
from .tensor_file import matrix_format

BATCHES = (1, 64)
STEADY_COPIES = 8  # distinct copies of a batch that a network is called on in a row, in steady state


def gcn_macs(model: GCN) -> int:
    """Multiply-adds of one sequence through the dense GCN (the module docstring's formula)."""
    cfg = model.config
    n, features = model.graph_conv.adjacency.shape[0], model.attention.query.in_features
    h, d, g, hidden = cfg.heads, cfg.head_channels, cfg.graph_channels, cfg.hidden
    extra = d if cfg.adjacency_head else 0  # the adjacency head's channels
    projections = n * features * (3 * h * d + extra)
    attention = 2 * h * n * n * d + n * n * extra
    graph = n * (h * d + extra) * g + n * n * g
    return projections + attention + graph + n * g * hidden + hidden * model.classifier.out_features


def compact_macs(compact: CompactGCN, batch: int = 64) -> int:
    """Multiply-adds per sequence that the compact model executes at ``batch`` sequences a call."""
    s, n = compact.shape, compact.shape.joints
    if compact.hidden_units == 0:
        return 0
    if batch >= FEATURE_MAJOR_FROM:  # the copy-free path: heads at their own widths, the graph weights dense
        path = compact.batched
        projection = path.projection
        nonzero = int((projection != 0).sum()) if path.projection_csr is not None else projection.numel()
        widths = sum(scored + kept for _, scored, kept in path.heads)
        linear = n * (nonzero + path.graph.numel()) + path.hidden.numel() + compact.classifier.weight.numel()
        return linear + n * n * (widths + s.adjacency_channels + compact.graph_channels)
    rows = batch * n
    linear = (compact.projection.macs(rows) + compact.graph.macs(rows)) // batch
    linear += (compact.hidden.macs(batch) + compact.classifier.macs(batch)) // batch
    attention = s.heads * n * n * (s.qk_width + s.value_width) + n * n * s.adjacency_channels
    return linear + attention + n * n * compact.graph_channels


def minimal_macs(compact: CompactGCN) -> int:
    """Multiply-adds per sequence of the compact network with only its nonzero weights and unpadded
    head channels: the fewest any implementation of it needs."""
    s, n = compact.structure, compact.shape.joints
    if compact.hidden_units == 0:
        return 0
    head_channels = sum(map(len, s["qk_channels"])) + sum(map(len, s["value_channels"]))
    linear = (
        n * (compact.projection.nonzero + compact.graph.nonzero) + compact.hidden.nonzero + compact.classifier.nonzero
    )
    return linear + n * n * (head_channels + len(s["adjacency_channels"]) + compact.graph_channels)


def compact_parameters(compact: CompactGCN, dense: bool = False) -> int:
    """The numbers the compact file holds as weights and biases: every entry of a matrix stored dense,
    the nonzeros of one stored as CSR (the fixed adjacency Â and the indices are not parameters); with
    ``dense``, every entry of every matrix (the ONNX file, which has no CSR)."""
    weights = sum(matrix.numel() if dense or matrix_format(matrix) == "dense" else int((matrix != 0).sum())
                  for name, matrix in compact.stored_matrices().items() if name != "adjacency")  # fmt: skip
    biases = sum(
        b.numel() for b in (compact.projection.bias, compact.graph_bias, compact.hidden.bias, compact.classifier.bias)
    )
    return weights + biases


def state_dict_bytes(model: nn.Module) -> int:
    """Bytes of ``torch.save(model.state_dict())``: how the training code stores a network (``model.pt``)."""
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.getbuffer().nbytes


@torch.inference_mode()
def median_latencies(networks: Sequence[Callable[[torch.Tensor], torch.Tensor]], batches: Sequence[torch.Tensor],
                     repeats: int, warmup: int) -> list[float]:  # fmt: skip
    """Median seconds of one call of each network, over ``repeats`` timed calls after ``warmup`` untimed ones.
    In each round every network is called on each of ``batches`` in a row, then the next one: with one batch,
    each call follows the other networks' (cold caches); with several copies, a network's calls follow its own
    on a new batch each time (steady state). The rounds take the networks in turns, so that a load that
    changes while the benchmark runs slows them alike and their ratios hold better than their times."""
    if repeats < 1 or warmup < 0 or not batches:
        raise UserError(f"need at least one timed repetition, no negative warm-up and a batch, got {repeats}, "
                        f"{warmup} and {len(batches)} batches")  # fmt: skip
    rounds = -(-repeats // len(batches))
    for _ in range(-(-warmup // len(batches))):
        for forward in networks:
            for batch in batches:
                forward(batch)
    times: list[list[float]] = [[] for _ in networks]
    for _ in range(rounds):
        for forward, spent in zip(networks, times):
            for batch in batches:
                start = time.perf_counter()
                forward(batch)
                spent.append(time.perf_counter() - start)
    return [statistics.median(spent) for spent in times]


def batch_of(signals: torch.Tensor, size: int) -> torch.Tensor:
    """The first ``size`` sequences of ``signals``, repeated as often as needed to fill the batch."""
    if len(signals) == 0:
        raise UserError("the run has no test sequences to time the networks on")
    return signals.repeat((size + len(signals) - 1) // len(signals), 1, 1)[:size].contiguous()


def latencies(
    networks: Sequence[nn.Module | OnnxModel], signals: torch.Tensor, repeats: int, warmup: int, steady: bool = True
) -> list[dict[int, float]]:
    """Per network, its median latency in seconds at each batch size of :data:`BATCHES` (batches of the
    run's test ``signals``), timed in turns on one thread in evaluation mode (an ONNX model runs on one
    thread of its own runtime): in steady state, each network called on :data:`STEADY_COPIES` copies of the
    batch in a row, or ``steady=False``, cold, one call each in turn."""
    threads = torch.get_num_threads()
    modules = [network for network in networks if isinstance(network, nn.Module)]
    modes = [module.training for module in modules]
    torch.set_num_threads(1)
    try:
        for module in modules:
            module.eval()
        copies = STEADY_COPIES if steady else 1
        times = {b: median_latencies(networks, [batch_of(signals, b) for _ in range(copies)], repeats, warmup)
                 for b in BATCHES}  # fmt: skip
    finally:
        for module, mode in zip(modules, modes):
            module.train(mode)
        torch.set_num_threads(threads)
    return [{b: times[b][k] for b in BATCHES} for k in range(len(networks))]


@dataclass(frozen=True)
class Measurement:
    """One network of one run: its format ("dense", "masked", "compact" or "onnx": the compact model's ONNX
    file under onnxruntime), parameters, multiply-adds per sequence, bytes on disk and median latency in
    seconds at batch 1 and 64, in steady state and cold (the module docstring)."""

    format: str
    parameters: int
    macs: int
    bytes: int
    latency_1: float
    latency_64: float
    cold_latency_1: float
    cold_latency_64: float


def measurement(
    network: GCN | CompactGCN | OnnxModel, latency: dict[int, float], cold: dict[int, float]
) -> Measurement:
    """The counts of ``network`` (a GCN, masked or not, a compact model or its ONNX file under onnxruntime,
    every matrix dense there) with its measured ``latency`` in steady state and ``cold``."""
    times = (latency[1], latency[64], cold[1], cold[64])
    if isinstance(network, OnnxModel):
        if network.compact is None:
            raise ValueError("an ONNX model is measured with the compact model it was exported from")
        return Measurement("onnx", compact_parameters(network.compact, dense=True), compact_macs(network.compact, 1),
                           network.size, *times)  # fmt: skip
    if isinstance(network, CompactGCN):
        return Measurement("compact", compact_parameters(network), compact_macs(network, BATCHES[-1]),
                           len(network.to_bytes()), *times)  # fmt: skip
    masked = any(parametrize.is_parametrized(module) for module in network.modules())
    return Measurement("masked" if masked else "dense", sparsity(network)["params_dense"], gcn_macs(network),
                       state_dict_bytes(network), *times)  # fmt: skip


def dense_reference(run_hash: str, results: str | os.PathLike[str]) -> str:
    """The hash of the dense run that ``run_hash``'s figures are divided by (same data, fold, seed, widths)."""
    config = stored_config(run_hash, results)
    dense = config.with_method("dense")
    if load_run(dense, results) is None:
        raise UserError(f"run {run_hash} has no dense run {dense.run_hash()} in {results} to compare with; "
                        "run the dense method for its fold and seed first (gcnprune grid --methods dense)")  # fmt: skip
    return dense.run_hash()


def bench_runs(
    run_hashes: Sequence[str],
    results: str | os.PathLike[str] = DEFAULT_RESULTS,
    data_root: str | None = None,
    repeats: int = 200,
    warmup: int = 20,
    progress: bool = False,
    models: str | os.PathLike[str] | None = None,
    onnx: bool = False,
) -> pd.DataFrame:
    """One row per run and format, each figure beside its dense run's as a ratio (dense / this: how many
    times smaller or faster), and the physical limit dense / minimal multiply-adds (:func:`minimal_macs`).

    Every run is exported (:func:`~gcnprune.deploy.export.export_run`: recomputed, its compact model's logits
    checked), its file written to ``models/<hash>.safetensors`` when ``models`` is a folder. Each run's
    networks are timed in turns with its dense run's (:func:`median_latencies`), in steady state and cold, so
    each latency ratio compares times taken under the same load; ``dense_latency_*`` record the steady times.
    With ``onnx``, each compact model's ONNX file under onnxruntime is timed too (format "onnx"; it needs the
    onnx extra).
    """
    if not run_hashes:
        raise UserError("give at least one run hash to benchmark")
    references = {h: dense_reference(h, results) for h in run_hashes}
    folder = None if models is None else Path(models)
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    exports = {
        h: export_run(h, results, data_root, folder and folder / f"{h}.safetensors", progress)
        for h in dict.fromkeys([*references.values(), *run_hashes])
    }
    rows = []
    for h in run_hashes:
        export, dense = exports[h], exports[references[h]]
        networks = [dense.model] + ([export.model] if h != references[h] else []) + [export.compact]
        if onnx:
            networks.append(OnnxModel(onnx_bytes(export.compact), export.compact))
        signals = export.trainer.signals(export.trainer.test_x)
        times, cold = (latencies(networks, signals, repeats, warmup, steady) for steady in (True, False))
        measured = [measurement(network, t, c) for network, t, c in zip(networks, times, cold)]
        minimal = minimal_macs(export.compact)
        limit = gcn_macs(export.model) / minimal if minimal else math.inf  # nothing left to compute: constant logits
        for m in measured if h == references[h] else measured[1:]:
            row = {"run": h, "method": label(export.config), "rate": export.config.rate, "fold": export.config.fold,
                   "seed": export.config.seed, "accuracy": export.compact.source["accuracy"], **asdict(m)}  # fmt: skip
            for key in ("parameters", "macs", "bytes", "latency_1", "latency_64", "cold_latency_1", "cold_latency_64"):
                value = getattr(m, key)
                row[f"{key}_ratio"] = getattr(measured[0], key) / value if value else math.inf
            row["dense_latency_1"], row["dense_latency_64"] = measured[0].latency_1, measured[0].latency_64
            row["macs_limit_ratio"] = limit
            row["logit_gap"] = export.logit_gap
            row["units_kept"] = {kind: kept for kind, (_, kept) in structure_summary(export.compact).items()}
            rows.append(row)
    return pd.DataFrame(rows)


def machine() -> dict[str, Any]:
    """Where the timings were taken: processor, cores, load average, torch and library versions."""
    return {"processor": platform.processor() or platform.machine(), "cores": os.cpu_count(),
            "load_average": list(os.getloadavg()), "torch": torch.__version__, "gcnprune": __version__,
            "threads": 1, "python": platform.python_version()}  # fmt: skip


def bench_record(table: pd.DataFrame, repeats: int, warmup: int) -> dict[str, Any]:
    """The benchmark as JSON-ready data: the machine, the timing settings and one record per row (a ratio
    that does not exist, of a compact model with nothing left to compute, is null)."""

    def clean(value: Any) -> Any:
        return None if isinstance(value, float) and not math.isfinite(value) else value

    rows = [{k: clean(v) for k, v in row.items()} for row in table.to_dict(orient="records")]
    return {"machine": machine(), "repeats": repeats, "warmup": warmup, "runs": rows}


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """The benchmark for reading: counts, bytes and latencies (µs) with their ratios to dense (×)."""
    return pd.DataFrame({
        "run": table["run"], "method": table["method"], "rate": table["rate"], "format": table["format"],
        "acc %": (100 * table["accuracy"]).round(1),
        "params": table["parameters"], "params×": table["parameters_ratio"].round(1),
        "MACs": table["macs"], "MACs×": table["macs_ratio"].round(1),
        "bytes": table["bytes"], "bytes×": table["bytes_ratio"].round(1),
        "b1 µs": (1e6 * table["latency_1"]).round(1), "b1×": table["latency_1_ratio"].round(2),
        "b64 µs": (1e6 * table["latency_64"]).round(1), "b64×": table["latency_64_ratio"].round(2),
        "cold b64×": table["cold_latency_64_ratio"].round(2),
        "limit×": table["macs_limit_ratio"].round(1),
    })  # fmt: skip


def format_table(table: pd.DataFrame) -> str:
    """:func:`display_table` as text."""
    return display_table(table).to_string(index=False)
