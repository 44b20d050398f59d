"""gcnprune: lightweight graph convolutional networks by pruning, for skeleton-based action recognition."""

__version__ = "0.1.0"
