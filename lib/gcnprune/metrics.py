"""What a run reports: accuracy, and dense against nonzero counts of the prunable weights."""

from __future__ import annotations

import torch

from .masks import get_mask
from .model import GCN
from .unit_graph import dangling_fraction, layer_shapes


@torch.no_grad()
def accuracy(model: GCN, signals: torch.Tensor, labels: torch.Tensor, batch_size: int = 256) -> float:
    """Top-1 accuracy of the network in evaluation mode (hard masks, no dropout)."""
    was_training = model.training
    model.eval()
    correct = sum(
        int((model(signals[i : i + batch_size]).argmax(dim=1) == labels[i : i + batch_size]).sum())
        for i in range(0, len(labels), batch_size)
    )
    model.train(was_training)
    return correct / len(labels)


def sparsity(model: GCN) -> dict[str, float]:
    """Dense and nonzero counts of the prunable weights and of all parameters, and the achieved rate.

    The achieved rate is the fraction of prunable weights that are zero in the evaluated network; the
    dangling fraction is the share of kept weights that cannot affect the output (:mod:`.unit_graph`).
    """
    mask = get_mask(model)
    total = sum(
        p.numel() for name, p in model.named_parameters() if "parametrizations" not in name or name.endswith("original")
    )
    pruned = mask.num_dense() - mask.num_nonzero()
    return {
        "prunable_dense": mask.num_dense(),
        "prunable_nonzero": mask.num_nonzero(),
        "params_dense": total,
        "params_nonzero": total - pruned,
        "achieved_rate": mask.rate(),
        "dangling_fraction": dangling_fraction(mask, layer_shapes(model), model.config.heads),
    }
