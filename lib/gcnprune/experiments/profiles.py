"""Named training budgets: ``smoke`` (seconds, for tests), ``quick`` (minutes), ``paper`` (the full protocol)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gcnprune.errors import UserError
from gcnprune.graphs import FeatureConfig
from gcnprune.model import ModelConfig
from gcnprune.train import TrainConfig


@dataclass(frozen=True)
class Profile:
    """A budget: training settings, model widths, features, the synthetic data's size, the folds that
    books and grids run by default (None: every split of the protocol), the seeds that the
    highest rates (:data:`gcnprune.book.chapters.grids.HIGH_RATES`), where folds vary most, run besides seed 0,
    and the target rates the book's chapters keep of their standard ones (None: all of them)."""

    name: str
    train: TrainConfig
    model: ModelConfig = ModelConfig()
    features: FeatureConfig = FeatureConfig()
    synthetic: dict[str, Any] = field(default_factory=dict)
    folds: tuple[int, ...] | None = None
    extra_seeds: tuple[int, ...] = ()
    rates: tuple[float, ...] | None = None

    def default_folds(self, splits: int) -> list[int]:
        return list(range(splits)) if self.folds is None else [f for f in self.folds if f < splits]

    def dataset_options(self, dataset: str) -> dict[str, Any]:
        """The options this profile loads ``dataset`` with: the synthetic generator's size, none for a real dataset."""
        return dict(self.synthetic) if dataset == "synthetic" else {}


PROFILES: dict[str, Profile] = {
    "smoke": Profile(
        "smoke",
        TrainConfig(epochs=12, finetune_epochs=4, lr=1e-2, finetune_lr=3e-3),
        ModelConfig(heads=2, head_channels=4, graph_channels=8, hidden=32),
        FeatureConfig(chunks=4),
        {"num_subjects": 5, "per_class_per_subject": 2},
        folds=(0,),
    ),
    # minutes: two splits and five rates (the papers' claims at 0.98 and 0.99 among them), so that the synthetic
    # book executes in about five minutes on 2 cores; every chapter's comparison still has a spread and a curve
    "quick": Profile(
        "quick", TrainConfig(epochs=40, finetune_epochs=20), folds=(0, 1), rates=(0.5, 0.9, 0.95, 0.98, 0.99)
    ),
    # Seeds 1 and 2 beside seed 0 at the highest rates (grids.HIGH_RATES) of each chapter's main comparison; mirrored
    # samples where the dataset declares a mirror (SBU: the best dense candidate on validation, tuning.DENSE_CANDIDATES)
    "paper": Profile("paper", TrainConfig(epochs=900, finetune_epochs=150, mirror=True), extra_seeds=(1, 2)),
}


# The profile a book or grid uses when none is named: the papers' protocol on the real datasets (whose
# committed runs are paper-profile runs), minutes on the synthetic one.
DEFAULT_PROFILES = {"synthetic": "quick", "sbu": "paper", "fpha": "paper"}


def default_profile(dataset: str) -> str:
    """The profile used for ``dataset`` when none is named (:data:`DEFAULT_PROFILES`)."""
    if dataset not in DEFAULT_PROFILES:
        raise UserError(f"unknown dataset {dataset!r}; choose one of {', '.join(DEFAULT_PROFILES)}")
    return DEFAULT_PROFILES[dataset]


def get_profile(name: str) -> Profile:
    if name not in PROFILES:
        raise UserError(f"unknown profile {name!r}; choose one of {', '.join(PROFILES)}")
    return PROFILES[name]
