"""One-shot multi-rate pruning (MRMP), after Sahbi, "One-Shot Multi-Rate Pruning of GCNs" (our reconstruction).

PMP's latent weights, priors and band-stop masks are shared by K networks, one per training rate r_k:
the loss is Σ_k w_k CE(Ŵ ⊙ m_{a(r_k)}(Ŵ)) + η Σ_l D(P_l, Q_l), with D PMP's alignment divergence,
summed over all rates at every step or with one rate sampled per step. Because the alignment pins every
quantile of |Ŵ_l| to the prior's at once, one trained model then serves any rate r, seen in training
or not, by its mask at a(r) with no retraining (the GCN has no normalisation statistics to
recalibrate). The single-rate case is PMP. Training is the ``multi_rate_train`` run; each
``multi_rate`` run evaluates that one model at its rate.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ..masks import MagnitudeRanking, latent_weights
from ..model import GCN
from ..train import Trainer
from .base import PruningMethod, register
from .probabilistic import (
    ProbabilisticConfig,
    attach_band_stop,
    evaluate_at,
    priors_of,
    ranking_scope,
    train_probabilistic,
)

CURVE_RATES = tuple(np.round(np.concatenate([np.arange(0.5, 0.95, 0.025), np.arange(0.95, 0.996, 0.005)]), 4).tolist())


@dataclass(frozen=True)
class MultiRateConfig(ProbabilisticConfig):
    """PMP's settings, plus the ``training_rates`` r_k with weights w_k (equal when empty) and whether
    each step ``sample``s one rate instead of summing over all."""

    training_rates: tuple[float, ...] = (0.5, 0.7, 0.9, 0.95, 0.98, 0.99)
    rate_weights: tuple[float, ...] = field(default_factory=tuple)
    sample: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "training_rates", tuple(float(r) for r in self.training_rates))
        object.__setattr__(self, "rate_weights", tuple(float(w) for w in self.rate_weights))
        if not self.training_rates or not all(0 <= r < 1 for r in self.training_rates):
            raise ValueError(f"training_rates must be a non-empty list of rates in [0, 1), got {self.training_rates}")
        if self.rate_weights and (
            len(self.rate_weights) != len(self.training_rates)
            or min(self.rate_weights) < 0
            or sum(self.rate_weights) <= 0
        ):
            raise ValueError("rate_weights must be empty or one non-negative weight per training rate, not all zero")

    def weights(self) -> list[float]:
        return list(self.rate_weights) or [1.0 / len(self.training_rates)] * len(self.training_rates)


@register
class MultiRateTraining(PruningMethod):
    """Train the one MRMP model (a run at rate 0); its metrics hold the accuracy curve over rates, and the
    seconds spent evaluating it (``curve_seconds``, apart from the training's ``train_seconds``)."""

    name = "multi_rate_train"
    version = 3  # 2: PMP's new defaults (the prior's threshold, the quantile alignment); 3: PMP's stable sort
    Config = MultiRateConfig
    parent_method = "dense"
    rate_zero_only = True
    keeps_weights = True
    internal = True  # trained as the parent of the multi_rate runs, which a grid names instead

    def fit(self, model: GCN, trainer: Trainer, rate: float) -> dict[str, Any]:
        if rate != 0:
            raise ValueError("multi_rate_train trains for all its training rates at once; give it rate 0")
        c = self.config
        extra = train_probabilistic(model, trainer, c, list(c.training_rates), c.weights(), c.sample, self.name)
        start = time.perf_counter()
        priors = priors_of(model, c.family)
        ranking = MagnitudeRanking(latent_weights(model), ranking_scope(c.scope))  # weights fixed now: sort once
        curve = {"rates": list(CURVE_RATES), "accuracy": [], "threshold_accuracy": [], "threshold_rate": []}
        for r in CURVE_RATES:
            cut = evaluate_at(model, trainer, priors, r, c.threshold, ranking, c.scope)
            curve["accuracy"].append(trainer.evaluate(model))
            curve["threshold_accuracy"].append(cut["threshold_accuracy"])
            curve["threshold_rate"].append(cut["threshold_rate"])
        evaluate_at(model, trainer, priors, 0.0, c.threshold, ranking, c.scope)  # the run itself is reported unpruned
        # the curve's evaluation is timed apart, so that train_seconds is the training alone (see train_run)
        return {**extra, "curve": curve, "curve_seconds": time.perf_counter() - start}


@register
class MultiRate(PruningMethod):
    """MRMP at one rate: the trained multi-rate model's mask at a(r), without any retraining."""

    name = "multi_rate"
    version = 3  # 2: PMP's new defaults (the prior's threshold, the quantile alignment); 3: PMP's stable sort
    Config = MultiRateConfig
    parent_method = "multi_rate_train"
    parent_shares_config = True  # the training run of the same settings serves every rate

    def restore(self, model: GCN, state: dict[str, torch.Tensor]) -> None:
        attach_band_stop(model, torch.tensor(self.config.temperature_end), self.config.scope)
        model.load_state_dict(state)

    def fit(self, model: GCN, trainer: Trainer, rate: float) -> dict[str, Any]:
        c = self.config
        return evaluate_at(model, trainer, priors_of(model, c.family), rate, c.threshold, scope=c.scope)
