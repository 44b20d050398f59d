"""Deployment: a pruned run exported as a compact network (:mod:`.export`, :mod:`.compact`) in a small tensor
file (:mod:`.tensor_file`), and its size and speed measured against the dense network (:mod:`.bench`)."""
