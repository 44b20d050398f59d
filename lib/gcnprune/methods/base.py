"""The strategy interface every pruning method implements, and the registry that names them."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar

import torch

from ..model import GCN
from ..train import Trainer

if TYPE_CHECKING:
    from ..experiments import RunConfig

METHODS: dict[str, type[PruningMethod]] = {}


@dataclass(frozen=True)
class NoConfig:
    """A method without hyperparameters."""


class PruningMethod(ABC):
    """One pruning recipe: ``fit`` trains ``model`` so that it evaluates at the target ``rate``.

    ``Config`` is the typed dataclass of the method's hyperparameters (every field enters the run
    hash); ``version`` is the implementation's version, which enters the hash too, so the cache never
    mixes runs of older code with current ones; ``pretrained`` methods start from the trained dense model of the same fold and seed, and
    ``keeps_weights`` methods store their trained model for runs that start from it.
    """

    name: ClassVar[str]
    version: ClassVar[int] = 1  # implementation version: bump whenever ``fit`` computes something different
    Config: ClassVar[type] = NoConfig
    pretrained: ClassVar[bool] = False
    keeps_weights: ClassVar[bool] = False

    def __init__(self, config: Any = None) -> None:
        self.config = config if config is not None else self.Config()

    def parent(self, config: RunConfig) -> RunConfig | None:
        """The run whose trained weights this run starts from (the dense run for pretrained methods)."""
        return replace(config, method="dense", rate=0.0, method_config={}) if self.pretrained else None

    def restore(self, model: GCN, state: dict[str, torch.Tensor]) -> None:
        """Load the parent run's weights into a freshly built ``model``."""
        model.load_state_dict(state)

    @abstractmethod
    def fit(self, model: GCN, trainer: Trainer, rate: float) -> dict[str, Any]:
        """Train and prune ``model`` in place, leaving hard masks in force; return extra metrics."""


def register(cls: type[PruningMethod]) -> type[PruningMethod]:
    """Class decorator adding a method to :data:`METHODS` under its ``name``."""
    if cls.name in METHODS:
        raise ValueError(f"a pruning method named {cls.name!r} is already registered")
    METHODS[cls.name] = cls
    return cls


def get_method(name: str, config: dict[str, Any] | None = None) -> PruningMethod:
    """Instantiate the registered method ``name`` with hyperparameters ``config`` (defaults if None)."""
    if name not in METHODS:
        raise ValueError(f"unknown pruning method {name!r}; registered: {', '.join(sorted(METHODS))}")
    cls = METHODS[name]
    try:
        return cls(cls.Config(**(config or {})))
    except TypeError as error:
        raise ValueError(f"bad hyperparameters for {name}: {error}") from None
