"""Pruning methods as strategy classes in a registry: a new method is one file plus one line here."""

from . import dense, magnitude, multi_rate, phase_field, probabilistic, random_pruning, snip, topological  # noqa: F401  (each import registers its methods)  # noqa: F401  (the tutorial's methods, notebooks/write-your-own-method.md)
from .base import METHODS, PruningMethod, get_method, grid_methods, register

__all__ = ["METHODS", "PruningMethod", "get_method", "grid_methods", "register"]
