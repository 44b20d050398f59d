"""A variant: a method with the hyperparameters that differ from its defaults, what a table row or a
figure line of the book shows. Code compares and orders variants; only displays read their labels."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gcnprune.methods import METHODS, get_method

if TYPE_CHECKING:
    from .config import RunConfig


@dataclass(frozen=True)
class Variant:
    """Method ``method`` with the hyperparameters ``changed`` from its defaults, as (name, value) pairs
    in the order its config declares them."""

    method: str
    changed: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, method: str, method_config: Mapping[str, Any] | None = None) -> Variant:
        """The variant of ``method`` with hyperparameters ``method_config`` (defaults if None)."""
        defaults = dataclasses.asdict(get_method(method).config)
        chosen = dataclasses.asdict(get_method(method, dict(method_config or {})).config)
        return cls(method, tuple((k, v) for k, v in chosen.items() if defaults[k] != v))

    @property
    def label(self) -> str:
        """The method's name, with what differs from its defaults: "probabilistic (alignment_weight=0.0)"."""
        return self.method + (" (" + ", ".join(f"{k}={v}" for k, v in self.changed) + ")" if self.changed else "")

    def order(self) -> tuple[int, str]:
        """A sort key: methods in registration order, a method's variants by label."""
        return list(METHODS).index(self.method), self.label


def label(config: RunConfig) -> str:
    """The label of a run's variant: "probabilistic (alignment_weight=0.0)"."""
    return Variant.of(config.method, config.method_config).label
