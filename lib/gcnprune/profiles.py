"""Named training budgets: ``smoke`` (seconds, for tests), ``quick`` (minutes), ``paper`` (the full protocol)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .graphs import FeatureConfig
from .model import ModelConfig
from .train import TrainConfig


@dataclass(frozen=True)
class Profile:
    """A budget: training settings, model widths, features, and the synthetic data's size."""

    name: str
    train: TrainConfig
    model: ModelConfig = ModelConfig()
    features: FeatureConfig = FeatureConfig()
    synthetic: dict[str, Any] = field(default_factory=dict)


PROFILES: dict[str, Profile] = {
    "smoke": Profile(
        "smoke",
        TrainConfig(epochs=12, finetune_epochs=4, lr=1e-2, finetune_lr=3e-3),
        ModelConfig(heads=2, head_channels=4, graph_channels=8, hidden=32),
        FeatureConfig(chunks=4),
        {"num_subjects": 5, "per_class_per_subject": 2},
    ),
    "quick": Profile("quick", TrainConfig(epochs=60, finetune_epochs=30)),
    "paper": Profile("paper", TrainConfig(epochs=300, finetune_epochs=150)),
}


def get_profile(name: str) -> Profile:
    if name not in PROFILES:
        raise ValueError(f"unknown profile {name!r}; choose one of {', '.join(PROFILES)}")
    return PROFILES[name]
