"""Training: Adam on cross-entropy with a cosine learning-rate schedule and light augmentation.

A :class:`Trainer` holds one fold's data and a seeded generator; methods call :meth:`Trainer.fit`
for each stage of their recipe (dense training, fine-tuning, joint mask training), optionally with
their own objective and a per-step hook that sees the training progress in [0, 1].
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from .graphs import FeatureConfig, node_signals
from .metrics import accuracy, class_mean_accuracy, predictions
from .model import GCN
from .settings import added_setting

TRAINING_VERSION = 2  # bump whenever training or data splitting computes something different (enters every run's hash)

Objective = Callable[[GCN, torch.Tensor, torch.Tensor, float], torch.Tensor]
StepHook = Callable[[GCN, float], None]
ProgressBar = Callable[[range, str], Iterable[int]]  # wraps the epochs, e.g. with a progress bar (tqdm)


@dataclass(frozen=True)
class TrainConfig:
    """Training budget and optimisation settings.

    ``epochs`` trains from scratch (the dense model, or jointly with a learned mask); ``finetune_epochs``
    fine-tunes after a one-shot prune. Augmentation rotates each sample about the vertical axis by up to
    ``rotation_deg``, scales it by a factor in 1 ± ``scale``, adds Gaussian noise of std ``noise`` and,
    with ``mirror``, mirrors half the samples where the dataset declares a label-preserving mirror, and with
    ``swap_people``, exchanges the two people of half the samples where it declares a swap (SBU).
    ``lr_rule`` is ``cosine`` (the rate decays to zero along a half cosine over the steps) or ``loss_derivative``
    (the papers' author's rule, :func:`loss_derivative_factor`, applied once an epoch). ``device`` is where the
    run trains: ``cpu`` or ``cuda``, whose kernels sum in other orders, so that its numbers differ from the CPU's
    and a CUDA run never shares its hash (and folder) with a CPU run.
    """

    epochs: int = 300
    finetune_epochs: int = 150
    batch_size: int = 64
    lr: float = 1e-3
    finetune_lr: float = 5e-4
    weight_decay: float = 0.0
    augment: bool = True
    rotation_deg: float = 30.0
    scale: float = 0.2
    noise: float = 0.02
    mirror: bool = False
    validation_fraction: float = 0.2
    lr_rule: str = added_setting("cosine")
    device: str = added_setting("cpu")
    swap_people: bool = added_setting(False)

    def __post_init__(self) -> None:
        if self.device not in DEVICES:
            raise ValueError(f"TrainConfig.device must be one of {', '.join(DEVICES)}, got {self.device!r}")
        if self.lr_rule not in LR_RULES:
            raise ValueError(f"TrainConfig.lr_rule must be one of {', '.join(LR_RULES)}, got {self.lr_rule!r}")
        if self.epochs < 1 or self.finetune_epochs < 0 or self.batch_size < 1:
            raise ValueError(f"need epochs >= 1, finetune_epochs >= 0, batch_size >= 1; got {self}")
        if self.lr <= 0 or self.finetune_lr <= 0:
            raise ValueError(f"learning rates must be positive; got lr={self.lr}, finetune_lr={self.finetune_lr}")
        if not 0.0 < self.validation_fraction < 1.0:
            raise ValueError(f"validation_fraction must be in (0, 1), got {self.validation_fraction}")


LR_RULES = ("cosine", "loss_derivative")
DEVICES = ("cpu", "cuda")
LR_STEP = 0.99  # the author's factor
LR_BOUNDS = (1e-2, 1e1)  # the rule's rate stays within these multiples of the initial one (the text gives none)


def loss_derivative_factor(losses: list[float]) -> float:
    """The author's rule (arXiv 2511.21625, §4): the rate is multiplied by 0.99 when the temporal derivative of
    the loss increases, ∂L_t > ∂L_{t-1} with ∂L_t = L_t − L_{t-1}, and divided by 0.99 otherwise; 1 until three
    epochs' losses are known."""
    if len(losses) < 3:
        return 1.0
    return LR_STEP if losses[-1] - losses[-2] > losses[-2] - losses[-3] else 1 / LR_STEP


def seed_everything(seed: int, device: str = "cpu") -> torch.Generator:
    """Seed torch's global generators (initialisation, dropout) and return a generator on ``device`` for batching
    and augmentation."""
    torch.manual_seed(seed)
    return torch.Generator(device=device).manual_seed(seed)


