"""A tiny trained GCN pruned two ways, magnitude and topologically consistent, for drawing its unit graph."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from gcnprune.data import load_dataset
from gcnprune.graphs import FeatureConfig, normalised_adjacency, trajectories
from gcnprune.masks import kept_count, latent_weights, magnitude_mask
from gcnprune.model import GCN, ModelConfig
from gcnprune.train import TrainConfig, Trainer, seed_everything
from gcnprune.unit_graph import consistent_magnitude_mask, layer_shapes


@dataclass(frozen=True)
class ToyPruning:
    """A tiny trained GCN's unit-graph shapes and the masks two selection rules give at one rate."""

    shapes: dict[str, tuple[int, int]]
    heads: int
    rate: float
    masks: dict[str, dict[str, Any]]  # rule → layer → 0/1 tensor
    accuracy: float


def toy_pruning(rate: float = 0.85, seed: int = 4, epochs: int = 30, lr: float = 1e-2) -> ToyPruning:
    """Train a tiny GCN on a small synthetic dataset (fold 0) and prune it two ways at ``rate``.

    The network has 2 heads of 2 channels, 3 graph channels and 6 hidden units, reads 4 temporal chunks
    (12 features a joint), and is initialised and trained from ``seed`` on one thread with fixed
    settings (independent of the profiles), so the result is deterministic and takes about a second.
    The two masks keep the same number c = round((1 − r) n) of weights: the c largest |w| with one
    global threshold (magnitude pruning), and the c largest |w| that form a consistent network
    (:func:`gcnprune.unit_graph.consistent_magnitude_mask`, the selection rule of topologically
    consistent pruning, applied here to the same weights without its training).
    """

    data = load_dataset("synthetic", None, num_subjects=5, per_class_per_subject=2)
    train, test = data.split_indices(0)
    features = FeatureConfig(chunks=4, relative=False)
    x, y = trajectories(data, features), torch.from_numpy(data.labels)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        generator = seed_everything(seed)
        config = ModelConfig(heads=2, head_channels=2, graph_channels=3, hidden=6)
        model = GCN(
            data.num_joints, features.signal_size(), data.num_classes, normalised_adjacency(data.adjacency()), config
        )
        trainer = Trainer(x[train], y[train], x[test], y[test], features, TrainConfig(epochs=epochs, lr=lr), generator)
        trainer.fit(model, epochs, lr)
        accuracy = trainer.evaluate(model)
    finally:
        torch.set_num_threads(threads)
    weights = {name: w.detach() for name, w in latent_weights(model).items()}
    shapes = dict(layer_shapes(model))
    keep = kept_count(sum(w.numel() for w in weights.values()), rate)
    masks = {
        "magnitude pruning": dict(magnitude_mask(weights, rate, "global")),
        "topologically consistent": dict(
            consistent_magnitude_mask({n: w.abs() for n, w in weights.items()}, keep, shapes, config.heads)
        ),
    }
    return ToyPruning(shapes, config.heads, rate, masks, accuracy)
