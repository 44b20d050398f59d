"""Pruning methods as strategy classes in a registry: a new method is one file plus one line here."""

from .base import METHODS, PruningMethod, get_method, grid_methods, register
from . import dense, magnitude, multi_rate, phase_field, probabilistic, topological  # noqa: F401  (each import registers its methods)
from . import random_pruning, snip  # noqa: F401  (the tutorial's methods, notebooks/write-your-own-method.md)

__all__ = ["METHODS", "PruningMethod", "get_method", "grid_methods", "register"]
