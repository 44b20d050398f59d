"""The phase-field chapter's facts: PFM's hyperparameters, its claims against magnitude pruning and the staple
regularisers, its mask histograms and how closely its evaluated network matches its soft masks."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gcnprune.experiments import summarise
from gcnprune.methods.phase_field import HISTOGRAM_AT

from ..chapters.runs import ChapterRuns
from .claims import SHOWN_RATE, accuracy_cell, claim_against_mp, claim_check, claim_facts, claim_table, verdict
from .facts import GMP, MP, MP_LAYER, build_facts, method_config, method_rates, pruned_rates
from .fidelity import method_rows, soft_mask_fidelity
from .format import accuracy_text, achieved_rate_gap, difference, rate_list, spread_note
from .paired import ladder, ladder_gains
from .paired import ladder_facts as paired_ladder_facts
from .rerun import rerun_card
from .soft_masks import soft_mask_facts
from .tables import soft_mask_table, summary_table
from .tuning import tuning_table

PFM = "phase_field"
LADDER = [("global MP", MP), ("gradual MP", GMP), ("exact budget alone", "budget"),
          ("PFM: + double-well potential", PFM)]  # fmt: skip
STAPLES = ["budget", "budget_l1", "budget_entropy"]  # the same training with a staple regulariser instead
HISTOGRAM_RATE = 0.95  # the rate of the mask histograms, where PFM and the budget baseline both ran it
RATE_SERIES = [(PFM, "achieved_rate", "phase_field: evaluated network"), (PFM, "soft_rate", "phase_field: soft mask"),
               ("budget", "soft_rate", "budget: soft mask"), ("budget_l1", "soft_rate", "budget_l1: soft mask"),
               ("budget_entropy", "soft_rate", "budget_entropy: soft mask")]  # fmt: skip


def staple_check(summary: pd.DataFrame, runs: pd.DataFrame | None = None) -> pd.DataFrame:
    """:func:`~gcnprune.book.report.claims.claim_check` of PFM against the staple regularisers at every pruning rate,
    paired where the ``runs`` are given."""
    return claim_check(summary, PFM, STAPLES, pruned_rates(summary), runs=runs)


def histogram_rate(runs: pd.DataFrame) -> float | None:
    """:data:`HISTOGRAM_RATE` where PFM and the budget baseline both ran it, else the highest rate they share;
    None when they share none."""
    if {PFM, "budget"} <= set(runs[runs["rate"] == HISTOGRAM_RATE]["method"]):
        return HISTOGRAM_RATE
    common = set(runs[runs["method"] == PFM]["rate"]) & set(runs[runs["method"] == "budget"]["rate"])
    return max(common) if common else None


def summed_histograms(runs: pd.DataFrame, rate: float | None) -> dict[str, dict[float, np.ndarray]]:
    """PFM's and the budget baseline's soft-mask histograms at ``rate``, summed over their runs, per point of
    training."""
    histograms = {}
    for method in (PFM, "budget"):
        rows = runs[(runs["method"] == method) & (runs["rate"] == rate)]
        if len(rows):
            points = rows["mask_histograms"].iloc[0]
            histograms[method] = {at: np.sum([h[at] for h in rows["mask_histograms"]], axis=0) for at in points}
    return histograms


def facts(chapter: ChapterRuns, summary: pd.DataFrame, dataset: str, profile: str) -> dict[str, str]:
    """Every value the chapter glues."""

    runs, config = chapter.runs, method_config(chapter, PFM)
    staples = staple_check(summary, runs)
    own, budget = accuracy_cell(summary, PFM, SHOWN_RATE), accuracy_cell(summary, "budget", SHOWN_RATE)
    fidelity = soft_mask_fidelity(runs, [PFM, *STAPLES])
    shown = histogram_rate(runs)
    return {
        **build_facts("pf", chapter, dataset),
        **claim_facts("pf", summary, PFM, profile, chapter.folds, chapter.seeds, chapter.runs),
        "pf_rates": rate_list(method_rates(runs, [PFM]), ""),
        "pf_staple_rates": rate_list(method_rates(runs, STAPLES), "no rate"),
        "pf_lambda": f"{config['budget_weight']:g}",
        "pf_mu": f"{config['potential_weight']:g}",
        "pf_t0": f"{config['temperature_start']:g}",
        "pf_t1": f"{config['temperature_end']:g}",
        "pf_scope": config["threshold"],
        "pf_ramp": f"{config['rate_ramp']:g}",
        "pf_staples_above": f"{int((staples['diff'] > 0).sum()) if len(staples) else 0} of {len(staples)}",
        "pf_staples_verdict": verdict(staples),
        "pf_staples_spread": spread_note(profile, chapter.folds, chapter.seeds, extra_for="PFM"),
        "pf_98_budget": accuracy_text(budget),
        "pf_diff_98_budget": difference(own, budget),
        "pf_hist_rate": f"{shown:g}" if shown is not None else "(none)",
        "pf_hist_points": ", ".join(f"{100 * a:g} %" for a in HISTOGRAM_AT),
        **soft_mask_facts("pf", method_rows(fidelity, PFM)),
        **{f"{key}_all": value for key, value in soft_mask_facts("pf", fidelity).items()},
        "pf_achieved_gap": achieved_rate_gap(runs),
    }


def ladder_facts(table: pd.DataFrame) -> dict[str, str]:
    """The ladder's three steps in words: what gradual MP earns over one-shot global MP, the exact budget over
    it, and the potential over the budget."""
    return paired_ladder_facts("pf", table, {"gmp": LADDER[1][0], "budget": LADDER[2][0], "potential": LADDER[3][0]})


# the names the phase-field notebook uses
__all__ = ["LADDER", "MP", "MP_LAYER", "PFM", "RATE_SERIES", "STAPLES", "claim_against_mp", "claim_table", "facts",
           "histogram_rate", "ladder", "ladder_facts", "ladder_gains", "rerun_card", "soft_mask_fidelity",
           "soft_mask_table", "staple_check", "summarise", "summary_table", "summed_histograms",
           "tuning_table"]  # fmt: skip