def validation_split(
    labels: np.ndarray, indices: np.ndarray, fraction: float, seed: int, groups: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Carve a validation set out of training ``indices``: (kept for training, validation).

    With ``groups`` (one name per sequence, e.g. SBU's actor pairs), whole groups are held out, in a
    seeded random order, until at least ``fraction`` of the sequences are, so that no group has
    sequences on both sides (as the test folds hold out whole sets). Without, the split is stratified
    by class, sequence by sequence.
    """
    rng = np.random.default_rng(seed)
    held: list[int] = []
    if groups is not None:
        names = np.unique(groups[indices])
        for name in rng.permutation(names):
            if len(held) >= fraction * len(indices):
                break
            held.extend(indices[groups[indices] == name].tolist())
        if len(held) == len(indices):
            raise ValueError(f"cannot hold out {fraction:.0%} of {len(names)} group(s) and keep any for training")
    else:
        for label in np.unique(labels[indices]):
            members = indices[labels[indices] == label]
            count = int(round(fraction * len(members)))
            held.extend(rng.permutation(members)[:count].tolist())
    held_out = np.sort(np.asarray(held, dtype=np.int64))
    return np.setdiff1d(indices, held_out), held_out


def augment(
    chunked: torch.Tensor,
    config: TrainConfig,
    generator: torch.Generator,
    mirror: torch.Tensor | None = None,
    swap: torch.Tensor | None = None,
) -> torch.Tensor:
    """Random rotation about the vertical (y) axis, scaling and jitter of (batch, chunks, joints, 3).

    With a ``mirror`` permutation and ``config.mirror``, half the samples are reflected (x → −x) and
    their joints permuted accordingly.
    """
    b = chunked.shape[0]
    if config.mirror and mirror is not None:
        flip = torch.rand(b, generator=generator) < 0.5
        reflected = chunked[:, :, mirror] * torch.tensor([-1.0, 1.0, 1.0], device=chunked.device)
        chunked = torch.where(flip.view(b, 1, 1, 1), reflected, chunked)
    if config.swap_people and swap is not None:  # drawn only when on, so runs without it keep their numbers
        exchange = torch.rand(b, generator=generator) < 0.5
        chunked = torch.where(exchange.view(b, 1, 1, 1), chunked[:, :, swap], chunked)
    angle = (torch.rand(b, generator=generator) * 2 - 1) * math.radians(config.rotation_deg)
    cos, sin, zero, one = torch.cos(angle), torch.sin(angle), torch.zeros(b), torch.ones(b)
    rot = torch.stack([cos, zero, sin, zero, one, zero, -sin, zero, cos], dim=1).view(b, 1, 3, 3)
    scale = 1 + (torch.rand(b, generator=generator) * 2 - 1) * config.scale
    out = (chunked.flatten(1, 2).unsqueeze(-2) @ rot.transpose(-1, -2)).squeeze(-2).view_as(chunked)
    return out * scale.view(b, 1, 1, 1) + torch.randn(chunked.shape, generator=generator) * config.noise


def cross_entropy(model: GCN, signals: torch.Tensor, labels: torch.Tensor, progress: float) -> torch.Tensor:
    """The default objective: cross-entropy of the network's predictions."""
    return nn.functional.cross_entropy(model(signals), labels)


@dataclass
class Trainer:
    """One fold's training and evaluation data, with the settings and generator that train on it."""

    train_x: torch.Tensor  # chunk means (sequences, chunks, joints, 3)
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    features: FeatureConfig
    config: TrainConfig
    generator: torch.Generator
    progress: ProgressBar | None = None  # shows the epochs as they pass (the experiments layer passes tqdm)
    mirror: torch.Tensor | None = None
    roots: tuple[int, ...] | None = None
    swap: torch.Tensor | None = None
    epochs_run: int = field(default=0, init=False)

    def signals(self, chunked: torch.Tensor) -> torch.Tensor:
        """The node signals of chunk means (batch, chunks, joints, 3), as the network reads them."""
        return node_signals(chunked, self.features, self.roots)

    def evaluate(self, model: GCN) -> float:
        """Accuracy on the held-out sequences (the test fold, or the validation split when tuning)."""
        return accuracy(model, self.signals(self.test_x), self.test_y)

    def held_out_scores(self, model: GCN) -> tuple[float, float]:
        """Accuracy on the held-out sequences and its mean over their classes
        (:func:`~gcnprune.metrics.class_mean_accuracy`), from one pass of predictions."""
        predicted = predictions(model, self.signals(self.test_x))
        return int((predicted == self.test_y).sum()) / len(self.test_y), class_mean_accuracy(predicted, self.test_y)

    def fit(
        self,
        model: GCN,
        epochs: int,
        lr: float,
        objective: Objective | None = None,
        on_step: StepHook | None = None,
        parameters: list[nn.Parameter] | None = None,
        desc: str = "train",
    ) -> list[float]:
        """Train for ``epochs`` with Adam and the configured learning-rate rule; return the mean loss of each epoch.

        ``objective(model, signals, labels, progress)`` replaces the default cross-entropy loss (e.g. to add
        a regulariser); ``on_step(model, progress)`` runs before every step (e.g. to anneal a temperature).
        """
        model.train()
        params = parameters if parameters is not None else [p for p in model.parameters() if p.requires_grad]
        optimiser = torch.optim.Adam(params, lr=lr, weight_decay=self.config.weight_decay)
        n = len(self.train_y)
        per_epoch = math.ceil(n / self.config.batch_size)
        total = max(1, epochs * per_epoch)
        cosine = self.config.lr_rule == "cosine"
        schedule = (
            torch.optim.lr_scheduler.LambdaLR(optimiser, lambda s: 0.5 * (1 + math.cos(math.pi * s / total)))
            if cosine
            else None
        )
        losses = []
        step = 0
        for _ in range(epochs) if self.progress is None else self.progress(range(epochs), desc):
            order = torch.randperm(n, generator=self.generator)
            running = 0.0
            for start in range(0, n, self.config.batch_size):
                batch = order[start : start + self.config.batch_size]
                x = self.train_x[batch]
                if self.config.augment:
                    x = augment(x, self.config, self.generator, self.mirror, self.swap)
                progress = step / total
                if on_step is not None:
                    on_step(model, progress)
                loss = (objective or cross_entropy)(model, self.signals(x), self.train_y[batch], progress)
                optimiser.zero_grad(set_to_none=True)
                loss.backward()
                optimiser.step()
                if schedule is not None:
                    schedule.step()
                running += loss.item() * len(batch)
                step += 1
            losses.append(running / n)
            if not cosine:
                for group in optimiser.param_groups:
                    low, high = (lr * bound for bound in LR_BOUNDS)
                    group["lr"] = min(high, max(low, group["lr"] * loss_derivative_factor(losses)))
        self.epochs_run += epochs
        model.eval()
        return losses
