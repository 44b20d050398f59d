"""Pruning methods as strategy classes in a registry: a new method is one file plus one line here."""

from . import dense, gradual_magnitude, magnitude, multi_rate, phase_field, probabilistic, topological  # noqa: F401  (each registers its methods)

# isort: split
from . import random_pruning, snip  # noqa: F401  (the tutorial's methods, notebooks/write-your-own-method.md)
from .base import METHODS, PruningMethod, get_method, grid_methods, register

__all__ = ["METHODS", "PruningMethod", "get_method", "grid_methods", "register"]
