"""What a run reports: accuracy (overall, and averaged over classes as the papers' author reports it), and
dense against nonzero counts of the prunable weights."""

from __future__ import annotations

import torch

from .masks import get_mask
from .model import GCN
from .unit_graph import dangling_fraction, layer_shapes


@torch.no_grad()
def predictions(model: GCN, signals: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """The network's predicted class of every sample, in evaluation mode (hard masks, no dropout)."""
    was_training = model.training
    model.eval()
    out = torch.cat([model(signals[i : i + batch_size]).argmax(dim=1) for i in range(0, len(signals), batch_size)])
    model.train(was_training)
    return out


def accuracy(model: GCN, signals: torch.Tensor, labels: torch.Tensor, batch_size: int = 256) -> float:
    """Top-1 accuracy of the network in evaluation mode (hard masks, no dropout)."""
    return int((predictions(model, signals, batch_size) == labels).sum()) / len(labels)


def class_mean_accuracy(predicted: torch.Tensor, labels: torch.Tensor) -> float:
    """The mean over the classes present in ``labels`` of each class's accuracy (its recall),
    (1/C) Σ_c |{i : y_i = c, ŷ_i = c}| / |{i : y_i = c}|: "the average classification accuracy across all
    action classes" that the papers' author reports; it equals overall accuracy when classes are balanced."""
    classes = labels.unique()
    return float(torch.stack([(predicted[labels == c] == c).double().mean() for c in classes]).mean())


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
    architecture = model.config.architecture
    if architecture != "attention_graph" and pruned:
        raise ValueError(f"dangling weights are defined on the attention_graph network, not on {architecture}")
    return {
        "prunable_dense": mask.num_dense(),
        "prunable_nonzero": mask.num_nonzero(),
        "params_dense": total,
        "params_nonzero": total - pruned,
        "achieved_rate": mask.rate(),
        "dangling_fraction": dangling_fraction(mask, layer_shapes(model), model.config.heads) if pruned else 0.0,
    }
