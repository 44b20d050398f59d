"""Pruning methods as strategy classes in a registry: a new method is one file plus one line here."""

from . import (  # noqa: F401  (each registers its methods)
    dense,
    gradual_magnitude,
    head_pruning,  # noqa: F401  (whole attention heads first: notebooks/what-pruning-buys.md)
    magnitude,
    multi_rate,
    phase_field,
    probabilistic,
    topological,
)

# isort: split
from . import random_pruning, snip  # noqa: F401  (the tutorial's methods, notebooks/write-your-own-method.md)
from .base import METHODS, PruningMethod, get_method, grid_methods, register

__all__ = ["METHODS", "PruningMethod", "get_method", "grid_methods", "register"]
