"""Masks on prunable weights, as ``torch.nn.utils.parametrize`` parametrizations.

Every prunable weight becomes W = Ŵ ⊙ m, with Ŵ the latent weight the optimiser trains. A fixed mask
(magnitude pruning) and a learned one (phase-field, probabilistic, ...) differ only in ``soft``: the
mask used while training. In evaluation mode every parametrization uses its hard 0/1 mask, so the
network evaluated is exactly the pruned network. A :class:`Mask` is the value of all hard masks.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable

import pandas as pd
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

    def summary(self) -> pd.DataFrame:
        """Dense and nonzero counts per layer, and in total (ShrinkBench's pairing)."""
        rows = [(name, m.numel(), int(m.sum().item())) for name, m in self.items()]
        rows.append(("total", self.num_dense(), self.num_nonzero()))
        table = pd.DataFrame(rows, columns=["layer", "dense", "nonzero"]).set_index("layer")
        table["rate"] = 1.0 - table["nonzero"] / table["dense"]
        return table

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
        out[name] = layer.parametrizations.weight.original if parametrize.is_parametrized(layer, "weight") else layer.weight
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
