"""The probabilistic chapter's facts and tables: PMP's hyperparameters, its claim against magnitude pruning and
its ablations, its latent-weight histograms, and how closely its training cut at the prior's quantile lands
on the target rate."""

from __future__ import annotations

import pandas as pd

from gcnprune.experiments import summarise
from gcnprune.methods.priors import Prior
from gcnprune.methods.probabilistic import HISTOGRAM_RANGE, band_mass

from ..chapters.runs import ChapterRuns
from ..names import readable
from .claims import SHOWN_RATE, accuracy_cell, claim_against_mp, claim_facts, claim_table
from .facts import GMP, MP, MP_LAYER, build_facts, method_config, method_rates
from .fidelity import CUT_TOLERANCE, cut_drift, drift_summary, extreme, format_extreme, method_rows
from .format import accuracy_text, achieved_rate_gap, difference, rate_list
from .paired import ladder, ladder_gains
from .paired import ladder_facts as paired_ladder_facts
from .rerun import rerun_card
from .tables import cut_drift_table, summary_table
from .tuning import tuning_table

PMP = "probabilistic"  # trains and cuts at the prior's quantile, with the alignment
ABLATION = "probabilistic (alignment_weight=0.0)"  # the prior's threshold without alignment (η = 0)
EMPIRICAL = "probabilistic (threshold=empirical)"  # the empirical threshold: its cut exact by construction
PMP_LAYER = "probabilistic (scope=layer)"  # one prior per layer, each keeping (1 - r) of its weights: the variant
CUTS = [PMP, ABLATION, EMPIRICAL]
LADDER = [("global MP", MP), ("gradual MP", GMP), ("prior cut without alignment", ABLATION),
          ("PMP: + alignment", PMP)]  # fmt: skip
RATE_SERIES = [(PMP, "achieved_rate", "PMP: evaluated network"), (PMP, "threshold_rate", "PMP: its cut at a(r)"),
               (ABLATION, "threshold_rate", "η = 0: its cut at a(r)"),
               (EMPIRICAL, "threshold_rate", "empirical threshold: its cut")]  # fmt: skip


def cut_labels(config: dict) -> dict[str, str]:
    """The names of :data:`CUTS` in the drift table, PMP's with its alignment and η."""
    return {PMP: f"PMP ({config['alignment']} alignment, η = {config['alignment_weight']:g})",
            ABLATION: "no alignment (η = 0)", EMPIRICAL: "empirical threshold"}  # fmt: skip


def cut_rows(runs: pd.DataFrame) -> pd.DataFrame:
    """The pruned runs (rate > 0) of :data:`CUTS`."""
    return runs[runs["method"].isin(CUTS) & (runs["rate"] > 0)]


def histogram_rate(runs: pd.DataFrame) -> float | None:
    """The highest rate at which PMP and its ablation without alignment both ran, else PMP's highest; None
    when PMP did not run."""
    both = set(runs[runs["method"] == PMP]["rate"]) & set(runs[runs["method"] == ABLATION]["rate"])
    if both:
        return max(both)
    return max(runs[runs["method"] == PMP]["rate"]) if (runs["method"] == PMP).any() else None


def latent_panels(runs: pd.DataFrame, config: dict, rate: float | None) -> dict[str, tuple]:
    """For PMP and its ablation without alignment at ``rate``: their first split's latent-weight histograms
    (start, end), under a title naming the method and split."""
    panels = {}
    for method, label in ((PMP, f"with the {config['alignment']} alignment (η = {config['alignment_weight']:g})"),
                          (ABLATION, "without it (η = 0)")):  # fmt: skip
        rows = runs[(runs["method"] == method) & (runs["rate"] == rate)].sort_values(["fold", "seed"])
        if len(rows):
            first = rows.iloc[0]
            panels[f"{label}, fold {first['fold'] + 1}"] = (
                first["latent_histogram_start"],
                first["latent_histogram_end"],
            )
    return panels


