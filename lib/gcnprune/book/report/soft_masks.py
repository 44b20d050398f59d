"""The facts a chapter states about its soft masks at the end of training (see :mod:`gcnprune.book.report.fidelity`)."""

from __future__ import annotations

import pandas as pd

from .fidelity import extreme, format_extreme


def soft_mask_facts(prefix: str, fidelity: pd.DataFrame) -> dict[str, str]:
    """From a :func:`~gcnprune.book.report.fidelity.soft_mask_fidelity` table: ``{prefix}_soft_gap``, the largest
    |soft rate − target| with its run's method and rate, and ``{prefix}_overlap``, the lowest kept overlap
    (in %)."""
    overlap = extreme(fidelity, "kept_overlap_min", largest=False)
    return {
        f"{prefix}_soft_gap": format_extreme(extreme(fidelity, "soft_gap_max")),
        f"{prefix}_overlap": format_extreme(overlap, "{:.1f} %", 100),
    }
