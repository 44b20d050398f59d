"""Masks on prunable weights, as ``torch.nn.utils.parametrize`` parametrizations, and the masks read off a
magnitude ranking (how many weights a rate keeps, and which).

Every prunable weight becomes W = Ŵ ⊙ m, with Ŵ the latent weight the optimiser trains. A fixed mask
(magnitude pruning) and a learned one (phase-field, probabilistic, ...) differ only in ``soft``: the
mask used while training. In evaluation mode every parametrization uses its hard 0/1 mask, so the
network evaluated is exactly the pruned network. A :class:`Mask` is the value of all hard masks.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Literal

import torch
from torch import nn
from torch.nn.utils import parametrize

from .model import GCN


class MaskParametrization(nn.Module):
    """W = Ŵ ⊙ m: the soft mask in training mode, the hard 0/1 mask ``hard`` in evaluation mode.

    The base class is a fixed mask (soft = hard); learned masks override :meth:`soft`.
    """

    hard: torch.Tensor

    def __init__(self, shape: torch.Size) -> None:
        super().__init__()
        self.register_buffer("hard", torch.ones(shape))

    def soft(self, latent: torch.Tensor) -> torch.Tensor:
        return self.hard

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        return latent * (self.soft(latent) if self.training else self.hard)


class Mask(OrderedDict[str, torch.Tensor]):
    """Hard masks by layer name: validated 0/1 tensors that can be saved, loaded and summarised."""

    def __setitem__(self, name: str, value: torch.Tensor) -> None:
        value = torch.as_tensor(value)
        if not bool(((value == 0) | (value == 1)).all()):
            raise ValueError(f"mask for {name} is not binary")
        super().__setitem__(name, value.detach().to(torch.float32).clone())

    @classmethod
    def ones_like(cls, model: GCN) -> Mask:
        return cls((name, torch.ones_like(layer.weight)) for name, layer in model.prunable_layers().items())

    def num_dense(self) -> int:
        return sum(m.numel() for m in self.values())

    def num_nonzero(self) -> int:
        return int(sum(m.sum().item() for m in self.values()))

    def rate(self) -> float:
        """Fraction of the masked weights that are pruned."""
        return 1.0 - self.num_nonzero() / self.num_dense()

    def layer_rates(self) -> dict[str, float]:
        """The pruned fraction of each layer's weights, 1 − nonzero / dense, and of all of them (``total``)."""
        return {name: 1.0 - int(m.sum().item()) / m.numel() for name, m in self.items()} | {"total": self.rate()}

    def save(self, path: str | os.PathLike[str]) -> None:
        torch.save({name: m.to(torch.bool) for name, m in self.items()}, path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Mask:
        return cls(torch.load(path, weights_only=True))


def attach(model: GCN, make: Callable[[str, nn.Linear], MaskParametrization] | None = None) -> None:
    """Parametrize every prunable weight with ``make(name, layer)`` (a fixed all-ones mask by default)."""
    for name, layer in model.prunable_layers().items():
        if parametrize.is_parametrized(layer, "weight"):
            raise ValueError("the model's weights are already masked; attach masks once")
        mask = make(name, layer) if make is not None else MaskParametrization(layer.weight.shape)
        parametrize.register_parametrization(layer, "weight", mask)


def parametrizations(model: GCN) -> OrderedDict[str, MaskParametrization]:
    """The mask parametrization of every prunable layer (attaching fixed masks if none are there)."""
    layers = model.prunable_layers()
    if not all(parametrize.is_parametrized(layer, "weight") for layer in layers.values()):
        attach(model)
    return OrderedDict((name, layer.parametrizations.weight[0]) for name, layer in layers.items())


def latent_weights(model: GCN) -> OrderedDict[str, torch.Tensor]:
    """The trained tensors Ŵ behind every prunable weight (the weights themselves when unmasked)."""
    out: OrderedDict[str, torch.Tensor] = OrderedDict()
    for name, layer in model.prunable_layers().items():
        out[name] = (
            layer.parametrizations.weight.original if parametrize.is_parametrized(layer, "weight") else layer.weight
        )
    return out


def get_mask(model: GCN) -> Mask:
    """The hard masks currently in force (all ones for an unmasked model)."""
    layers = model.prunable_layers()
    if not any(parametrize.is_parametrized(layer, "weight") for layer in layers.values()):
        return Mask.ones_like(model)
    return Mask((name, p.hard) for name, p in parametrizations(model).items())


def set_mask(model: GCN, mask: Mask) -> None:
    """Install ``mask`` as the hard masks (attaching fixed masks first if the model has none)."""
    params = parametrizations(model)
    if set(mask) != set(params):
        raise ValueError(f"mask names {sorted(mask)} do not match the prunable layers {sorted(params)}")
    with torch.no_grad():
        for name, p in params.items():
            if mask[name].shape != p.hard.shape:
                raise ValueError(f"mask for {name} has shape {tuple(mask[name].shape)}, expected {tuple(p.hard.shape)}")
            p.hard.copy_(mask[name])


def soft_masks(model: GCN) -> OrderedDict[str, torch.Tensor]:
    """Every layer's training-time mask m(Ŵ), differentiable with respect to the latent weights."""
    latent = latent_weights(model)
    return OrderedDict((name, p.soft(latent[name])) for name, p in parametrizations(model).items())


# ----------------------------------------------------------------------------- masks by magnitude


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
        self.orders = {
            group: torch.sort(scores, descending=True, stable=True).indices for group, scores in groups.items()
        }

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


def magnitude_mask(
    weights: Mapping[str, torch.Tensor], rate: float, scope: Literal["global", "layer"] = "global"
) -> Mask:
    """Keep the c largest |w| (exactly c = round((1 − r) n)), over all layers or within each layer
    (:class:`MagnitudeRanking`, read at one rate). Ties are broken by position, so the result is deterministic."""
    return MagnitudeRanking(weights, scope).mask(rate)
