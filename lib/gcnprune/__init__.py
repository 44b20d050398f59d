"""gcnprune: lightweight graph convolutional networks by pruning, for skeleton-based action recognition.

The package has four layers; each imports only the layers above it in this list (a test walks the imports):

- the core, the science: skeleton datasets (:mod:`.data`), input graphs (:mod:`.graphs`), the GCN
  (:mod:`.model`), masks (:mod:`.masks`), the unit graph (:mod:`.unit_graph`), training (:mod:`.train`),
  metrics (:mod:`.metrics`) and the pruning methods, a registry (:mod:`.methods`); it needs only torch and
  numpy;
- :mod:`.experiments`: run configurations, the run cache, runs, grids and who runs them;
- :mod:`.deploy`: a pruned run as a compact model file, and its benchmark;
- :mod:`.book`: the book's chapters, what they print, their figures, its build and its browser check.

``gcnprune.cli`` is the command line over all four.
"""

__version__ = "0.1.0"