def prior_cut_table(runs: pd.DataFrame, config: dict) -> pd.DataFrame:
    """Per method of :data:`CUTS` and target rate: the achieved rate, the training cut's rate, the rate of the
    prior's cut ±a(r) read from the latent histograms at the start and end of training
    (:func:`~gcnprune.methods.probabilistic.band_mass`), and the accuracies of the evaluated network and of
    the training cut (means over runs)."""

    rows = cut_rows(runs)

    def prior_cut(column: str) -> list[float]:
        return [band_mass(h, Prior.with_std(config["family"], 1.0).threshold(r), HISTOGRAM_RANGE, total)
                for h, r, total in zip(rows[column], rows["rate"], rows["prunable_dense"])]  # fmt: skip

    rows = rows.assign(
        prior_cut_rate=prior_cut("latent_histogram_end"), prior_cut_rate_start=prior_cut("latent_histogram_start")
    )
    cuts = rows.groupby(["method", "rate"])[
        ["achieved_rate", "threshold_rate", "prior_cut_rate_start", "prior_cut_rate", "accuracy", "threshold_accuracy"]
    ].mean()
    table = pd.DataFrame({
        "achieved rate": cuts["achieved_rate"].map(lambda v: f"{v:.4f}"),
        "training cut's rate": cuts["threshold_rate"].map(lambda v: f"{v:.4f}"),
        "prior's cut, start (histogram)": cuts["prior_cut_rate_start"].map(lambda v: f"{v:.4f}"),
        "prior's cut, end (histogram)": cuts["prior_cut_rate"].map(lambda v: f"{v:.4f}"),
        "accuracy (%)": cuts["accuracy"].map(lambda v: f"{100 * v:.1f}"),
        "training cut's accuracy (%)": cuts["threshold_accuracy"].map(lambda v: f"{100 * v:.1f}"),
    })  # fmt: skip
    table.index = pd.MultiIndex.from_tuples([(readable(m), f"{r:g}") for m, r in table.index],
                                            names=["method", "target rate"])  # fmt: skip
    return table


def facts(chapter: ChapterRuns, summary: pd.DataFrame, dataset: str, profile: str) -> dict[str, str]:
    """Every value the chapter glues."""

    runs, config = chapter.runs, method_config(chapter, PMP)
    own = accuracy_cell(summary, PMP, SHOWN_RATE)
    ablation, empirical = accuracy_cell(summary, ABLATION, SHOWN_RATE), accuracy_cell(summary, EMPIRICAL, SHOWN_RATE)
    shown = histogram_rate(runs)
    band = Prior.with_std(config["family"], 1.0).threshold(shown) if shown is not None else float("nan")
    drift = cut_drift(runs, CUTS, tolerance=CUT_TOLERANCE)
    return {
        **build_facts("pmp", chapter, dataset),
        **claim_facts("pmp", summary, PMP, profile, chapter.folds, chapter.seeds, chapter.runs),
        "pmp_98_ablation": accuracy_text(ablation),
        "pmp_diff_98_ablation": difference(own, ablation),
        "pmp_98_empirical": accuracy_text(empirical),
        "pmp_diff_98_empirical": difference(own, empirical),
        "pmp_rates": rate_list(method_rates(runs, [PMP]), ""),
        "pmp_ablation_rates": rate_list(method_rates(runs, [ABLATION, EMPIRICAL]), "no rate"),
        "pmp_family": config["family"],
        "pmp_eta": f"{config['alignment_weight']:g}",
        "pmp_threshold": config["threshold"],
        "pmp_alignment": "quantile (Wasserstein)" if config["alignment"] == "quantile" else
                         f"kernel KL ({config['kl_samples']:,} weights per layer in each estimate)",
        "pmp_t0": f"{config['temperature_start']:g}",
        "pmp_t1": f"{config['temperature_end']:g}",
        "pmp_hist_rate": f"{shown:g}" if shown is not None else "(none)",
        "pmp_band": f"{band:.2f}",
        "pmp_tolerance": f"{CUT_TOLERANCE:g}",
        "pmp_cut_default": drift_summary(drift, PMP, CUT_TOLERANCE),
        "pmp_cut_ablation": drift_summary(drift, ABLATION, CUT_TOLERANCE),
        "pmp_cut_empirical": drift_summary(drift, EMPIRICAL, CUT_TOLERANCE),
        "pmp_cut_worst": format_extreme(extreme(method_rows(drift, PMP), "drift_max")),
        "pmp_cut_worst_ablation": format_extreme(extreme(method_rows(drift, ABLATION), "drift_max")),
        "pmp_achieved_gap": achieved_rate_gap(runs),
    }  # fmt: skip


def ladder_facts(table: pd.DataFrame) -> dict[str, str]:
    """The ladder's three steps in words: gradual MP over one-shot global MP, the prior's cut without alignment
    over gradual MP, and what alignment adds."""
    return paired_ladder_facts("pmp", table, {"gmp": LADDER[1][0], "cut": LADDER[2][0], "align": LADDER[3][0]})


# the names the probabilistic notebook uses
__all__ = ["ABLATION", "CUTS", "CUT_TOLERANCE", "EMPIRICAL", "GMP", "HISTOGRAM_RANGE", "LADDER", "MP", "MP_LAYER",
           "PMP", "PMP_LAYER", "RATE_SERIES", "claim_against_mp", "claim_table", "cut_drift", "cut_drift_table",
           "cut_labels", "cut_rows", "facts", "histogram_rate", "ladder", "ladder_facts", "ladder_gains",
           "latent_panels", "method_config", "prior_cut_table", "rerun_card", "summarise", "summary_table",
           "tuning_table"]  # fmt: skip
