"""Magnitude pruning (MP): keep the largest-magnitude weights of the trained dense model, fine-tune."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import torch

from ..masks import Mask, latent_weights, set_mask
from ..model import GCN
from ..train import Trainer
from .base import PruningMethod, register


def kept_count(total: int, rate: float) -> int:
    """c = round((1 − r) n): how many of ``total`` weights survive at ``rate``."""
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"pruning rate must be in [0, 1), got {rate}")
    return int(round((1.0 - rate) * total))


class MagnitudeRanking:
    """The order in which magnitude pruning keeps the weights ``weights``, from which the mask at any rate is read.

    Each group (all layers at once for the ``global`` scope, every layer for ``layer``) is sorted once,
    by |w| descending, ties by position (a stable sort), so that masks at many rates of the same weights
    (MRMP's accuracy curve) cost one sort per group instead of one per rate.
    """

    def __init__(self, weights: Mapping[str, torch.Tensor], scope: Literal["global", "layer"] = "global") -> None:
        if scope not in ("global", "layer"):
            raise ValueError(f"scope must be 'global' or 'layer', got {scope!r}")
        self.scope = scope
        self.shapes = {name: w.shape for name, w in weights.items()}
        self.sizes = {name: w.numel() for name, w in weights.items()}
        if scope == "global":
            groups = {"*": torch.cat([w.detach().abs().flatten() for w in weights.values()])}
        else:
            groups = {name: w.detach().abs().flatten() for name, w in weights.items()}
        self.orders = {group: torch.sort(scores, descending=True, stable=True).indices for group, scores in groups.items()}

    def mask(self, rate: float) -> Mask:
        """Keep the c largest |w| (exactly c = round((1 − r) n)), over all layers or within each layer.

        Per layer, each layer keeps its share (1 − r) n_l, rounded by largest remainder so that the total
        is still exactly c.
        """
        keep = kept_count(sum(self.sizes.values()), rate)
        if self.scope == "global":
            quota = {"*": keep}
        else:
            exact = {name: (1.0 - rate) * n for name, n in self.sizes.items()}
            quota = {name: int(v) for name, v in exact.items()}
            by_remainder = sorted(exact, key=lambda name: exact[name] - quota[name], reverse=True)
            for name in by_remainder[: keep - sum(quota.values())]:
                quota[name] += 1
        flat = {}
        for group, order in self.orders.items():
            kept = torch.zeros(len(order))
            kept[order[: quota[group]]] = 1.0
            flat[group] = kept
        if self.scope == "global":
            flat = dict(zip(self.sizes, torch.split(flat["*"], list(self.sizes.values()))))
        return Mask((name, flat[name].view(shape)) for name, shape in self.shapes.items())


def magnitude_mask(weights: Mapping[str, torch.Tensor], rate: float, scope: Literal["global", "layer"] = "global") -> Mask:
    """Keep the c largest |w| (exactly c = round((1 − r) n)), over all layers or within each layer
    (:class:`MagnitudeRanking`, read at one rate). Ties are broken by position, so the result is deterministic."""
    return MagnitudeRanking(weights, scope).mask(rate)


@dataclass(frozen=True)
class MagnitudeConfig:
    """``scope``: one global threshold (default) or the same rate in every layer."""

    scope: Literal["global", "layer"] = "global"

    def __post_init__(self) -> None:
        if self.scope not in ("global", "layer"):
            raise ValueError(f"scope must be 'global' or 'layer', got {self.scope!r}")


@register
class Magnitude(PruningMethod):
    """Prune the trained dense model once by magnitude, then fine-tune the kept weights with the mask fixed."""

    name = "magnitude"
    Config = MagnitudeConfig
    pretrained = True

    def fit(self, model: GCN, trainer: Trainer, rate: float) -> dict[str, Any]:
        set_mask(model, magnitude_mask(latent_weights(model), rate, self.config.scope))
        trainer.fit(model, trainer.config.finetune_epochs, trainer.config.finetune_lr, desc="fine-tune")
        return {}
