"""The strategy interface every pruning method implements, and the registry that names them."""

from __future__ import annotations

import dataclasses
import functools
import numbers
import types
import typing
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Union

import torch

from ..errors import UserError
from ..model import GCN
from ..settings import OMITTED_AT, added_setting
from ..train import Trainer

__all__ = [
    "METHODS", "OMITTED_AT", "NoConfig", "PruningMethod", "added_setting", "get_method", "grid_methods", "register",
]  # fmt: skip

METHODS: dict[str, type[PruningMethod]] = {}


@dataclass(frozen=True)
class NoConfig:
    """A method without hyperparameters."""


class PruningMethod(ABC):
    """One pruning recipe: ``fit`` trains ``model`` so that it evaluates at the target ``rate``.

    ``Config`` is the typed dataclass of the method's hyperparameters (every field enters the run
    hash); ``version`` is the implementation's version, which enters the hash too, so the cache never
    mixes runs of older code with current ones. A run starts from the trained weights of its parent run,
    declared as data: the run of method ``parent_method`` (None: trained from scratch) at rate 0 on the
    same data, fold and seed, with this run's hyperparameters if ``parent_shares_config``, else the
    parent's defaults (:meth:`gcnprune.experiments.config.RunConfig.parent` builds it). ``keeps_weights``
    methods store their trained model for runs that start from it; a ``rate_zero_only`` method runs at
    rate 0 alone (it prunes nothing, or trains for every rate at once); an ``internal`` method only
    trains another method's parent run (it is not offered as a grid's method).
    """

    name: ClassVar[str]
    version: ClassVar[int] = 1  # implementation version: bump whenever ``fit`` computes something different
    Config: ClassVar[type] = NoConfig
    parent_method: ClassVar[str | None] = None
    parent_shares_config: ClassVar[bool] = False
    rate_zero_only: ClassVar[bool] = False
    keeps_weights: ClassVar[bool] = False
    internal: ClassVar[bool] = False

    def __init__(self, config: Any = None) -> None:
        self.config = config if config is not None else self.Config()

    def restore(self, model: GCN, state: dict[str, torch.Tensor]) -> None:
        """Load the parent run's weights into a freshly built ``model``."""
        model.load_state_dict(state)

    @abstractmethod
    def fit(self, model: GCN, trainer: Trainer, rate: float) -> dict[str, Any]:
        """Train and prune ``model`` in place, leaving hard masks in force; return extra metrics."""


def register(cls: type[PruningMethod]) -> type[PruningMethod]:
    """Class decorator adding a method to :data:`METHODS` under its ``name`` (after its parent method)."""
    if cls.name in METHODS:
        raise ValueError(f"a pruning method named {cls.name!r} is already registered")
    if cls.parent_method is not None and cls.parent_method not in METHODS:
        raise ValueError(f"{cls.name} starts from {cls.parent_method!r}, which is not registered; register it first")
    METHODS[cls.name] = cls
    return cls


def grid_methods() -> list[str]:
    """The methods a grid can run, in registration order (every registered one that is not ``internal``)."""
    return [name for name, cls in METHODS.items() if not cls.internal]


@functools.cache
def _field_types(config_class: type) -> dict[str, Any]:
    """Each hyperparameter's declared type (string annotations resolved in the class's module)."""
    hints = typing.get_type_hints(config_class)
    return {f.name: hints.get(f.name, Any) for f in dataclasses.fields(config_class)}


def _conforms(value: Any, hint: Any) -> bool:
    """Whether ``value`` (as parsed from JSON, or given in Python) fits the declared type ``hint``."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, numbers.Real) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    if origin is Literal:
        return any(value == a and type(value) is type(a) for a in args)
    if origin in (Union, types.UnionType):
        return any(_conforms(value, a) for a in args)
    if origin in (tuple, list):
        element = args[0] if args else Any
        return isinstance(value, (tuple, list)) and all(_conforms(v, element) for v in value)
    return True  # a type this check does not know: the config's own validation decides


def _describe(hint: Any) -> str:
    """The declared type in words, for error messages: "a number", "one of 'global', 'layer'"."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    names = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}
    if hint in names:
        return names[hint]
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if origin in (Union, types.UnionType):
        return " or ".join(_describe(a) for a in args)
    if origin in (tuple, list):
        return f"a list, each {_describe(args[0]) if args else 'anything'}"
    return getattr(hint, "__name__", str(hint))


def check_hyperparameters(name: str, config: dict[str, Any]) -> None:
    """Refuse a hyperparameter that method ``name``'s config dataclass lacks, or a value of the wrong type,
    naming the method, the key, the expected type and the value (before any computation uses it)."""
    declared = _field_types(METHODS[name].Config)
    for key, value in config.items():
        if key not in declared:
            valid = ", ".join(declared) or "(none)"
            raise UserError(f"bad hyperparameters for {name}: it has no hyperparameter {key!r}; valid: {valid}")
        if not _conforms(value, declared[key]):
            raise UserError(f"bad hyperparameters for {name}: {key} must be {_describe(declared[key])}, "
                            f"got {value!r} ({type(value).__name__})")  # fmt: skip


def get_method(name: str, config: dict[str, Any] | None = None) -> PruningMethod:
    """Instantiate the registered method ``name`` with hyperparameters ``config`` (defaults if None);
    an unknown name, key, a value of the wrong type or one its config refuses raises :class:`UserError`."""
    if name not in METHODS:
        raise UserError(f"unknown pruning method {name!r}; registered: {', '.join(sorted(METHODS))}")
    cls = METHODS[name]
    check_hyperparameters(name, config or {})
    try:
        return cls(cls.Config(**(config or {})))
    except (TypeError, ValueError) as error:
        raise UserError(f"bad hyperparameters for {name}: {error}") from None
