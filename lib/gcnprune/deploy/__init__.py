"""Deployment: a masked network folded into its compact network (:mod:`.compaction`, :mod:`.compact`), a pruned run
exported as a small tensor file (:mod:`.export`, :mod:`.tensor_file`), and its size and speed measured against the
dense network (:mod:`.bench`)."""
