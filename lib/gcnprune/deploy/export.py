"""Compact export: turn a pruned GCN into a :class:`~gcnprune.deploy.compact.CompactGCN` that computes the same
logits with only the structure that can matter, and a run into that model's file.

Every unit is first sorted forward by whether it *varies* with the input (some kept weight reads a
varying unit), then backward by whether it is *read* (a kept weight carries it to a read unit; the
classes are read). A varying unit that is not read is removed with its weights. A unit that does not
vary outputs a constant, which is folded into the biases of the units that read it, exactly:

- a value channel with no kept weight is its bias b_v at every joint, and attention rows sum to one,
  so the head outputs ReLU(b_v) whatever its attention: the graph convolution adds Â1 ReLU(b_v) W_G[:, c];
- an adjacency-head channel with no kept weight is Â1 b_A, so it outputs ReLU(b_A) Â1 (Â1 > 0) and
  the graph convolution adds Â²1 ReLU(b_A) W_G[:, c] (the compact model's second bias row);
- a graph channel g with no varying input outputs the per-joint constant ReLU(Â1 b₁[g] + Â²1 b₂[g]),
  added through the hidden weights to the hidden bias; a constant hidden unit ReLU(b_h) is added
  through the classifier to its bias.

Attention scores s_ij = Σ_c q_ic k_jc / √d: a key channel with no kept weight is a constant k_c, which
adds q_ic k_c to every score of row i, and softmax ignores a row's constant, so the query/key pair is
removed (a query with no kept weight still meets varying keys and stays, as its bias). A head whose
values are all removed is removed; one whose query/key pairs all are attends uniformly, which the
compact model computes as softmax of zero scores. Structure is thus removed only where it provably
cannot change the logits; :func:`check_logits` verifies that on a run's test sequences at every export.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import torch

from gcnprune.errors import UserError
from gcnprune.experiments.cache import load_run, stored_config
from gcnprune.experiments.config import RunConfig
from gcnprune.experiments.repo import DEFAULT_RESULTS
from gcnprune.experiments.runner import build, parent_weights, train_run
from gcnprune.model import GCN
from gcnprune.outputs import write_atomically
from gcnprune.train import Trainer

from .compact import CompactGCN
from .compaction import compact_model
from .onnx_export import OnnxModel, onnx_bytes

LOGIT_TOLERANCE = 1e-5  # the largest |compact − masked| logit difference an export accepts, relative to logits above 1


@torch.no_grad()
def check_logits(
    model: GCN,
    compact: Callable[[torch.Tensor], torch.Tensor],
    signals: torch.Tensor,
    tolerance: float = LOGIT_TOLERANCE,
) -> float:
    """The largest |compact − masked| logit over ``signals``. It must be at most ``tolerance`` times the
    largest |logit| (or 1, if that is smaller): float32 resolves logits near 100 only to 8e-6, and the
    compact model sums in another order. Beyond that it is a bug in export, raised as a RuntimeError
    (an export never writes a model that computes something else)."""
    was_training = model.training
    model.eval()
    try:
        expected = model(signals)
        gap = float((compact(signals) - expected).abs().max()) if len(signals) else 0.0
    finally:
        model.train(was_training)
    scale = max(1.0, float(expected.abs().max())) if len(signals) else 1.0
    if not gap <= tolerance * scale:
        raise RuntimeError(
            f"the compact model's logits differ from the masked network's by {gap:.3g} (tolerance "
            f"{tolerance:g} × {scale:.3g}, the largest logit): export removed structure that matters"
        )
    return gap


def trained_model(
    config: RunConfig,
    results: str | os.PathLike[str] = DEFAULT_RESULTS,
    data_root: str | None = None,
    progress: bool = False,
) -> tuple[GCN, Trainer]:
    """A cached run's trained model and the trainer holding its fold's data.

    A run trained from scratch (the dense network's) loads its saved weights (``model.pt``;
    :func:`~gcnprune.experiments.runner.parent_weights` trains them again where they are missing). Pruned runs save no
    weights, so the run is trained again from its parent's (:func:`~gcnprune.experiments.runner.train_run`), which is
    bit-reproducible on the machine that ran it. Either way the model's accuracy must equal the one
    ``metrics.json`` records, else a UserError says the weights are not the run's.
    """
    results = Path(results)
    cached = load_run(config, results)
    if cached is None:
        raise UserError(f"run {config.run_hash()} is not in {results}; run it first (gcnprune grid)")
    if config.parent() is None:
        state = parent_weights(config, results, data_root, progress)
        model, trainer = build(config, data_root, progress)
        model.load_state_dict(state)
    else:
        model, trainer, _ = train_run(config, results, data_root, progress)
    model.eval()
    accuracy = trainer.evaluate(model)
    if accuracy != cached["accuracy"]:
        raise UserError(
            f"run {config.run_hash()}: the recomputed model's accuracy {accuracy:.6f} is not the "
            f"{cached['accuracy']:.6f} its metrics.json records, so these are not its weights (another "
            "machine, torch version or code); rerun it here (gcnprune clean --delete, then the grid) and export again"
        )
    return model, trainer


@dataclass(frozen=True)
class Export:
    """An exported run: its configuration, the masked network and trainer, the compact model, the
    largest logit difference on the run's test sequences, and the file (None if not written)."""

    config: RunConfig
    model: GCN
    trainer: Trainer
    compact: CompactGCN
    logit_gap: float
    path: Path | None


def source_of(config: RunConfig, accuracy: float) -> dict[str, Any]:
    """What a compact file records of its run: hash, dataset, method, rate, fold, seed, accuracy."""
    return {"run": config.run_hash(), "dataset": config.dataset, "method": config.method, "rate": config.rate,
            "fold": config.fold, "seed": config.seed, "method_config": dataclasses.asdict(config)["method_config"],
            "accuracy": accuracy}  # fmt: skip


def export_run(
    run_hash: str,
    results: str | os.PathLike[str] = DEFAULT_RESULTS,
    data_root: str | None = None,
    out: str | os.PathLike[str] | None = None,
    progress: bool = False,
    form: Literal["safetensors", "onnx"] = "safetensors",
) -> Export:
    """Export the cached run ``run_hash``: recompute its model (:func:`trained_model`), build the compact
    model, check its logits on the run's test sequences, and write it to ``out`` when given, as a compact
    safetensors file or (``form="onnx"``) an ONNX file whose onnxruntime logits are checked the same way."""
    config = stored_config(run_hash, results)
    model, trainer = trained_model(config, results, data_root, progress)
    compact = compact_model(model, source_of(config, trainer.evaluate(model)))
    signals = trainer.signals(trainer.test_x)
    gap = check_logits(model, compact, signals)
    path = None
    if form == "onnx":
        data = onnx_bytes(compact)
        gap = max(gap, check_logits(model, OnnxModel(data), signals))
        if out is not None:
            path = Path(out)
            write_atomically(path, data)
    elif out is not None:
        path = Path(out)
        compact.save(path)
    return Export(config, model, trainer, compact, gap, path)
