"""Gradual magnitude pruning (GMP; Zhu & Gupta, "To prune, or not to prune", 2017): prune the trained dense
network by magnitude a little at a time while it fine-tunes, so that it recovers from each small cut
instead of from one large one.

In the same budget as one-shot magnitude pruning's fine-tuning stage (``finetune_epochs`` at
``finetune_lr``), the mask is recomputed ``updates`` times over the first ``ramp`` of the stage, at the
rates of the cubic schedule

    s(t) = s_f (1 − (1 − t / T)³)  for 0 ≤ t ≤ T,   s(t) = s_f  after,

with t the progress through the stage, T = ``ramp`` and s_f the target rate: fast while many redundant
weights remain, slowly as the target nears. Each update keeps the c(s) = round((1 − s) n) weights of
largest |w ⊙ m| (m the mask in force), so a pruned weight stays pruned, as in the paper's implementation;
the last update, at s_f, is magnitude pruning's exact-count mask, and the kept weights fine-tune for
the rest of the stage.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import torch

from ..masks import Mask, get_mask, kept_count, latent_weights, magnitude_mask, set_mask
from ..model import GCN
from ..train import Trainer
from .base import PruningMethod, register


def cubic_rate(progress: float, target: float, ramp: float) -> float:
    """Zhu & Gupta's s(t) = s_f (1 − (1 − t / T)³) at progress t (clamped to [0, T]), T = ``ramp``, s_f = ``target``;
    exactly ``target`` from the ramp's end on."""
    if not 0.0 < ramp <= 1.0:
        raise ValueError(f"the ramp must be in (0, 1], got {ramp}")
    if progress >= ramp:
        return target
    left = 1.0 - max(progress, 0.0) / ramp
    return target * (1.0 - left**3)


@dataclass(frozen=True)
class GradualMagnitudeConfig:
    """``scope``: one threshold over all layers (default) or the same rate in every layer, as magnitude
    pruning's; the rate rises over the first ``ramp`` of the stage and the mask is recomputed ``updates``
    times on the way."""

    scope: Literal["global", "layer"] = "global"
    ramp: float = 0.75  # the last quarter of the stage fine-tunes the final mask, as MP's whole stage does
    # 30 updates: the first, the largest cut of the cubic, removes s_f (1 − (29/30)³) ≈ 10 % of s_f, a cut
    # the network recovers from; on SBU's validation splits (~3 steps an epoch, 150 epochs) updates fall
    # every ~4 epochs, time to recover before the next (Zhu & Gupta prune every 100–2000 steps, tens of times)
    updates: int = 30

    def __post_init__(self) -> None:
        if self.scope not in ("global", "layer"):
            raise ValueError(f"scope must be 'global' or 'layer', got {self.scope!r}")
        if not 0.0 < self.ramp <= 1.0:
            raise ValueError(f"ramp must be in (0, 1], got {self.ramp}")
        if self.updates < 1:
            raise ValueError(f"updates must be at least 1, got {self.updates}")


class LayerQuotas:
    """Each layer's kept count for a total count c, for the per-layer scope: exactly c in all, each layer at
    the network's rate to within a weight or two, never growing as c falls, and magnitude pruning's own
    per-layer counts at the final count (so that no pruned weight has to come back on the way).

    Every layer starts from its count at the target rate (:func:`magnitude_mask`'s largest-remainder
    shares); the c − c_f weights beyond those go to the layers in proportion to their spare weights, by one
    fixed order (Sainte-Laguë's quotients: a layer's k-th spare weight ranks at spare / (k − ½)), so the
    counts at a smaller c are a prefix of those at a larger one.
    """

    def __init__(self, shapes: Mapping[str, torch.Size], rate: float) -> None:
        final = magnitude_mask({name: torch.zeros(shape) for name, shape in shapes.items()}, rate, "layer")
        self.final = {name: int(m.sum()) for name, m in final.items()}
        self.count = sum(self.final.values())
        spare = [math.prod(shape) - self.final[name] for name, shape in shapes.items()]
        quotients = torch.cat([s / (torch.arange(s, dtype=torch.float64) + 0.5) for s in spare])
        owners = torch.repeat_interleave(torch.arange(len(spare)), torch.tensor(spare, dtype=torch.long))
        self.owners = owners[torch.sort(quotients, descending=True, stable=True).indices]

    def at(self, count: int) -> dict[str, int]:
        """The kept count of every layer when ``count`` weights are kept in all (at least the final count)."""
        extra = torch.bincount(self.owners[: count - self.count], minlength=len(self.final))
        return {name: q + int(e) for (name, q), e in zip(self.final.items(), extra)}


def keep_largest(scores: Mapping[str, torch.Tensor], quotas: Mapping[str, int]) -> Mask:
    """In every layer, keep the ``quotas[layer]`` largest scores (ties by position, as :func:`magnitude_mask`)."""
    mask = Mask()
    for name, s in scores.items():
        kept = torch.zeros(s.numel())
        kept[torch.sort(s.flatten(), descending=True, stable=True).indices[: quotas[name]]] = 1.0
        mask[name] = kept.view(s.shape)
    return mask


@register
class GradualMagnitude(PruningMethod):
    """GMP: starting from the trained dense network, fine-tune while pruning by magnitude on Zhu & Gupta's
    cubic schedule up to the target rate, then fine-tune the kept weights with the mask fixed."""

    name = "gradual_magnitude"
    Config = GradualMagnitudeConfig
    parent_method = "dense"  # the same start as magnitude pruning: the dense model of the same fold and seed

    def update_rate(self, update: int, rate: float) -> float:
        """The rate of update k = 1 … ``updates``, at progress t_k = T k / ``updates``; the last is exactly ``rate``."""
        n, ramp = self.config.updates, self.config.ramp
        return rate if update >= n else cubic_rate(ramp * update / n, rate, ramp)

    def fit(self, model: GCN, trainer: Trainer, rate: float) -> dict[str, Any]:
        set_mask(model, Mask.ones_like(model))  # attach the (dense) masks before the optimiser sees the weights
        scope, n = self.config.scope, self.config.updates
        quotas = LayerQuotas({k: w.shape for k, w in latent_weights(model).items()}, rate) if scope == "layer" else None
        total = sum(w.numel() for w in latent_weights(model).values())
        done = 0

        def prune(update: int) -> None:
            nonlocal done
            current = get_mask(model)
            # |w ⊙ m|, with kept weights of exactly zero scored just above the pruned ones: the ranking keeps
            # only weights in force, so each mask lies inside the previous one
            scores = {name: torch.where(current[name] > 0, w.detach().abs().clamp_min(torch.finfo(w.dtype).tiny),
                                        torch.zeros_like(w)) for name, w in latent_weights(model).items()}  # fmt: skip
            if update >= n or quotas is None:
                mask = magnitude_mask(scores, self.update_rate(update, rate), scope)
            else:
                mask = keep_largest(scores, quotas.at(kept_count(total, self.update_rate(update, rate))))
            set_mask(model, mask)
            done = update

        def on_step(model: GCN, progress: float) -> None:
            due = min(n, math.floor(progress * n / self.config.ramp + 1e-9))  # the updates whose time has come
            if due > done:
                prune(due)

        trainer.fit(model, trainer.config.finetune_epochs, trainer.config.finetune_lr, on_step=on_step,
                    desc="gradual prune")  # fmt: skip
        if done < n:  # a ramp over the whole stage (or a stage too short to reach its end): the last update now
            prune(n)
        return {}
