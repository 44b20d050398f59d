"""The facts a method chapter states when it tests the paper's claim against magnitude pruning: the verdicts
against global MP and against the stronger MP variant, and the accuracies at rate 0.98."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ..claims import WIDE_MARGIN, accuracy_cell, claim_check, verdict
from .build import MP, MP_LAYER, high_rates
from .format import accuracy_text, difference, rate_list, spread_note

SHOWN_RATE = 0.98  # the rate the chapters quote in their prose


def claim_facts(
    prefix: str, summary: pd.DataFrame, method: str, profile: str, folds: Sequence[int], seeds: Sequence[int]
) -> dict[str, str]:
    """``{prefix}_verdict_global`` and ``_verdict_best`` (:func:`~gcnprune.claims.verdict` of ``method``
    against global MP and against both MP variants at every rate ≥ 0.95), the accuracies at 0.98 of the
    method and of both MP variants (``_98``, ``_98_mp``, ``_98_layer``) and the differences
    (``_diff_98_mp``, ``_diff_98_layer``), the rates tested (``_high_rates``), the wide margin
    (``_margin``) and the remark on the verdict's spread (``_smoke``)."""
    high = high_rates(summary)
    own = accuracy_cell(summary, method, SHOWN_RATE)
    mp, layer = accuracy_cell(summary, MP, SHOWN_RATE), accuracy_cell(summary, MP_LAYER, SHOWN_RATE)
    return {
        f"{prefix}_verdict_global": verdict(claim_check(summary, method, [MP], high)),
        f"{prefix}_verdict_best": verdict(claim_check(summary, method, [MP, MP_LAYER], high)),
        f"{prefix}_98": accuracy_text(own),
        f"{prefix}_98_mp": accuracy_text(mp),
        f"{prefix}_98_layer": accuracy_text(layer),
        f"{prefix}_diff_98_mp": difference(own, mp),
        f"{prefix}_diff_98_layer": difference(own, layer),
        f"{prefix}_high_rates": rate_list(high),
        f"{prefix}_margin": f"{WIDE_MARGIN:g}",
        f"{prefix}_smoke": spread_note(profile, folds, seeds),
    }


def claim_against_mp(summary: pd.DataFrame, method: str) -> pd.DataFrame:
    """:func:`~gcnprune.claims.claim_check` of ``method`` against both MP variants at every rate ≥ 0.95: the
    table each method chapter shows."""
    return claim_check(summary, method, [MP, MP_LAYER], high_rates(summary))
