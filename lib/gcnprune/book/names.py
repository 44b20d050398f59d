"""The names readers see: each method and variant label of the runs (``probabilistic (alignment_weight=0.0)``)
as the book's tables, figures and prose call it ("PMP without alignment"). Labels not listed read as they are."""

from __future__ import annotations

READABLE = {
    "dense": "dense",
    "magnitude": "MP (global)",
    "magnitude (scope=layer)": "MP (per layer)",
    "gradual_magnitude": "gradual MP",
    "head_magnitude": "MP keeping ¼ of the heads",
    "head_magnitude (head_share=0.125)": "MP keeping ⅛ of the heads",
    "head_magnitude (head_share=0.5)": "MP keeping ½ of the heads",
    "head_magnitude (head_share=0.0)": "MP keeping no attention head",
    "probabilistic (head_share=0.25)": "PMP keeping ¼ of the heads",
    "probabilistic (head_share=0.125)": "PMP keeping ⅛ of the heads",
    "topological (head_share=0.25)": "TC keeping ¼ of the heads",
    "topological (head_share=0.125)": "TC keeping ⅛ of the heads",
    "phase_field": "PFM",
    "budget": "exact budget alone",
    "budget_l1": "budget + ℓ1",
    "budget_entropy": "budget + entropy",
    "topological": "TC",
    "probabilistic": "PMP",
    "probabilistic (scope=layer)": "PMP, one prior per layer",
    "probabilistic (threshold=empirical)": "PMP, empirical threshold",
    "probabilistic (alignment_weight=0.0)": "PMP without alignment",
    "multi_rate": "MRMP",
    "multi_rate (scope=layer)": "MRMP, one prior per layer",
    "random": "random pruning",
    "snip": "SNIP",
}


def readable(label: str) -> str:
    """The name readers see for a method label of the runs."""
    return READABLE.get(label, label)
